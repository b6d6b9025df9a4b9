//! `tollgate token`: the client-credentials grant (RFC 6749 §4.4) against a token endpoint.

use std::process::ExitCode;
use std::time::Duration;

use base64::Engine as _;
use clap::Args;

/// Where the secret comes from when it is not prompted for.
pub(crate) const SECRET_ENV: &str = "TOLLGATE_CLIENT_SECRET";

#[derive(Debug, Args)]
pub(super) struct TokenArgs {
    /// The token endpoint, such as https://<domain>.auth.<region>.amazoncognito.com/oauth2/token
    /// (http:// only for loopback addresses).
    #[arg(long, value_name = "URL")]
    token_url: String,
    /// The app client id.
    #[arg(long, value_name = "ID")]
    client_id: String,
    /// The scopes to ask for, space-separated (default: what the client is allowed).
    #[arg(long, value_name = "SCOPES")]
    scope: Option<String>,
    /// Print the whole JSON answer instead of the access token alone.
    #[arg(long)]
    json: bool,
}

fn secret() -> Result<String, String> {
    if let Ok(secret) = std::env::var(SECRET_ENV) {
        return Ok(secret);
    }
    rpassword::prompt_password("client secret: ").map_err(|e| {
        format!("no client secret: set {SECRET_ENV} or run in a terminal to be asked ({e})")
    })
}

/// `client_secret_basic` (RFC 6749 §2.3.1): id and secret form-urlencoded, then base64.
fn basic(client_id: &str, secret: &str) -> String {
    let encode = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let pair = format!("{}:{}", encode(client_id), encode(secret));
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

fn checked_url(url: &str) -> Result<reqwest::Url, String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("--token-url: {e}"))?;
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" => {
            let loopback = match parsed.host() {
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                Some(url::Host::Domain(name)) => name == "localhost",
                None => false,
            };
            if loopback {
                Ok(parsed)
            } else {
                Err("--token-url: http:// would send the client secret in clear; use https:// (http:// is allowed for loopback addresses only)".to_owned())
            }
        }
        _ => Err("--token-url must be an https:// URL".to_owned()),
    }
}

pub(super) async fn run(args: TokenArgs) -> ExitCode {
    match request(&args).await {
        Ok(output) => {
            println!("{output}");
            ExitCode::SUCCESS
        }
        Err(problem) => {
            eprintln!("error: {problem}");
            ExitCode::FAILURE
        }
    }
}

async fn request(args: &TokenArgs) -> Result<String, String> {
    let url = checked_url(&args.token_url)?;
    let secret = secret()?;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| format!("HTTP client: {e}"))?;
    let mut form = vec![("grant_type", "client_credentials")];
    if let Some(scope) = &args.scope {
        form.push(("scope", scope.as_str()));
    }
    let answer = client
        .post(url)
        .header(
            reqwest::header::AUTHORIZATION,
            basic(&args.client_id, &secret),
        )
        .header(reqwest::header::ACCEPT, "application/json")
        .form(&form)
        .send()
        .await
        .map_err(|e| format!("the token endpoint cannot be reached: {e}"))?;
    let status = answer.status();
    let body = answer
        .text()
        .await
        .map_err(|e| format!("the token endpoint's answer cannot be read: {e}"))?;
    if !status.is_success() {
        return Err(format!("the token endpoint answered {status}: {body}"));
    }
    if args.json {
        return Ok(body);
    }
    let value: serde_json::Value = serde_json::from_str(&body).map_err(|_| {
        format!("the token endpoint answered {status} with a body that is not JSON")
    })?;
    value
        .get("access_token")
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| "the answer has no access_token (use --json to see it)".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_encoded_first() {
        // RFC 6749 §2.3.1: "a b" → "a+b", ":" → "%3A".
        let header = basic("id:1", "s e/c");
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(header.strip_prefix("Basic ").unwrap())
            .unwrap();
        assert_eq!(decoded, b"id%3A1:s+e%2Fc");
    }

    #[test]
    fn secrets_travel_over_https_or_loopback_only() {
        assert!(checked_url("https://auth.example.com/oauth2/token").is_ok());
        assert!(checked_url("http://127.0.0.1:9/oauth2/token").is_ok());
        assert!(checked_url("http://localhost:9/oauth2/token").is_ok());
        assert!(checked_url("http://auth.example.com/oauth2/token").is_err());
        assert!(checked_url("ftp://x/").is_err());
    }
}
