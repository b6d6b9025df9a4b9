//! `${NAME}` in configuration strings: filled from the environment when the file is read.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Visitor};

/// A string in which every `${NAME}` was replaced by the environment variable `NAME` (`$$`
/// writes one `$`). A variable that is not set, or not Unicode, is an error that names it;
/// its value is never printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EnvString(pub(crate) String);

impl EnvString {
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for EnvString {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EnvVisitor;

        impl Visitor<'_> for EnvVisitor {
            type Value = EnvString;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string (`${NAME}` is replaced by the environment variable NAME)")
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
                expand(value, |name| std::env::var(name).ok())
                    .map(EnvString)
                    .map_err(E::custom)
            }
        }

        deserializer.deserialize_str(EnvVisitor)
    }
}

/// Replaces `${NAME}` with `lookup(NAME)`; `$$` is a literal `$`.
pub(crate) fn expand(
    text: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(tail) = after.strip_prefix('{') {
            let Some(end) = tail.find('}') else {
                return Err("`${` without a closing `}`".to_owned());
            };
            let name = &tail[..end];
            let valid =
                !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            if !valid {
                return Err(format!(
                    "`${{{name}}}` is not a variable name (letters, digits and `_`)"
                ));
            }
            match lookup(name) {
                Some(value) => out.push_str(&value),
                None => return Err(format!("environment variable `{name}` is not set")),
            }
            rest = &tail[end + 1..];
        } else {
            return Err("a `$` must start `${NAME}` or be written `$$`".to_owned());
        }
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(name: &str) -> Option<String> {
        (name == "POOL").then(|| "eu-west-1_Abc".to_owned())
    }

    #[test]
    fn expands_and_names_what_is_missing() {
        assert_eq!(expand("plain", lookup).unwrap(), "plain");
        assert_eq!(expand("id ${POOL}!", lookup).unwrap(), "id eu-west-1_Abc!");
        assert_eq!(expand("$$5", lookup).unwrap(), "$5");
        assert_eq!(
            expand("${NOPE}", lookup).unwrap_err(),
            "environment variable `NOPE` is not set"
        );
        assert!(expand("${POOL", lookup).is_err());
        assert!(expand("${a-b}", lookup).is_err());
        assert!(expand("$POOL", lookup).is_err());
    }
}
