//! Reading a token from the command line or standard input.

use std::io::Read as _;

/// The token given as an argument, or read from standard input when it is `-` or absent
/// (surrounding whitespace removed).
pub(super) fn token(argument: Option<&str>) -> Result<String, String> {
    let text = match argument {
        Some(token) if token != "-" => token.to_owned(),
        _ => {
            let mut text = String::new();
            std::io::stdin()
                .take(64 * 1024)
                .read_to_string(&mut text)
                .map_err(|e| format!("cannot read the token from standard input: {e}"))?;
            text
        }
    };
    let token = text.trim();
    if token.is_empty() {
        return Err("no token: give it as an argument, or on standard input".to_owned());
    }
    Ok(token.to_owned())
}
