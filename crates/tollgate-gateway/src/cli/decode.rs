//! `tollgate decode`: a token's header and claims, without verification.

use std::process::ExitCode;

use base64::Engine as _;
use serde_json::{Value, json};

use super::input;

fn segment(part: &str, what: &str) -> Result<Value, String> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .map_err(|_| format!("the {what} is not base64url"))?;
    serde_json::from_slice(&bytes).map_err(|_| format!("the {what} is not JSON"))
}

fn decode(token: &str) -> Result<Value, String> {
    let parts: Vec<&str> = token.split('.').collect();
    match parts.as_slice() {
        [header, payload, _signature] => Ok(json!({
            "header": segment(header, "header")?,
            "claims": segment(payload, "payload")?,
        })),
        [_, _, _, _, _] => Err(
            "this is an encrypted token (JWE, five parts): it cannot be decoded without the key"
                .to_owned(),
        ),
        _ => Err(format!(
            "a signed token has three parts separated by dots; this has {}",
            parts.len()
        )),
    }
}

pub(super) fn run(argument: Option<&str>) -> ExitCode {
    let decoded = input::token(argument).and_then(|token| decode(&token));
    match decoded {
        Ok(value) => {
            eprintln!(
                "warning: NOT verified: the signature, the issuer, the expiry and every other \
                 check were skipped (use `tollgate verify`)"
            );
            match serde_json::to_string_pretty(&value) {
                Ok(text) => {
                    println!("{text}");
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!("error: {error}");
                    ExitCode::FAILURE
                }
            }
        }
        Err(problem) => {
            eprintln!("error: {problem}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert!(decode("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln").is_ok());
        assert!(decode("a.b").unwrap_err().contains("three parts"));
        assert!(decode("a.b.c.d.e").unwrap_err().contains("encrypted"));
        assert!(decode("!!.e30.x").unwrap_err().contains("header"));
    }
}
