//! Rendering untrusted strings (such as a token's `kid`) for logs.

/// Escapes control characters and non-ASCII, and truncates to 64 characters, so an
/// attacker-chosen string cannot forge log lines or flood them.
///
/// ```
/// assert_eq!(tollgate_jwks::log_safe("a\nb"), "a\\nb");
/// assert_eq!(tollgate_jwks::log_safe(&"x".repeat(100)).len(), 67);
/// ```
#[must_use]
pub fn log_safe(untrusted: &str) -> String {
    const LIMIT: usize = 64;
    let mut out = String::with_capacity(untrusted.len().min(LIMIT) + 3);
    for (count, c) in untrusted.chars().enumerate() {
        if count == LIMIT {
            out.push_str("...");
            break;
        }
        if c.is_ascii_graphic() || c == ' ' {
            out.push(c);
        } else {
            out.extend(c.escape_default());
        }
    }
    out
}
