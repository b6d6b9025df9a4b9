//! [`ClaimPath`]: how a claim is named, top-level or nested, and the syntax of that name.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use super::claim::Slot;
use crate::InvalidClaimPath;

/// The name of a claim: a top-level claim, or a member nested in object claims.
///
/// # Syntax
///
/// A path is one or more **segments** separated by `.`; each segment names a member of the
/// object before it (the first one a top-level claim).
///
/// - A **bare** segment is any run of characters other than `.`, `"`, `\`, whitespace and
///   control characters. `:`, `/`, `-`, `@`, `+` and non-ASCII letters are ordinary:
///   `cognito:groups`, `realm_access.roles`, `resource_access.orders-api.roles`.
/// - A **quoted** segment is written between double quotes and may contain anything; inside it
///   `\"` stands for `"` and `\\` for `\` (no other escapes). Quote a name that contains `.`
///   (Auth0's namespaced claims, for one): `"https://example.com/roles"`,
///   `resource_access."orders.api".roles`.
///
/// Every string names at most one path and every sequence of member names has a spelling, so
/// the syntax is unambiguous. An empty path, an empty bare segment (`a..b`, a leading or
/// trailing `.`), an unterminated quote, an unknown escape or anything but `.` after a closing
/// quote is an [`InvalidClaimPath`].
///
/// ```
/// use tollgate_verify::ClaimPath;
///
/// let path = ClaimPath::parse("resource_access.orders-api.roles")?;
/// assert_eq!(path.segments().collect::<Vec<_>>(), ["resource_access", "orders-api", "roles"]);
/// assert_eq!(ClaimPath::parse("cognito:groups")?.segments().count(), 1);
///
/// let auth0 = ClaimPath::parse(r#""https://example.com/roles""#)?;
/// assert_eq!(auth0.segments().collect::<Vec<_>>(), ["https://example.com/roles"]);
/// // The same path, built from the name itself.
/// assert_eq!(auth0, ClaimPath::top_level("https://example.com/roles"));
///
/// assert!(ClaimPath::parse("realm_access..roles").is_err());
/// assert!(ClaimPath::parse("https://example.com/roles").is_ok()); // three bare segments!
/// # Ok::<(), tollgate_verify::InvalidClaimPath>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ClaimPath {
    /// The path as written (or, for [`ClaimPath::top_level`], its canonical spelling).
    text: Box<str>,
    segments: Box<[Box<str>]>,
    /// Where the first segment's claim is kept in [`Claims`](crate::Claims).
    slot: Slot,
}

impl ClaimPath {
    /// Reads a path written in the syntax above.
    ///
    /// # Errors
    ///
    /// [`InvalidClaimPath`] when `path` is not a path.
    pub fn parse(path: &str) -> Result<Self, InvalidClaimPath> {
        let segments = Segments::new(path)
            .map(|segment| segment.map(Cow::into_owned).map(String::into_boxed_str))
            .collect::<Result<Box<[Box<str>]>, _>>()?;
        let slot = Slot::of(segments.first().map_or("", |s| &**s));
        Ok(Self {
            text: path.into(),
            segments,
            slot,
        })
    }

    /// The path of the top-level claim called `name`, whatever characters it holds (no syntax
    /// is read: `top_level("a.b")` is the claim named `a.b`, not `b` inside `a`).
    #[must_use]
    pub fn top_level(name: &str) -> Self {
        Self {
            text: quote_if_needed(name).into(),
            segments: Box::new([name.into()]),
            slot: Slot::of(name),
        }
    }

    /// The member names, outermost first, with quotes and escapes removed.
    pub fn segments(&self) -> impl ExactSizeIterator<Item = &str> + Clone {
        self.segments.iter().map(|s| &**s)
    }

    /// The path as written.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub(crate) fn slot(&self) -> Slot {
        self.slot
    }
}

impl FromStr for ClaimPath {
    type Err = InvalidClaimPath;

    fn from_str(path: &str) -> Result<Self, InvalidClaimPath> {
        Self::parse(path)
    }
}

impl fmt::Display for ClaimPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for ClaimPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ClaimPath").field(&&*self.text).finish()
    }
}

/// Whether `c` may appear in a bare segment.
fn is_bare(c: char) -> bool {
    !matches!(c, '.' | '"' | '\\') && !c.is_whitespace() && !c.is_control()
}

/// `name` as one segment: bare when it can be, quoted otherwise.
fn quote_if_needed(name: &str) -> Cow<'_, str> {
    if !name.is_empty() && name.chars().all(is_bare) {
        return Cow::Borrowed(name);
    }
    let mut quoted = String::with_capacity(name.len() + 2);
    quoted.push('"');
    for c in name.chars() {
        if matches!(c, '"' | '\\') {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('"');
    Cow::Owned(quoted)
}

/// The segments of a path, read lazily: borrowed from the path unless a quoted segment holds
/// an escape. Lookups by a path given as text ([`Claims::claim`](crate::Claims::claim)) walk
/// the claims with it without allocating.
#[derive(Clone)]
pub(crate) struct Segments<'p> {
    rest: &'p str,
    /// Whether a segment must follow (at the start, and after a `.`).
    expect_segment: bool,
    failed: bool,
}

impl<'p> Segments<'p> {
    pub(crate) fn new(path: &'p str) -> Self {
        Self {
            rest: path,
            expect_segment: true,
            failed: false,
        }
    }

    fn segment(&mut self) -> Result<Cow<'p, str>, InvalidClaimPath> {
        let text = self.rest;
        let (segment, after) = if let Some(quoted) = text.strip_prefix('"') {
            quoted_segment(quoted)?
        } else {
            let end = text.find(|c: char| !is_bare(c)).unwrap_or(text.len());
            if end == 0 {
                return Err(match text.chars().next() {
                    None | Some('.') => InvalidClaimPath::EmptySegment,
                    Some(_) => InvalidClaimPath::UnexpectedCharacter,
                });
            }
            (Cow::Borrowed(&text[..end]), &text[end..])
        };
        match after.strip_prefix('.') {
            Some(rest) => {
                self.rest = rest;
                self.expect_segment = true;
            }
            None if after.is_empty() => {
                self.rest = after;
                self.expect_segment = false;
            }
            None => return Err(InvalidClaimPath::UnexpectedCharacter),
        }
        Ok(segment)
    }
}

/// A quoted segment (after its opening quote): the unescaped name and what follows the closing
/// quote.
fn quoted_segment(text: &str) -> Result<(Cow<'_, str>, &str), InvalidClaimPath> {
    let mut owned: Option<String> = None;
    let mut start = 0;
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => {
                let name = match owned {
                    Some(mut name) => {
                        name.push_str(&text[start..i]);
                        Cow::Owned(name)
                    }
                    None => Cow::Borrowed(&text[..i]),
                };
                return Ok((name, &text[i + 1..]));
            }
            '\\' => {
                let escaped = match chars.next() {
                    Some((_, e @ ('"' | '\\'))) => e,
                    Some(_) => return Err(InvalidClaimPath::UnknownEscape),
                    None => return Err(InvalidClaimPath::UnterminatedQuote),
                };
                let name = owned.get_or_insert_with(String::new);
                name.push_str(&text[start..i]);
                name.push(escaped);
                start = i + 2;
            }
            _ => {}
        }
    }
    Err(InvalidClaimPath::UnterminatedQuote)
}

impl<'p> Iterator for Segments<'p> {
    type Item = Result<Cow<'p, str>, InvalidClaimPath>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || !self.expect_segment {
            return None;
        }
        if self.rest.is_empty() {
            self.failed = true;
            return Some(Err(InvalidClaimPath::EmptySegment));
        }
        let segment = self.segment();
        self.failed = segment.is_err();
        Some(segment)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segments(path: &str) -> Result<Vec<String>, InvalidClaimPath> {
        ClaimPath::parse(path).map(|p| p.segments().map(str::to_owned).collect())
    }

    #[test]
    fn bare_and_nested_paths() {
        assert_eq!(segments("cognito:groups").unwrap(), ["cognito:groups"]);
        assert_eq!(segments("groups").unwrap(), ["groups"]);
        assert_eq!(
            segments("realm_access.roles").unwrap(),
            ["realm_access", "roles"]
        );
        assert_eq!(
            segments("resource_access.orders-api.roles").unwrap(),
            ["resource_access", "orders-api", "roles"]
        );
        assert_eq!(segments("custom:tenant").unwrap(), ["custom:tenant"]);
        assert_eq!(segments("é.ü/+@").unwrap(), ["é", "ü/+@"]);
    }

    #[test]
    fn quoted_segments_hold_anything() {
        assert_eq!(
            segments(r#""https://example.com/roles""#).unwrap(),
            ["https://example.com/roles"]
        );
        assert_eq!(
            segments(r#"resource_access."orders.api".roles"#).unwrap(),
            ["resource_access", "orders.api", "roles"]
        );
        assert_eq!(segments(r#""a\"b\\c""#).unwrap(), ["a\"b\\c"]);
        assert_eq!(segments(r#""""#).unwrap(), [""]);
        assert_eq!(segments(r#""a b".c"#).unwrap(), ["a b", "c"]);
        assert_eq!(segments(r#""x"."y""#).unwrap(), ["x", "y"]);
    }

    #[test]
    fn malformed_paths_are_refused() {
        use InvalidClaimPath::*;
        for (path, error) in [
            ("", EmptySegment),
            (".", EmptySegment),
            ("a.", EmptySegment),
            (".a", EmptySegment),
            ("a..b", EmptySegment),
            ("a b", UnexpectedCharacter),
            (" a", UnexpectedCharacter),
            ("a\tb", UnexpectedCharacter),
            ("a\\b", UnexpectedCharacter),
            ("a\"b\"", UnexpectedCharacter),
            (r#""a"b"#, UnexpectedCharacter),
            (r#""a""b""#, UnexpectedCharacter),
            (r#""abc"#, UnterminatedQuote),
            (r#""abc\""#, UnterminatedQuote),
            (r#""a\n""#, UnknownEscape),
            (r#""a\"#, UnterminatedQuote),
        ] {
            assert_eq!(ClaimPath::parse(path), Err(error), "{path:?}");
        }
    }

    /// Every sequence of names has a spelling that reads back as itself.
    #[test]
    fn top_level_names_round_trip() {
        for name in [
            "cognito:groups",
            "https://example.com/roles",
            "a\"b",
            "a\\b",
            "",
            " spaced ",
            "a.b.c",
            "tab\there",
        ] {
            let path = ClaimPath::top_level(name);
            assert_eq!(path.segments().collect::<Vec<_>>(), [name]);
            assert_eq!(ClaimPath::parse(path.as_str()).unwrap(), path, "{name:?}");
        }
        assert_eq!(ClaimPath::top_level("groups").as_str(), "groups");
        assert_eq!(
            ClaimPath::top_level("https://example.com/roles").as_str(),
            r#""https://example.com/roles""#
        );
    }

    #[test]
    fn lazy_segments_borrow_unless_escaped() {
        let all: Vec<_> = Segments::new(r#"a."b.c"."d\"e""#)
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(matches!(all[0], Cow::Borrowed("a")));
        assert!(matches!(all[1], Cow::Borrowed("b.c")));
        assert!(matches!(&all[2], Cow::Owned(s) if s == "d\"e"));
        // After an error the iterator ends.
        let mut broken = Segments::new("a..b");
        assert!(matches!(broken.next(), Some(Ok(_))));
        assert_eq!(broken.next(), Some(Err(InvalidClaimPath::EmptySegment)));
        assert_eq!(broken.next(), None);
    }
}
