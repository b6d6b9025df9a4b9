//! Granted scopes, parsed once per token.

use std::fmt;
use std::sync::Arc;

use smallvec::SmallVec;

/// The scopes a token grants: a set of exact, case-sensitive scope tokens (RFC 6749 §3.3).
///
/// Parsed once when the token is verified; `contains` is a binary search, so checks stay cheap
/// even for tokens with thousands of scopes. Cloning is cheap.
///
/// ```
/// use tollgate_verify::Scopes;
///
/// let scopes = Scopes::parse("orders/read  orders/write https://api.example.com/read");
/// assert!(scopes.contains("orders/read"));
/// assert!(!scopes.contains("orders/rea"));
/// assert!(!scopes.contains("Orders/read"));
/// assert!(scopes.all(["orders/read", "orders/write"]));
/// assert!(scopes.any(["orders/admin", "https://api.example.com/read"]));
/// assert_eq!(scopes.len(), 3);
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Scopes(Option<Arc<ScopeSet>>);

/// The sorted, distinct scopes back to back in one string, and where each one ends (inline
/// for up to six scopes: the set then costs two allocations, itself and its text).
#[derive(PartialEq, Eq, Hash)]
struct ScopeSet {
    text: Box<str>,
    ends: SmallVec<[u32; 6]>,
}

impl ScopeSet {
    fn get(&self, index: usize) -> &str {
        let end = self.ends.get(index).map_or(0, |e| *e as usize);
        let start = match index.checked_sub(1) {
            Some(previous) => self.ends.get(previous).map_or(0, |e| *e as usize),
            None => 0,
        };
        self.text.get(start..end).unwrap_or_default()
    }
}

impl Scopes {
    /// Parses a space-delimited scope string. Only the space character separates scopes;
    /// empty tokens (from repeated, leading or trailing spaces) are dropped. A tab, comma or
    /// newline is part of a scope token, so such a token matches nothing a route asks for.
    #[must_use]
    pub fn parse(scope: &str) -> Self {
        let mut tokens = SmallVec::new();
        split_into(scope, &mut tokens);
        Self::from_tokens(tokens)
    }

    /// The set of these scope tokens (sorted and deduplicated here).
    pub(crate) fn from_tokens<S: AsRef<str>>(mut scopes: SmallVec<[S; 16]>) -> Self {
        scopes.sort_unstable_by(|a, b| a.as_ref().cmp(b.as_ref()));
        scopes.dedup_by(|a, b| a.as_ref() == b.as_ref());
        if scopes.is_empty() {
            return Self(None);
        }
        let mut text = String::with_capacity(scopes.iter().map(|s| s.as_ref().len()).sum());
        let mut ends = SmallVec::with_capacity(scopes.len());
        for scope in &scopes {
            text.push_str(scope.as_ref());
            // A scope list longer than 4 GiB cannot come from a bounded token: stop there.
            let Ok(end) = u32::try_from(text.len()) else {
                break;
            };
            ends.push(end);
        }
        Self(Some(Arc::new(ScopeSet {
            text: text.into_boxed_str(),
            ends,
        })))
    }

    /// No scopes.
    #[must_use]
    pub fn empty() -> Self {
        Self::default()
    }

    /// Whether `scope` is granted (exact, case-sensitive match).
    #[must_use]
    pub fn contains(&self, scope: &str) -> bool {
        let Some(set) = &self.0 else {
            return false;
        };
        let (mut low, mut high) = (0, set.ends.len());
        while low < high {
            let middle = low + (high - low) / 2;
            match set.get(middle).cmp(scope) {
                std::cmp::Ordering::Equal => return true,
                std::cmp::Ordering::Less => low = middle + 1,
                std::cmp::Ordering::Greater => high = middle,
            }
        }
        false
    }

    /// Whether every one of `scopes` is granted (true for an empty list).
    #[must_use]
    pub fn all<I, S>(&self, scopes: I) -> bool
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        scopes.into_iter().all(|s| self.contains(s.as_ref()))
    }

    /// Whether at least one of `scopes` is granted (false for an empty list).
    #[must_use]
    pub fn any<I, S>(&self, scopes: I) -> bool
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        scopes.into_iter().any(|s| self.contains(s.as_ref()))
    }

    /// The granted scopes, sorted.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> {
        let set = self.0.as_deref();
        (0..set.map_or(0, |set| set.ends.len())).map(move |i| set.map_or("", |set| set.get(i)))
    }

    /// Number of distinct granted scopes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.as_ref().map_or(0, |set| set.ends.len())
    }

    /// Whether no scope is granted.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    /// Estimated heap bytes, allocator rounding included. Shared with every clone.
    pub(crate) fn heap_size(&self) -> usize {
        self.0.as_ref().map_or(0, |set| {
            crate::claims::alloc(16 + std::mem::size_of::<ScopeSet>())
                + crate::claims::alloc(set.text.len())
                + if set.ends.spilled() {
                    crate::claims::alloc(set.ends.capacity() * 4)
                } else {
                    0
                }
        })
    }
}

impl<S: AsRef<str>> FromIterator<S> for Scopes {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        Self::from_tokens(iter.into_iter().collect())
    }
}

/// Appends the tokens of a space-delimited scope string to `tokens` (only the space separates;
/// empty tokens are dropped).
pub(crate) fn split_into<'a>(scope: &'a str, tokens: &mut SmallVec<[&'a str; 16]>) {
    let mut start = 0;
    for space in memchr::memchr_iter(b' ', scope.as_bytes()) {
        if let Some(token) = scope.get(start..space).filter(|t| !t.is_empty()) {
            tokens.push(token);
        }
        start = space + 1;
    }
    if let Some(token) = scope.get(start..).filter(|t| !t.is_empty()) {
        tokens.push(token);
    }
}

impl fmt::Debug for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl fmt::Display for Scopes {
    /// The scopes, space-separated (the `scope` claim form).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, scope) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(scope)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_space_separates_and_empty_tokens_are_dropped() {
        let scopes = Scopes::parse("  a  b\tc d,e ");
        assert_eq!(scopes.iter().collect::<Vec<_>>(), ["a", "b\tc", "d,e"]);
        assert!(!scopes.contains("b"));
        assert!(!scopes.contains("c"));
        assert!(Scopes::parse("").is_empty());
    }

    #[test]
    fn set_semantics() {
        assert_eq!(Scopes::parse("b a a"), Scopes::parse("a b"));
        assert!(Scopes::parse("a").all(Vec::<&str>::new()));
        assert!(!Scopes::parse("a").any(Vec::<&str>::new()));
        assert_eq!(Scopes::parse("b a").to_string(), "a b");
    }

    #[test]
    fn large_sets_stay_cheap() {
        let big: String = (0..10_000).map(|i| format!("s{i} ")).collect();
        let scopes = Scopes::parse(&big);
        assert_eq!(scopes.len(), 10_000);
        assert!(scopes.contains("s9999"));
        assert!(!scopes.contains("s10000"));
    }
}
