//! Minimal PEM (RFC 7468) armour: enough for PKCS#8 private keys and public keys.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::TestkitError;

/// A decoded PEM document: its label (`PRIVATE KEY`, ...) and DER body.
#[derive(Debug)]
pub(crate) struct Pem {
    pub(crate) label: String,
    pub(crate) der: Vec<u8>,
}

/// Decodes the first PEM block in `text`. Text before `-----BEGIN` is ignored
/// (RFC 7468 §2 "explanatory text"); the body may contain any whitespace.
pub(crate) fn decode(text: &str) -> Result<Pem, TestkitError> {
    const BEGIN: &str = "-----BEGIN ";
    const DASHES: &str = "-----";
    let start = text.find(BEGIN).ok_or(TestkitError::InvalidPem {
        reason: "no BEGIN line",
    })?;
    let after_begin = &text[start + BEGIN.len()..];
    let label_end = after_begin.find(DASHES).ok_or(TestkitError::InvalidPem {
        reason: "unterminated BEGIN line",
    })?;
    let label = &after_begin[..label_end];
    let rest = &after_begin[label_end + DASHES.len()..];
    let end_line = format!("-----END {label}-----");
    let body_end = rest.find(&end_line).ok_or(TestkitError::InvalidPem {
        reason: "no matching END line",
    })?;
    let body: String = rest[..body_end]
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    if body.is_empty() {
        return Err(TestkitError::InvalidPem {
            reason: "empty body",
        });
    }
    let der = STANDARD
        .decode(body.as_bytes())
        .map_err(|_| TestkitError::InvalidPem {
            reason: "body is not valid base64",
        })?;
    Ok(Pem {
        label: label.to_owned(),
        der,
    })
}

/// Encodes `der` as a PEM block with 64-column lines and a trailing newline.
pub(crate) fn encode(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        // base64 output is ASCII, so every chunk is valid UTF-8.
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::{decode, encode};

    #[test]
    fn encode_then_decode_round_trips() {
        let der: Vec<u8> = (0..=255).collect();
        let text = encode("PUBLIC KEY", &der);
        assert!(text.lines().all(|l| l.len() <= 64));
        let pem = decode(&text).unwrap();
        assert_eq!(pem.label, "PUBLIC KEY");
        assert_eq!(pem.der, der);
    }

    #[test]
    fn decode_rejects_missing_armour_and_bad_base64() {
        assert!(decode("MIIB").is_err());
        assert!(decode("-----BEGIN X-----\nMIIB\n").is_err());
        assert!(decode("-----BEGIN X-----\n!!!!\n-----END X-----\n").is_err());
        assert!(decode("-----BEGIN X-----\n\n-----END X-----\n").is_err());
    }
}
