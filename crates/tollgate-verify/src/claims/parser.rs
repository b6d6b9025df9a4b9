//! The claims parser: one pass over the payload that reads the known claims in place. Every
//! typed claim is type-checked, duplicate members are detected at every depth, members are
//! bounded, and the string claims are copied once into one buffer.

use serde_json::Value;
use smallvec::SmallVec;

use super::{Claims, Raw, Span, Spans};
use crate::json_reader::{Malformed, Next, Num, Reader};
use crate::strict_json::MAX_PAYLOAD_MEMBERS;

/// Largest accepted NumericDate: 9999-12-31T23:59:59Z.
const MAX_NUMERIC_DATE: i64 = 253_402_300_799;

/// The outcome of reading a payload: the claims, plus what was wrong with them.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct ParsedClaims {
    pub(crate) claims: Claims,
    pub(crate) duplicate: bool,
    /// The first typed claim whose JSON type was wrong.
    pub(crate) wrong_type: Option<&'static str>,
    /// The first time claim whose number was out of range.
    pub(crate) out_of_range: Option<&'static str>,
}

enum Date {
    Ok(i64),
    OutOfRange,
}

/// NumericDate (RFC 7519 §2): a JSON number, possibly non-integer (floored), within
/// 0..=9999-12-31.
fn numeric_date(value: Num) -> Date {
    match value {
        Num::Int(v) if (0..=MAX_NUMERIC_DATE).contains(&v) => Date::Ok(v),
        Num::UInt(v) if v <= MAX_NUMERIC_DATE.unsigned_abs() => {
            Date::Ok(i64::try_from(v).unwrap_or(MAX_NUMERIC_DATE))
        }
        #[allow(clippy::cast_possible_truncation)]
        Num::Float(v) if v.is_finite() && (0.0..=MAX_NUMERIC_DATE as f64).contains(&v) => {
            Date::Ok(v.floor() as i64)
        }
        Num::Int(_) | Num::UInt(_) | Num::Float(_) => Date::OutOfRange,
    }
}

/// The shared text buffer of a [`Claims`]. It starts with the payload's length as its
/// capacity, which every string claim fits in, so it never grows; the excess is given back
/// only if the token is cached ([`Claims::shrink_to_fit`]).
struct Text(String);

impl Text {
    fn get(&self, span: Span) -> &str {
        let start = span.start as usize;
        self.0
            .get(start..start + span.len as usize)
            .unwrap_or_default()
    }

    fn push(&mut self, s: &str) -> Option<Span> {
        let start = u32::try_from(self.0.len()).ok()?;
        let len = u32::try_from(s.len()).ok()?;
        self.0.push_str(s);
        Some(Span { start, len })
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Str,
    Date,
    List { single: bool },
    Raw,
}

/// A claim that is not typed, as read: a string into the text buffer, a number, or any
/// other JSON value.
fn raw(reader: &mut Reader<'_>, text: &mut Text) -> Result<Option<Raw>, Malformed> {
    Ok(match reader.next() {
        Next::String => text.push(&reader.string()?).map(Raw::Str),
        Next::Number => Some(match reader.number()?.to_number() {
            Some(n) => Raw::Num(n),
            None => Raw::Json(Box::new(Value::Null)),
        }),
        _ => Some(Raw::Json(Box::new(reader.value()?))),
    })
}

/// A list claim: an array of strings (or, when `single` is allowed, one string). `Ok(None)`
/// when the value has another type (it is still read and checked).
fn list(
    reader: &mut Reader<'_>,
    text: &mut Text,
    single: bool,
) -> Result<Option<Spans>, Malformed> {
    match reader.next() {
        Next::String if single => {
            let s = reader.string()?;
            Ok(text.push(&s).map(|span| Spans::from_slice(&[span])))
        }
        Next::Array => {
            reader.begin_array()?;
            let mut spans = Spans::new();
            let mut strings = true;
            let mut first = true;
            while reader.next_element(&mut first)? {
                if strings && reader.next() == Next::String {
                    match text.push(&reader.string()?) {
                        Some(span) => spans.push(span),
                        None => strings = false,
                    }
                } else {
                    strings = false;
                    reader.skip_value()?;
                }
            }
            Ok(strings.then(|| {
                spans.shrink_to_fit();
                spans
            }))
        }
        _ => reader.skip_value().map(|()| None),
    }
}

/// The typed claims: how each is read, its name, its bit in the seen-set. Matched byte by
/// byte (a decision tree, no string comparisons).
fn typed(name: &[u8]) -> Option<(Kind, &'static str, u16)> {
    Some(match name {
        [b'i', b's', b's'] => (Kind::Str, "iss", 1 << 0),
        [b's', b'u', b'b'] => (Kind::Str, "sub", 1 << 1),
        [b'j', b't', b'i'] => (Kind::Str, "jti", 1 << 2),
        [b'c', b'l', b'i', b'e', b'n', b't', b'_', b'i', b'd'] => (Kind::Str, "client_id", 1 << 3),
        [b't', b'o', b'k', b'e', b'n', b'_', b'u', b's', b'e'] => (Kind::Str, "token_use", 1 << 4),
        [b'u', b's', b'e', b'r', b'n', b'a', b'm', b'e'] => (Kind::Str, "username", 1 << 5),
        [b'e', b'x', b'p'] => (Kind::Date, "exp", 1 << 6),
        [b'n', b'b', b'f'] => (Kind::Date, "nbf", 1 << 7),
        [b'i', b'a', b't'] => (Kind::Date, "iat", 1 << 8),
        [b'a', b'u', b't', b'h', b'_', b't', b'i', b'm', b'e'] => (Kind::Date, "auth_time", 1 << 9),
        [b'a', b'u', b'd'] => (Kind::List { single: true }, "aud", 1 << 10),
        [
            b'c',
            b'o',
            b'g',
            b'n',
            b'i',
            b't',
            b'o',
            b':',
            b'g',
            b'r',
            b'o',
            b'u',
            b'p',
            b's',
        ] => (Kind::List { single: false }, "cognito:groups", 1 << 11),
        [b's', b'c', b'o', b'p', b'e'] => (Kind::Raw, "scope", 1 << 12),
        [b's', b'c', b'p'] => (Kind::Raw, "scp", 1 << 13),
        _ => return None,
    })
}

impl ParsedClaims {
    /// Reads a payload: a UTF-8 JSON object, nothing after it.
    pub(crate) fn parse(bytes: &[u8]) -> Result<Self, Malformed> {
        let payload = std::str::from_utf8(bytes).map_err(|_| Malformed)?;
        let mut reader = Reader::new(payload, MAX_PAYLOAD_MEMBERS);
        reader.begin_object()?;
        let mut parsed = Self::default();
        let mut text = Text(String::with_capacity(bytes.len()));
        let mut extra: SmallVec<[(Span, Raw); 8]> = SmallVec::new();
        // Typed claims seen so far, one bit each: a repeat is a duplicate whatever the type
        // of either copy (a slot stays empty after a wrong-typed first copy).
        let mut seen: u16 = 0;
        let mut first = true;
        while let Some(name) = reader.next_member(&mut first)? {
            let Some((kind, label, bit)) = typed(name.as_bytes()) else {
                let name = text.push(&name);
                let value = raw(&mut reader, &mut text)?;
                if let (Some(name), Some(value)) = (name, value) {
                    extra.push((name, value));
                }
                continue;
            };
            let repeated = seen & bit != 0;
            seen |= bit;
            parsed.duplicate |= repeated;
            let c = &mut parsed.claims;
            let mut wrong_type = false;
            match kind {
                Kind::Raw => {
                    let value = raw(&mut reader, &mut text)?;
                    if !repeated {
                        match label {
                            "scope" => c.scope = value,
                            _ => c.scp = value,
                        }
                    }
                }
                Kind::Str => match reader.next() {
                    Next::String => {
                        let s = reader.string()?;
                        if !repeated {
                            let slot = match label {
                                "iss" => &mut c.iss,
                                "sub" => &mut c.sub,
                                "jti" => &mut c.jti,
                                "client_id" => &mut c.client_id,
                                "token_use" => &mut c.token_use,
                                _ => &mut c.username,
                            };
                            *slot = text.push(&s);
                        }
                    }
                    _ => {
                        reader.skip_value()?;
                        wrong_type = true;
                    }
                },
                Kind::Date => match reader.next() {
                    Next::Number => {
                        let slot = match label {
                            "exp" => &mut c.exp,
                            "nbf" => &mut c.nbf,
                            "iat" => &mut c.iat,
                            _ => &mut c.auth_time,
                        };
                        match numeric_date(reader.number()?) {
                            Date::Ok(v) if !repeated => *slot = Some(v),
                            Date::Ok(_) => {}
                            Date::OutOfRange => {
                                parsed.out_of_range.get_or_insert(label);
                            }
                        }
                    }
                    _ => {
                        reader.skip_value()?;
                        wrong_type = true;
                    }
                },
                Kind::List { single } => match list(&mut reader, &mut text, single)? {
                    Some(list) if !repeated => {
                        if label == "aud" {
                            c.aud = Some(list);
                        } else {
                            c.groups = Some(list);
                        }
                    }
                    Some(_) => {}
                    None => wrong_type = true,
                },
            }
            if wrong_type {
                parsed.wrong_type.get_or_insert(label);
            }
        }
        reader.end()?;
        parsed.duplicate |= reader.duplicate();
        let name = |span: &Span| text.get(*span);
        extra.sort_unstable_by(|(a, _), (b, _)| name(a).cmp(name(b)));
        if extra
            .windows(2)
            .any(|pair| matches!(pair, [(a, _), (b, _)] if name(a) == name(b)))
        {
            parsed.duplicate = true;
        }
        parsed.claims.text = text.0;
        // Collected with the exact capacity: no shrinking reallocation.
        let mut extras = Vec::with_capacity(extra.len());
        extras.extend(extra);
        parsed.claims.extra = extras.into_boxed_slice();
        Ok(parsed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> ParsedClaims {
        ParsedClaims::parse(json.as_bytes()).unwrap()
    }

    #[test]
    fn types_are_checked_not_ignored() {
        assert_eq!(parse(r#"{"exp":"9999999999"}"#).wrong_type, Some("exp"));
        assert_eq!(parse(r#"{"exp":true}"#).wrong_type, Some("exp"));
        assert_eq!(parse(r#"{"exp":null}"#).wrong_type, Some("exp"));
        assert_eq!(parse(r#"{"exp":[]}"#).wrong_type, Some("exp"));
        assert_eq!(parse(r#"{"iss":["a"]}"#).wrong_type, Some("iss"));
        assert_eq!(parse(r#"{"client_id":1}"#).wrong_type, Some("client_id"));
        assert_eq!(
            parse(r#"{"cognito:groups":"admins"}"#).wrong_type,
            Some("cognito:groups")
        );
        assert_eq!(parse(r#"{"aud":[1]}"#).wrong_type, Some("aud"));
        assert_eq!(
            parse(r#"{"aud":"a"}"#)
                .claims
                .audience()
                .collect::<Vec<_>>(),
            ["a"]
        );
    }

    #[test]
    fn numeric_dates() {
        assert_eq!(
            parse(r#"{"exp":1700000000.7}"#).claims.exp,
            Some(1_700_000_000)
        );
        assert_eq!(parse(r#"{"exp":-1}"#).out_of_range, Some("exp"));
        assert_eq!(parse(r#"{"exp":1e300}"#).out_of_range, Some("exp"));
        assert_eq!(
            parse(r#"{"exp":18446744073709551616}"#).out_of_range,
            Some("exp")
        );
        assert_eq!(parse(r#"{"exp":0}"#).claims.exp, Some(0));
        assert!(ParsedClaims::parse(br#"{"exp":1e400}"#).is_err());
    }

    #[test]
    fn duplicates_anywhere_are_flagged() {
        assert!(parse(r#"{"exp":1,"exp":2}"#).duplicate);
        assert!(parse(r#"{"scope":"a","scope":"b"}"#).duplicate);
        assert!(parse(r#"{"custom":1,"custom":2}"#).duplicate);
        assert!(parse(r#"{"custom":{"a":1,"a":2}}"#).duplicate);
        assert!(
            parse(r#"{"exp":"x","exp":1}"#).duplicate,
            "wrong-typed first copy"
        );
        assert!(
            parse(r#"{"exp":-1,"exp":1}"#).duplicate,
            "out-of-range first copy"
        );
        assert!(parse(r#"{"aud":5,"aud":"a"}"#).duplicate);
        assert!(parse(r#"{"\u0065xp":1,"exp":2}"#).duplicate, "escaped name");
        assert!(parse(r#"{"exp":1,"x":[{"a":1,"\u0061":2}]}"#).duplicate);
        assert!(!parse(r#"{"exp":1,"custom":{"a":1}}"#).duplicate);
    }

    #[test]
    fn member_count_is_bounded() {
        let members = |n: usize| {
            let body: Vec<String> = (0..n).map(|i| format!("\"m{i}\":{i}")).collect();
            format!("{{{}}}", body.join(","))
        };
        assert!(ParsedClaims::parse(members(MAX_PAYLOAD_MEMBERS).as_bytes()).is_ok());
        assert!(ParsedClaims::parse(members(MAX_PAYLOAD_MEMBERS + 1).as_bytes()).is_err());
        let nested = format!("{{\"custom\":{}}}", members(MAX_PAYLOAD_MEMBERS));
        assert!(ParsedClaims::parse(nested.as_bytes()).is_err());
    }

    #[test]
    fn payload_shape_is_strict() {
        assert!(ParsedClaims::parse(b"[]").is_err());
        assert!(ParsedClaims::parse(br#"{"exp":1}garbage"#).is_err());
        assert!(ParsedClaims::parse(b"\xef\xbb\xbf{}").is_err());
        assert!(ParsedClaims::parse(b"{\"x\":\"\xff\"}").is_err());
        let deep = "[".repeat(100_000);
        assert!(ParsedClaims::parse(format!(r#"{{"x":{deep}}}"#).as_bytes()).is_err());
    }
}

/// The differential property test: this parser and the `serde_json`-based one it replaced
/// (`serde_reference.rs`) accept and refuse exactly the same payloads, with the same
/// findings (duplicate, first wrong type, first value out of range) and the same claims.
#[cfg(test)]
mod differential {
    use proptest::prelude::*;

    use super::ParsedClaims;
    use crate::claims::serde_reference;

    /// Same outcome from both parsers.
    fn same(bytes: &[u8]) -> Result<(), TestCaseError> {
        let old = serde_reference::parse(bytes);
        let new = ParsedClaims::parse(bytes);
        match (old, new) {
            (Err(_), Err(_)) => {}
            (Ok(old), Ok(new)) => prop_assert_eq!(old, new),
            (old, new) => prop_assert!(
                false,
                "reference {:?}, new {:?} for {:?}",
                old.map(|_| ()).map_err(|e| e.to_string()),
                new.map(|_| ()),
                String::from_utf8_lossy(bytes)
            ),
        }
        Ok(())
    }

    /// A JSON value to render.
    #[derive(Debug, Clone)]
    enum Node {
        Str(String),
        /// A number literal, written as is.
        Num(String),
        Bool(bool),
        Null,
        Array(Vec<Node>),
        Object(Vec<(String, Node)>),
        /// JSON text written as is (string literals with arbitrary escapes).
        Raw(String),
    }

    const TYPED: [&str; 14] = [
        "iss",
        "sub",
        "jti",
        "client_id",
        "token_use",
        "username",
        "exp",
        "nbf",
        "iat",
        "auth_time",
        "aud",
        "cognito:groups",
        "scope",
        "scp",
    ];

    fn name() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => proptest::sample::select(&TYPED[..]).prop_map(str::to_owned),
            2 => "[a-z:_]{0,5}",
            1 => "\\PC{0,4}",
            1 => proptest::sample::select(&["version", "x", "a", "\u{e9}", "\u{1f600}", "exp\u{0}", "Exp"][..]).prop_map(str::to_owned),
        ]
    }

    fn string() -> impl Strategy<Value = String> {
        prop_oneof![
            3 => "[ -~]{0,12}",
            2 => "\\PC{0,8}",
            1 => "[\"\\\\/\u{0}-\u{1f}\u{7f}\u{80}\u{2028}\u{fffd}\u{1f600}a]{0,6}",
            1 => Just("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC".to_owned()),
        ]
    }

    fn number() -> impl Strategy<Value = String> {
        prop_oneof![
            3 => any::<u64>().prop_map(|n| n.to_string()),
            2 => (0u64..300_000_000_000).prop_map(|n| n.to_string()),
            1 => any::<i64>().prop_map(|n| n.to_string()),
            1 => any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| format!("{f:?}")),
            2 => "-?(0|[1-9][0-9]{0,24})(\\.[0-9]{1,20})?([eE][+-]?[0-9]{1,4})?",
            1 => proptest::sample::select(&[
                "-0", "0", "-0.0", "1e400", "-1e400", "1e-400", "253402300799", "253402300800",
                "253402300799.5", "253402300799.99999999", "1700000000.9999999999999999",
                "18446744073709551615", "18446744073709551616", "-9223372036854775808",
                "-9223372036854775809", "9999999999999999999", "10000000000000000000",
                "1E2", "1e+2", "0.1e1", "123456789012345678901234567890",
                // Not numbers, or not JSON ones.
                "01", "1.", ".5", "+1", "-", "1e", "0x10", "NaN", "Infinity", "1_0",
            ][..]).prop_map(str::to_owned),
        ]
    }

    /// A string literal made of escapes of any UTF-16 unit (surrogates often, paired or
    /// not), short escapes, invalid escapes and plain characters.
    fn escaped_literal() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            2 => (0xd7f0u32..0xe010).prop_map(|u| format!("\\u{u:04x}")),
            1 => any::<u16>().prop_map(|u| format!("\\u{u:04X}")),
            1 => ((0xd800u32..0xdc00), (0xdc00u32..0xe000)).prop_map(|(h, l)| format!("\\u{h:04x}\\u{l:04x}")),
            1 => proptest::sample::select(&["\\n", "\\\"", "\\\\", "\\/", "\\b", "\\f", "\\r", "\\t", "\\x", "\\u00", "\\u00g0", "\\U0041", "\\"][..]).prop_map(str::to_owned),
            2 => "[a-z\u{e9}\u{1f600}]{1,3}",
        ];
        proptest::collection::vec(piece, 0..5).prop_map(|pieces| format!("\"{}\"", pieces.concat()))
    }

    /// Numbers around the NumericDate bounds.
    fn date_literal() -> impl Strategy<Value = String> {
        const MAX: i64 = 253_402_300_799;
        prop_oneof![
            (-3i64..3).prop_map(|d| d.to_string()),
            (MAX - 2..MAX + 3).prop_map(|d| d.to_string()),
            (MAX - 2..MAX + 3).prop_map(|d| format!("{d}.5")),
            (-2i64..2).prop_map(|d| format!("{d}.5")),
            proptest::sample::select(
                &[
                    "-0",
                    "-0.0",
                    "0.0",
                    "-0.5",
                    "2.53402300799e11",
                    "2.534023008e11",
                    "1e-300",
                    "-1e-300",
                    "253402300799.00000001",
                    "253402300799.9999999"
                ][..]
            )
            .prop_map(str::to_owned),
        ]
    }

    fn node() -> impl Strategy<Value = Node> {
        let leaf = prop_oneof![
            1 => escaped_literal().prop_map(Node::Raw),
            1 => date_literal().prop_map(Node::Raw),
            3 => string().prop_map(Node::Str),
            3 => number().prop_map(Node::Num),
            1 => any::<bool>().prop_map(Node::Bool),
            1 => Just(Node::Null),
        ];
        leaf.prop_recursive(4, 40, 5, |inner| {
            prop_oneof![
                2 => proptest::collection::vec(inner.clone(), 0..5).prop_map(Node::Array),
                1 => proptest::collection::vec(string().prop_map(Node::Str), 0..4).prop_map(Node::Array),
                2 => proptest::collection::vec((name(), inner), 0..5).prop_map(Node::Object),
            ]
        })
    }

    fn claims() -> impl Strategy<Value = Node> {
        proptest::collection::vec((name(), node()), 0..14).prop_map(Node::Object)
    }

    /// A deterministic stream of choices for rendering (escapes, whitespace).
    struct Style(u64);

    impl Style {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn chance(&mut self, one_in: u64) -> bool {
            self.next().is_multiple_of(one_in)
        }

        fn space(&mut self, out: &mut String) {
            if self.chance(6) {
                out.push([' ', '\n', '\t', '\r'][(self.next() % 4) as usize]);
            }
        }
    }

    fn render_str(s: &str, style: &mut Style, out: &mut String) {
        out.push('"');
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                c if (c as u32) < 0x20 && !style.chance(40) => {
                    out.push_str(&format!("\\u{:04x}", c as u32));
                }
                c if style.chance(8) => {
                    let mut units = [0u16; 2];
                    for unit in c.encode_utf16(&mut units) {
                        if style.chance(2) {
                            out.push_str(&format!("\\u{unit:04X}"));
                        } else {
                            out.push_str(&format!("\\u{unit:04x}"));
                        }
                    }
                }
                '/' if style.chance(2) => out.push_str("\\/"),
                c => out.push(c),
            }
        }
        if style.chance(60) {
            // A broken or lone escape now and then.
            out.push_str(
                ["\\ud800", "\\udc00", "\\x", "\\u12", "\\ud83d\\u0041"]
                    [(style.next() % 5) as usize],
            );
        }
        out.push('"');
    }

    fn render(node: &Node, style: &mut Style, out: &mut String) {
        style.space(out);
        match node {
            Node::Str(s) => render_str(s, style, out),
            Node::Num(n) => out.push_str(n),
            Node::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Node::Null => out.push_str("null"),
            Node::Raw(text) => out.push_str(text),
            Node::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    render(item, style, out);
                }
                style.space(out);
                out.push(']');
            }
            Node::Object(members) => {
                out.push('{');
                for (i, (name, value)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    style.space(out);
                    render_str(name, style, out);
                    style.space(out);
                    out.push(':');
                    render(value, style, out);
                }
                style.space(out);
                out.push('}');
            }
        }
        style.space(out);
    }

    fn rendered(node: &Node, seed: u64) -> String {
        let mut out = String::new();
        render(node, &mut Style(seed | 1), &mut out);
        out
    }

    /// Damage to a rendered text.
    #[derive(Debug, Clone)]
    enum Damage {
        Insert(usize, u8),
        Delete(usize),
        Replace(usize, u8),
        Truncate(usize),
        Prefix(Vec<u8>),
        Suffix(Vec<u8>),
    }

    const PREFIXES: &[&[u8]] = &[b"\xef\xbb\xbf", b" ", b"\x00", b"[", b"{}"];
    const SUFFIXES: &[&[u8]] = &[b" \n", b"x", b"}", b",", b"\x00", b"{}", b"\xff"];

    fn damage() -> impl Strategy<Value = Damage> {
        let byte = prop_oneof![
            any::<u8>(),
            proptest::sample::select(&b"{}[],:\"\\ \n0-.eEtfnu"[..]),
        ];
        prop_oneof![
            (any::<usize>(), byte.clone()).prop_map(|(i, b)| Damage::Insert(i, b)),
            any::<usize>().prop_map(Damage::Delete),
            (any::<usize>(), byte).prop_map(|(i, b)| Damage::Replace(i, b)),
            any::<usize>().prop_map(Damage::Truncate),
            proptest::sample::select(PREFIXES).prop_map(|p| Damage::Prefix(p.to_vec())),
            proptest::sample::select(SUFFIXES).prop_map(|s| Damage::Suffix(s.to_vec())),
        ]
    }

    fn apply(text: &str, damage: &[Damage]) -> Vec<u8> {
        let mut bytes = text.as_bytes().to_vec();
        for d in damage {
            let at = |i: usize, len: usize| if len == 0 { 0 } else { i % len };
            match d {
                Damage::Insert(i, b) => {
                    let i = at(*i, bytes.len() + 1);
                    bytes.insert(i, *b);
                }
                Damage::Delete(i) if !bytes.is_empty() => {
                    let i = at(*i, bytes.len());
                    bytes.remove(i);
                }
                Damage::Replace(i, b) if !bytes.is_empty() => {
                    let i = at(*i, bytes.len());
                    bytes[i] = *b;
                }
                Damage::Truncate(i) => {
                    let i = at(*i, bytes.len() + 1);
                    bytes.truncate(i);
                }
                Damage::Prefix(p) => bytes.splice(0..0, p.iter().copied()).for_each(drop),
                Damage::Suffix(s) => bytes.extend_from_slice(s),
                _ => {}
            }
        }
        bytes
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        /// Well-formed claims objects: typed claims of every type, duplicates, escapes,
        /// nesting, numbers of every kind.
        #[test]
        fn same_result_on_generated_claims(claims in claims(), seed in any::<u64>()) {
            same(rendered(&claims, seed).as_bytes())?;
        }

        /// The same, damaged: inserted, deleted and replaced bytes, truncation, a BOM or
        /// other prefix, trailing bytes.
        #[test]
        fn same_result_on_damaged_claims(
            claims in claims(),
            seed in any::<u64>(),
            damage in proptest::collection::vec(damage(), 1..4),
        ) {
            same(&apply(&rendered(&claims, seed), &damage))?;
        }

        /// Arbitrary bytes and arbitrary JSON-like text.
        #[test]
        fn same_result_on_arbitrary_input(
            bytes in proptest::collection::vec(any::<u8>(), 0..64),
            text in "[{}\\[\\],:\" 0-9a-z.eE+\\\\-]{0,48}",
        ) {
            same(&bytes)?;
            same(text.as_bytes())?;
            same(format!("{{{text}").as_bytes())?;
        }

        /// Time claims around their bounds, and strings made of escapes.
        #[test]
        fn same_result_on_dates_and_escapes(
            name in proptest::sample::select(&["exp", "nbf", "iat", "auth_time", "x"][..]),
            date in date_literal(),
            literal in escaped_literal(),
            string_name in proptest::sample::select(&["iss", "scope", "x"][..]),
        ) {
            same(format!("{{\"{name}\":{date},\"{string_name}\":{literal}}}").as_bytes())?;
            same(format!("{{{literal}:1}}").as_bytes())?;
        }

        /// Nesting around the recursion limit, and member counts around the budget.
        #[test]
        fn same_result_at_the_limits(
            depth in 120usize..132,
            objects in any::<bool>(),
            members in 240usize..270,
            nested_members in 0usize..20,
            name in proptest::sample::select(&TYPED[..]),
        ) {
            let deep = if objects {
                format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth))
            } else {
                format!("{}{}", "[".repeat(depth), "]".repeat(depth))
            };
            same(format!("{{\"{name}\":{deep}}}").as_bytes())?;
            let inner: Vec<String> = (0..nested_members).map(|i| format!("\"n{i}\":{i}")).collect();
            let mut body: Vec<String> = (0..members).map(|i| format!("\"m{i}\":{i}")).collect();
            body.push(format!("\"{name}\":{{{}}}", inner.join(",")));
            same(format!("{{{}}}", body.join(",")).as_bytes())?;
        }
    }
}
