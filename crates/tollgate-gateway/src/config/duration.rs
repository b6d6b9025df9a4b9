//! Durations in the configuration: `"500ms"`, `"30s"`, `"5m"`, `"1h"`, `"1d"`.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;
use serde::de::{self, Visitor};
use toml::Spanned;

/// A duration written as a whole number and a unit (`ms`, `s`, `m`, `h`, `d`), with the
/// place it was written.
#[derive(Debug, Clone)]
pub(crate) struct ConfigDuration(pub(crate) Spanned<DurationValue>);

impl ConfigDuration {
    pub(crate) fn get(&self) -> Duration {
        self.0.get_ref().0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DurationValue(pub(crate) Duration);

impl<'de> Deserialize<'de> for ConfigDuration {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Spanned::<DurationValue>::deserialize(deserializer).map(Self)
    }
}

impl<'de> Deserialize<'de> for DurationValue {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DurationVisitor;

        impl Visitor<'_> for DurationVisitor {
            type Value = DurationValue;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration such as \"500ms\", \"30s\", \"5m\", \"1h\" or \"1d\"")
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
                parse(value).map(DurationValue).ok_or_else(|| {
                    E::custom(format_args!(
                        "`{value}` is not a duration: write a whole number and a unit \
                         (ms, s, m, h, d), such as \"30s\""
                    ))
                })
            }
        }

        deserializer.deserialize_str(DurationVisitor)
    }
}

/// `"30s"` → 30 seconds. `None` for anything else (no fractions, no spaces, no sums).
pub(crate) fn parse(text: &str) -> Option<Duration> {
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = text.split_at(split);
    if number.is_empty() || number.len() > 12 {
        return None;
    }
    let n: u64 = number.parse().ok()?;
    let seconds = |factor: u64| n.checked_mul(factor).map(Duration::from_secs);
    match unit {
        "ms" => Some(Duration::from_millis(n)),
        "s" => seconds(1),
        "m" => seconds(60),
        "h" => seconds(3600),
        "d" => seconds(86_400),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert_eq!(parse("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse("30s"), Some(Duration::from_secs(30)));
        assert_eq!(parse("5m"), Some(Duration::from_secs(300)));
        assert_eq!(parse("2h"), Some(Duration::from_secs(7200)));
        assert_eq!(parse("1d"), Some(Duration::from_secs(86_400)));
        for bad in [
            "", "s", "30", "1.5s", " 30s", "30 s", "-1s", "30S", "1w", "1s1m",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }
}
