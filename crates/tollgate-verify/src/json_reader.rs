//! A strict JSON reader for the JOSE header and the claims set: one forward pass over the
//! bytes, unescaped strings borrowed from the input, values read in place by the caller.
//!
//! It accepts exactly what `serde_json` accepts from a `&str` (RFC 8259: the same grammar,
//! whitespace, escapes, surrogate pairs, numbers and recursion limit), and adds what JOSE
//! needs on top: duplicate member names detected at every depth ([`Reader::duplicate`]) and a
//! budget of object members at all depths, so no input costs more than a bounded amount of
//! work. Numbers other than plain non-negative integers are converted by `serde_json` itself,
//! so every value is the one `serde_json` would produce. The claims and header parsers built
//! on it are property-tested against the `serde_json`-based parsers they replaced.

use std::borrow::Cow;

use serde_json::{Map, Number, Value};
use smallvec::SmallVec;

/// Most containers open at once: `serde_json`'s recursion limit (it refuses the 128th level).
pub(crate) const MAX_DEPTH: usize = 127;

/// The input is not acceptable: not JSON, nested too deeply, or over its member budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Malformed;

/// A JSON number, as `serde_json` classifies it: non-negative integers that fit `u64`,
/// negative integers that fit `i64`, and every other number as `f64`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Num {
    UInt(u64),
    Int(i64),
    Float(f64),
}

impl Num {
    /// The `serde_json::Number` of this value (`None` only for a non-finite float, which
    /// JSON cannot express).
    pub(crate) fn to_number(self) -> Option<Number> {
        match self {
            Self::UInt(v) => Some(v.into()),
            Self::Int(v) => Some(v.into()),
            Self::Float(v) => Number::from_f64(v),
        }
    }
}

/// What the next value is, from its first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    String,
    Number,
    Array,
    Object,
    /// `true`, `false`, `null`, or anything else (which fails when read).
    Other,
}

/// A cursor over one JSON text.
pub(crate) struct Reader<'a> {
    text: &'a str,
    pos: usize,
    /// Object members that may still be read (at any depth).
    members: usize,
    /// Containers open.
    depth: usize,
    /// Some object repeated a member name.
    duplicate: bool,
}

const ONES: u64 = u64::MAX / 255;
const HIGH: u64 = ONES << 7;

/// The special bytes of `chunk`, flagged in their high bit; the lowest flag is exact
/// (borrows only propagate upwards).
#[inline]
fn special(chunk: u64) -> u64 {
    let quote = chunk ^ (ONES * u64::from(b'"'));
    let backslash = chunk ^ (ONES * u64::from(b'\\'));
    ((quote.wrapping_sub(ONES) & !quote)
        | (backslash.wrapping_sub(ONES) & !backslash)
        | (chunk.wrapping_sub(ONES * 0x20) & !chunk))
        & HIGH
}

impl<'a> Reader<'a> {
    /// A reader over `text` that allows at most `members` object members in all.
    pub(crate) fn new(text: &'a str, members: usize) -> Self {
        Self {
            text,
            pos: 0,
            members,
            depth: 0,
            duplicate: false,
        }
    }

    /// Whether some object repeated a member name (at any depth, so far).
    pub(crate) fn duplicate(&self) -> bool {
        self.duplicate
    }

    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes().get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn expect(&mut self, byte: u8) -> Result<(), Malformed> {
        self.skip_whitespace();
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(Malformed)
        }
    }

    fn open(&mut self) -> Result<(), Malformed> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            Err(Malformed)
        } else {
            Ok(())
        }
    }

    /// What the next value is (after whitespace).
    pub(crate) fn next(&mut self) -> Next {
        self.skip_whitespace();
        match self.peek() {
            Some(b'"') => Next::String,
            Some(b'-' | b'0'..=b'9') => Next::Number,
            Some(b'[') => Next::Array,
            Some(b'{') => Next::Object,
            _ => Next::Other,
        }
    }

    /// Opens an object (the next value must be one).
    pub(crate) fn begin_object(&mut self) -> Result<(), Malformed> {
        self.expect(b'{')?;
        self.open()
    }

    /// The next member name of the open object, its colon consumed; `None` at its end.
    /// `first` is true before the first member.
    pub(crate) fn next_member(
        &mut self,
        first: &mut bool,
    ) -> Result<Option<Cow<'a, str>>, Malformed> {
        self.skip_whitespace();
        match self.peek() {
            Some(b'"') if *first => {}
            Some(b',') if !*first => {
                self.pos += 1;
                self.skip_whitespace();
                if self.peek() != Some(b'"') {
                    return Err(Malformed);
                }
            }
            Some(b'}') => {
                self.pos += 1;
                self.depth -= 1;
                return Ok(None);
            }
            _ => return Err(Malformed),
        }
        *first = false;
        let name = self.quoted()?;
        self.expect(b':')?;
        self.members = self.members.checked_sub(1).ok_or(Malformed)?;
        Ok(Some(name))
    }

    /// Opens an array (the next value must be one).
    pub(crate) fn begin_array(&mut self) -> Result<(), Malformed> {
        self.expect(b'[')?;
        self.open()
    }

    /// Whether the open array has another element (its comma consumed); closes it at its end.
    pub(crate) fn next_element(&mut self, first: &mut bool) -> Result<bool, Malformed> {
        self.skip_whitespace();
        match self.peek() {
            Some(b']') => {
                self.pos += 1;
                self.depth -= 1;
                Ok(false)
            }
            Some(b',') if !*first => {
                self.pos += 1;
                Ok(true)
            }
            _ if *first => {
                *first = false;
                Ok(true)
            }
            _ => Err(Malformed),
        }
    }

    /// A string (the next value must be one): borrowed when it has no escape.
    pub(crate) fn string(&mut self) -> Result<Cow<'a, str>, Malformed> {
        self.skip_whitespace();
        if self.peek() != Some(b'"') {
            return Err(Malformed);
        }
        self.quoted()
    }

    /// The string whose opening quote is at the cursor.
    #[inline(always)]
    fn quoted(&mut self) -> Result<Cow<'a, str>, Malformed> {
        let start = self.pos + 1;
        let end = self.find_special(start);
        match self.bytes().get(end) {
            Some(b'"') => {
                self.pos = end + 1;
                self.text
                    .get(start..end)
                    .map(Cow::Borrowed)
                    .ok_or(Malformed)
            }
            Some(b'\\') => {
                let mut owned = String::from(self.text.get(start..end).ok_or(Malformed)?);
                self.pos = end;
                self.escaped(&mut owned)?;
                Ok(Cow::Owned(owned))
            }
            // A control character, or the end of the input.
            _ => Err(Malformed),
        }
    }

    /// The index of the first `"`, `\` or control character at or after `from` (or the end).
    #[inline(always)]
    fn find_special(&self, from: usize) -> usize {
        let bytes = self.bytes();
        let mut i = from;
        while let Some(chunk) = bytes.get(i..i + 8) {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            let found = special(u64::from_le_bytes(word));
            if found != 0 {
                return i + (found.trailing_zeros() / 8) as usize;
            }
            i += 8;
        }
        // The last bytes, padded with a byte that is not special.
        let rest = bytes.get(i..).unwrap_or_default();
        let mut word = [b'a'; 8];
        for (w, r) in word.iter_mut().zip(rest) {
            *w = *r;
        }
        let found = special(u64::from_le_bytes(word));
        if found == 0 {
            bytes.len()
        } else {
            (i + (found.trailing_zeros() / 8) as usize).min(bytes.len())
        }
    }

    /// The rest of a string with escapes, from a `\`, into `out`; consumes the closing quote.
    #[cold]
    fn escaped(&mut self, out: &mut String) -> Result<(), Malformed> {
        loop {
            let run_end = self.find_special(self.pos);
            out.push_str(self.text.get(self.pos..run_end).ok_or(Malformed)?);
            self.pos = run_end;
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let escape = self.peek().ok_or(Malformed)?;
                    self.pos += 1;
                    let c = match escape {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        _ => return Err(Malformed),
                    };
                    out.push(c);
                }
                _ => return Err(Malformed),
            }
        }
    }

    /// Four hex digits (after `\u`).
    fn hex4(&mut self) -> Result<u32, Malformed> {
        let digits = self.bytes().get(self.pos..self.pos + 4).ok_or(Malformed)?;
        let mut n = 0u32;
        for &d in digits {
            let v = match d {
                b'0'..=b'9' => d - b'0',
                b'a'..=b'f' => d - b'a' + 10,
                b'A'..=b'F' => d - b'A' + 10,
                _ => return Err(Malformed),
            };
            n = n * 16 + u32::from(v);
        }
        self.pos += 4;
        Ok(n)
    }

    /// A `\u` escape (after `\u`): a BMP character, or a surrogate pair written as two
    /// escapes. A lone surrogate is refused, as `serde_json` refuses it in a string.
    fn unicode_escape(&mut self) -> Result<char, Malformed> {
        let n = self.hex4()?;
        let code = match n {
            0xDC00..=0xDFFF => return Err(Malformed),
            0xD800..=0xDBFF => {
                if self.bytes().get(self.pos..self.pos + 2) != Some(b"\\u") {
                    return Err(Malformed);
                }
                self.pos += 2;
                let low = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&low) {
                    return Err(Malformed);
                }
                0x10000 + ((n - 0xD800) << 10) + (low - 0xDC00)
            }
            n => n,
        };
        char::from_u32(code).ok_or(Malformed)
    }

    /// A number (the next value must be one).
    pub(crate) fn number(&mut self) -> Result<Num, Malformed> {
        self.skip_whitespace();
        let bytes = self.bytes();
        let start = self.pos;
        let mut i = start;
        let negative = bytes.get(i) == Some(&b'-');
        if negative {
            i += 1;
        }
        let mut value = 0u64;
        match bytes.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => {
                while let Some(&d) = bytes.get(i) {
                    if !d.is_ascii_digit() {
                        break;
                    }
                    value = value.wrapping_mul(10).wrapping_add(u64::from(d - b'0'));
                    i += 1;
                }
            }
            _ => return Err(Malformed),
        }
        let fraction_or_exponent = matches!(bytes.get(i), Some(b'.' | b'e' | b'E'));
        // Up to 19 digits always fit a u64: the common case, converted here.
        if !negative && !fraction_or_exponent && i - start <= 19 {
            self.pos = i;
            return Ok(Num::UInt(value));
        }
        let digits = |i: &mut usize| {
            let from = *i;
            while bytes.get(*i).is_some_and(u8::is_ascii_digit) {
                *i += 1;
            }
            *i - from
        };
        if bytes.get(i) == Some(&b'.') {
            i += 1;
            if digits(&mut i) == 0 {
                return Err(Malformed);
            }
        }
        if let Some(b'e' | b'E') = bytes.get(i) {
            i += 1;
            if let Some(b'+' | b'-') = bytes.get(i) {
                i += 1;
            }
            if digits(&mut i) == 0 {
                return Err(Malformed);
            }
        }
        self.pos = i;
        // Anything else exactly as serde_json converts it (negative zero, integers beyond
        // 64 bits, fractions, exponents; infinite values are an error).
        let literal = self.text.get(start..i).ok_or(Malformed)?;
        let number: Number = serde_json::from_str(literal).map_err(|_| Malformed)?;
        Ok(if let Some(v) = number.as_u64() {
            Num::UInt(v)
        } else if let Some(v) = number.as_i64() {
            Num::Int(v)
        } else {
            Num::Float(number.as_f64().ok_or(Malformed)?)
        })
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), Malformed> {
        self.skip_whitespace();
        if self
            .bytes()
            .get(self.pos..)
            .is_some_and(|rest| rest.starts_with(word))
        {
            self.pos += word.len();
            Ok(())
        } else {
            Err(Malformed)
        }
    }

    /// Reads and checks the next value without keeping it.
    pub(crate) fn skip_value(&mut self) -> Result<(), Malformed> {
        match self.next() {
            Next::String => self.string().map(drop),
            Next::Number => self.number().map(drop),
            Next::Array => {
                self.begin_array()?;
                let mut first = true;
                while self.next_element(&mut first)? {
                    self.skip_value()?;
                }
                Ok(())
            }
            Next::Object => {
                self.begin_object()?;
                let mut names: SmallVec<[Cow<'a, str>; 8]> = SmallVec::new();
                let mut first = true;
                while let Some(name) = self.next_member(&mut first)? {
                    names.push(name);
                    self.skip_value()?;
                }
                names.sort_unstable();
                if names.windows(2).any(|pair| pair[0] == pair[1]) {
                    self.duplicate = true;
                }
                Ok(())
            }
            Next::Other => self.other().map(drop),
        }
    }

    /// `true`, `false` or `null`.
    fn other(&mut self) -> Result<Value, Malformed> {
        match self.peek() {
            Some(b't') => self.literal(b"true").map(|()| Value::Bool(true)),
            Some(b'f') => self.literal(b"false").map(|()| Value::Bool(false)),
            Some(b'n') => self.literal(b"null").map(|()| Value::Null),
            _ => Err(Malformed),
        }
    }

    /// The next value as a `serde_json::Value` (duplicates flagged; the last copy kept, as
    /// `serde_json` keeps it).
    pub(crate) fn value(&mut self) -> Result<Value, Malformed> {
        Ok(match self.next() {
            Next::String => Value::String(self.string()?.into_owned()),
            Next::Number => self
                .number()?
                .to_number()
                .map_or(Value::Null, Value::Number),
            Next::Array => {
                self.begin_array()?;
                let mut items = Vec::new();
                let mut first = true;
                while self.next_element(&mut first)? {
                    items.push(self.value()?);
                }
                Value::Array(items)
            }
            Next::Object => {
                self.begin_object()?;
                let mut object = Map::new();
                let mut first = true;
                while let Some(name) = self.next_member(&mut first)? {
                    let value = self.value()?;
                    if object.insert(name.into_owned(), value).is_some() {
                        self.duplicate = true;
                    }
                }
                Value::Object(object)
            }
            Next::Other => self.other()?,
        })
    }

    /// The end of the input: only whitespace may follow the top-level value.
    pub(crate) fn end(&mut self) -> Result<(), Malformed> {
        self.skip_whitespace();
        if self.pos == self.text.len() {
            Ok(())
        } else {
            Err(Malformed)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(text: &str) -> Result<(Value, bool), Malformed> {
        let mut reader = Reader::new(text, 256);
        let value = reader.value()?;
        reader.end()?;
        Ok((value, reader.duplicate()))
    }

    #[test]
    fn strings() {
        assert_eq!(value(r#""abc""#), Ok((Value::from("abc"), false)));
        assert_eq!(
            value(r#""a\u0062\n\/\"""#),
            Ok((Value::from("ab\n/\""), false))
        );
        assert_eq!(
            value(r#""\ud83d\ude00""#),
            Ok((Value::from("\u{1f600}"), false))
        );
        assert_eq!(
            value(r#""\uD83D\uDE00x""#),
            Ok((Value::from("\u{1f600}x"), false))
        );
        for bad in [
            r#""\ud83d""#,
            r#""\ude00""#,
            r#""\ud83d\u0041""#,
            r#""\ud83dx""#,
            r#""\x""#,
            r#""\u12""#,
            r#""\u12g4""#,
            "\"a\tb\"",
            "\"a\u{0}b\"",
            r#""abc"#,
            r#""\"#,
        ] {
            assert_eq!(value(bad), Err(Malformed), "{bad}");
        }
        // Every position of a control character, around the 8-byte chunks.
        for i in 0..20 {
            let mut s = "a".repeat(20);
            s.replace_range(i..=i, "\u{1f}");
            assert_eq!(value(&format!("\"{s}\"")), Err(Malformed));
            let mut s = "a".repeat(20);
            s.replace_range(i..=i, "\"");
            assert_eq!(value(&format!("\"{s}\"")), Err(Malformed), "trailing bytes");
        }
    }

    #[test]
    fn numbers() {
        let number = |text: &str| Reader::new(text, 0).number();
        assert_eq!(number("0"), Ok(Num::UInt(0)));
        assert_eq!(
            number("1234567890123456789"),
            Ok(Num::UInt(1_234_567_890_123_456_789))
        );
        assert_eq!(number("18446744073709551615"), Ok(Num::UInt(u64::MAX)));
        assert_eq!(
            number("18446744073709551616"),
            Ok(Num::Float(18_446_744_073_709_551_616.0))
        );
        assert_eq!(number("-1"), Ok(Num::Int(-1)));
        assert_eq!(number("-9223372036854775808"), Ok(Num::Int(i64::MIN)));
        assert!(matches!(number("-0"), Ok(Num::Float(z)) if z == 0.0 && z.is_sign_negative()));
        assert_eq!(number("1.5"), Ok(Num::Float(1.5)));
        assert_eq!(number("1E+2"), Ok(Num::Float(100.0)));
        for bad in ["-", "1.", ".5", "1e", "1e+", "+1", "1e400", "-1e400", "--1"] {
            let mut reader = Reader::new(bad, 0);
            assert!(reader.number().is_err() || reader.end().is_err(), "{bad}");
        }
    }

    #[test]
    fn structure() {
        assert!(value("[]").is_ok());
        assert!(value(" [ 1 , [ ] , { } ] ").is_ok());
        for bad in [
            "[1,]",
            "[,1]",
            "[1 2]",
            "{\"a\":1,}",
            "{,}",
            "{\"a\" 1}",
            "{1:1}",
            "[",
            "{",
            "tru",
            "nul",
            "truex",
            "[] x",
            "\u{feff}[]",
        ] {
            assert_eq!(value(bad), Err(Malformed), "{bad}");
        }
        assert_eq!(value(r#"{"a":1,"\u0061":2}"#).map(|(_, d)| d), Ok(true));
        assert_eq!(value(r#"[{"a":{"b":1,"b":1}}]"#).map(|(_, d)| d), Ok(true));
    }

    #[test]
    fn depth_is_limited_like_serde_json() {
        let nested = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        assert!(value(&nested(MAX_DEPTH)).is_ok());
        assert!(value(&nested(MAX_DEPTH + 1)).is_err());
        assert!(serde_json::from_str::<Value>(&nested(MAX_DEPTH)).is_ok());
        assert!(serde_json::from_str::<Value>(&nested(MAX_DEPTH + 1)).is_err());
    }
}
