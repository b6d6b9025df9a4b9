//! The compact JWS serialization (RFC 7515 §7.1), split and decoded strictly.

use std::mem::MaybeUninit;

use base64_simd::AsOut as _;
use tollgate_jwks::{Algorithm, VerifyingKey};

use crate::{Malformed, VerifyError};

/// Largest signature accepted: an 8192-bit modulus.
pub(crate) const MAX_SIGNATURE_BYTES: usize = 1024;

/// The three segments of a compact JWS, still base64url-encoded.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Segments<'a> {
    pub(crate) header: &'a str,
    pub(crate) payload: &'a str,
    pub(crate) signature: &'a str,
    /// `header.payload`: the exact received bytes the signature covers.
    pub(crate) signing_input: &'a str,
}

/// A token split into its segments, with its header and payload decoded.
pub(crate) struct Parts<'t, 'b> {
    pub(crate) segments: Segments<'t>,
    /// The decoded header.
    pub(crate) header: &'b [u8],
    /// The decoded payload, or why it is not canonical base64url: reported after the header's
    /// own checks, whose errors come first.
    pub(crate) payload: Result<&'b [u8], VerifyError>,
}

/// Splits a token and decodes its header and payload, with the errors, and their order, of
/// checking every character first (only `[A-Za-z0-9_-]` and the dots: `InvalidCharacter`),
/// then the structure (exactly two dots: `SegmentCount`; no empty segment: `EmptySegment`),
/// then the header's base64url (`MalformedHeader`). Linear time, no allocation for segments
/// that fit the buffers.
///
/// The characters of the header and payload are checked by their decoding (the base64url
/// alphabet is the allowed set without the dot, and a segment has no dot), so the whole token
/// is scanned for a bad character only when a decoding or the structure failed, to tell which
/// error to report.
pub(crate) fn split_and_decode<'t, 'b, const H: usize, const P: usize>(
    token: &'t str,
    header: &'b mut DecodeBuf<H>,
    payload: &'b mut DecodeBuf<P>,
) -> Result<Parts<'t, 'b>, VerifyError> {
    let invalid = || VerifyError::MalformedToken(Malformed::InvalidCharacter);
    let segments = match segments(token) {
        Ok(segments) => segments,
        Err(_) if has_invalid_character(token) => return Err(invalid()),
        Err(error) => return Err(error),
    };
    if has_invalid_character(segments.signature) {
        return Err(invalid());
    }
    let decoded_header = header.decode(segments.header);
    let decoded_payload = payload.decode(segments.payload);
    if (decoded_header.is_err() || decoded_payload.is_err()) && has_invalid_character(token) {
        return Err(invalid());
    }
    Ok(Parts {
        segments,
        header: decoded_header.map_err(|_| VerifyError::MalformedHeader)?,
        payload: decoded_payload.map_err(|_| VerifyError::MalformedPayload),
    })
}

/// Whether `text` has a byte outside `[A-Za-z0-9._-]`.
fn has_invalid_character(text: &str) -> bool {
    // Branch-free over the whole input, so the compiler vectorizes it.
    let mut valid = true;
    for &b in text.as_bytes() {
        let letter = (b | 0x20).wrapping_sub(b'a') < 26;
        let digit = b.wrapping_sub(b'0') < 10;
        valid &= letter | digit | (b == b'.') | (b == b'-') | (b == b'_');
    }
    !valid
}

/// The segments around the first and the last dot: exactly two dots, no empty segment. The
/// characters are not checked.
fn segments(token: &str) -> Result<Segments<'_>, VerifyError> {
    let bytes = token.as_bytes();
    let count = || VerifyError::MalformedToken(Malformed::SegmentCount);
    let (Some(first), Some(second)) = (memchr::memchr(b'.', bytes), memchr::memrchr(b'.', bytes))
    else {
        return Err(count());
    };
    let between = bytes.get(first + 1..second).ok_or_else(count)?;
    if memchr::memchr(b'.', between).is_some() {
        return Err(count());
    }
    let (Some(header), Some(payload), Some(signature), Some(signing_input)) = (
        token.get(..first),
        token.get(first + 1..second),
        token.get(second + 1..),
        token.get(..second),
    ) else {
        return Err(count());
    };
    if header.is_empty() || payload.is_empty() || signature.is_empty() {
        return Err(VerifyError::MalformedToken(Malformed::EmptySegment));
    }
    Ok(Segments {
        header,
        payload,
        signature,
        signing_input,
    })
}

#[cfg(test)]
/// Splits a token: only `[A-Za-z0-9_-]` and exactly two dots, no empty segment (the reference
/// [`split_and_decode`] is tested against).
pub(crate) fn split(token: &str) -> Result<Segments<'_>, VerifyError> {
    let bytes = token.as_bytes();
    // Branch-free over the whole input, so the compiler vectorizes it: the happy path costs a
    // fraction of a nanosecond per byte.
    let mut valid = true;
    for &b in bytes {
        let letter = (b | 0x20).wrapping_sub(b'a') < 26;
        let digit = b.wrapping_sub(b'0') < 10;
        valid &= letter | digit | (b == b'.') | (b == b'-') | (b == b'_');
    }
    if !valid {
        return Err(VerifyError::MalformedToken(Malformed::InvalidCharacter));
    }
    if memchr::memchr_iter(b'.', bytes).count() != 2 {
        return Err(VerifyError::MalformedToken(Malformed::SegmentCount));
    }
    let (Some(first), Some(second)) = (memchr::memchr(b'.', bytes), memchr::memrchr(b'.', bytes))
    else {
        return Err(VerifyError::MalformedToken(Malformed::SegmentCount));
    };
    let (Some(header), Some(payload), Some(signature), Some(signing_input)) = (
        token.get(..first),
        token.get(first + 1..second),
        token.get(second + 1..),
        token.get(..second),
    ) else {
        return Err(VerifyError::MalformedToken(Malformed::SegmentCount));
    };
    if header.is_empty() || payload.is_empty() || signature.is_empty() {
        return Err(VerifyError::MalformedToken(Malformed::EmptySegment));
    }
    Ok(Segments {
        header,
        payload,
        signature,
        signing_input,
    })
}

/// Canonical unpadded base64url (padding, other alphabets and non-zero trailing bits are
/// refused). SIMD decoding: about five times faster than a scalar decoder on a 1 KB payload.
pub(crate) fn decode(segment: &str) -> Result<Vec<u8>, base64_simd::Error> {
    base64_simd::URL_SAFE_NO_PAD.decode_to_vec(segment)
}

/// Room for one decoded segment: on the stack up to `N` bytes (never initialised before the
/// decoder writes it), on the heap beyond, so a verification needs no allocation for the
/// bytes it only reads.
pub(crate) struct DecodeBuf<const N: usize> {
    stack: [MaybeUninit<u8>; N],
    heap: Vec<u8>,
}

impl<const N: usize> DecodeBuf<N> {
    pub(crate) fn new() -> Self {
        Self {
            stack: [const { MaybeUninit::uninit() }; N],
            heap: Vec::new(),
        }
    }

    /// Decodes `segment` as [`decode`] does, into this buffer.
    pub(crate) fn decode(&mut self, segment: &str) -> Result<&[u8], base64_simd::Error> {
        let engine = base64_simd::URL_SAFE_NO_PAD;
        let len = engine.decoded_length(segment.as_bytes())?;
        match self.stack.get_mut(..len) {
            Some(out) => engine
                .decode(segment.as_bytes(), out.as_out())
                .map(|decoded| &*decoded),
            None => {
                self.heap = decode(segment)?;
                Ok(&self.heap)
            }
        }
    }
}

/// Room for the largest signature accepted, never initialised before the decoder writes it.
pub(crate) type SignatureBuf = [MaybeUninit<u8>; MAX_SIGNATURE_BYTES];

/// Decodes the signature into `buf`.
pub(crate) fn decode_signature<'b>(
    segment: &str,
    buf: &'b mut SignatureBuf,
) -> Result<&'b [u8], VerifyError> {
    let engine = base64_simd::URL_SAFE_NO_PAD;
    let len = engine
        .decoded_length(segment.as_bytes())
        .map_err(|_| VerifyError::MalformedSignature)?;
    let Some(out) = buf.get_mut(..len) else {
        return Err(VerifyError::MalformedSignature);
    };
    engine
        .decode(segment.as_bytes(), out.as_out())
        .map(|decoded| &*decoded)
        .map_err(|_| VerifyError::MalformedSignature)
}

/// Checks the `signature` segment with `key` over `signing_input`, the exact received
/// `header.payload` bytes.
pub(crate) fn verify_signature(
    signing_input: &str,
    signature: &str,
    key: &VerifyingKey,
    algorithm: Algorithm,
) -> Result<(), VerifyError> {
    let mut buf: SignatureBuf = [const { MaybeUninit::uninit() }; MAX_SIGNATURE_BYTES];
    let signature = decode_signature(signature, &mut buf)?;
    key.verify(algorithm, signing_input.as_bytes(), signature)
        .map_err(|e| crate::signature::refusal(e, algorithm))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(token: &str) -> VerifyError {
        split(token).unwrap_err()
    }

    #[test]
    fn structure() {
        let s = split("aa.bb.cc").unwrap();
        assert_eq!(
            (s.header, s.payload, s.signature, s.signing_input),
            ("aa", "bb", "cc", "aa.bb")
        );
        assert_eq!(
            err("aa.bb"),
            VerifyError::MalformedToken(Malformed::SegmentCount)
        );
        assert_eq!(
            err("aa.bb.cc."),
            VerifyError::MalformedToken(Malformed::SegmentCount)
        );
        assert_eq!(
            err("a.b.c.d.e"),
            VerifyError::MalformedToken(Malformed::SegmentCount)
        );
        assert_eq!(
            err("aa.bb."),
            VerifyError::MalformedToken(Malformed::EmptySegment)
        );
        assert_eq!(
            err(".bb.cc"),
            VerifyError::MalformedToken(Malformed::EmptySegment)
        );
        assert_eq!(
            err(".."),
            VerifyError::MalformedToken(Malformed::EmptySegment)
        );
        assert_eq!(
            err(""),
            VerifyError::MalformedToken(Malformed::SegmentCount)
        );
        for bad in [
            "a=.b.c", "a+.b.c", "a/.b.c", "a .b.c", "a%.b.c", "a\0.b.c", "a.b.c?",
        ] {
            assert_eq!(
                err(bad),
                VerifyError::MalformedToken(Malformed::InvalidCharacter),
                "{bad:?}"
            );
        }
        assert_eq!(
            err(&".".repeat(100_000)),
            VerifyError::MalformedToken(Malformed::SegmentCount)
        );
    }

    /// The reference order: every character, then the structure ([`split`]), then the
    /// header's decoding, the payload's decoding reported last.
    type Outcome = Result<(String, String, Vec<u8>, Result<Vec<u8>, VerifyError>), VerifyError>;

    fn reference(token: &str) -> Outcome {
        let segments = split(token)?;
        let header = decode(segments.header).map_err(|_| VerifyError::MalformedHeader)?;
        let payload = decode(segments.payload).map_err(|_| VerifyError::MalformedPayload);
        Ok((
            segments.signing_input.to_owned(),
            segments.signature.to_owned(),
            header,
            payload,
        ))
    }

    fn fast(token: &str) -> Outcome {
        let mut header = DecodeBuf::<8>::new();
        let mut payload = DecodeBuf::<8>::new();
        let parts = split_and_decode(token, &mut header, &mut payload)?;
        Ok((
            parts.segments.signing_input.to_owned(),
            parts.segments.signature.to_owned(),
            parts.header.to_vec(),
            parts.payload.map(<[u8]>::to_vec),
        ))
    }

    #[test]
    fn split_and_decode_reports_what_split_reports() {
        for token in [
            "aa.bb.cc",
            "aa.bb",
            "aa.bb.cc.",
            "a.b.c.d.e",
            "aa.bb.",
            ".bb.cc",
            "..",
            "",
            "a=.b.c",
            "a+.b.c",
            "a/.b.c",
            "a .b.c",
            "a%.b.c",
            "a\0.b.c",
            "a.b.c?",
            "Zh.b.c",
            "Zg.Zh.c",
            "Zg.Zg.c=",
            "Zg.Zg=.c",
            "Zg=.Zg.c",
            "Z.Zg.c",
            "\u{e9}.b.c",
            "a.b.c.\u{e9}",
        ] {
            assert_eq!(fast(token), reference(token), "{token:?}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4096))]

        /// `split_and_decode` checks the header's and payload's characters through their
        /// decoding: the outcome is exactly the reference order's.
        #[test]
        fn split_and_decode_agrees_with_split_then_decode(
            token in proptest::prop_oneof![
                "[A-Za-z0-9_.-]{0,40}",
                "[A-Za-z0-9_-]{1,20}\\.[A-Za-z0-9_-]{1,30}\\.[A-Za-z0-9_-]{1,20}",
                "[A-Za-z0-9_=+/ .%-]{0,40}",
                "[A-Za-z0-9_-]{0,12}[=+/ \\u{e9}]?[A-Za-z0-9_-]{0,12}\\.[A-Za-z0-9_-]{0,12}[=+/. \\u{e9}]?[A-Za-z0-9_-]{0,12}\\.{1,2}[A-Za-z0-9_-]{0,12}[=+/. ]?",
            ],
        ) {
            proptest::prop_assert_eq!(fast(&token), reference(&token));
        }

        /// AWS ALB tokens: base64url segments with `=` padding, or canonical ones. Both orders
        /// agree, and a padded segment is `InvalidCharacter` (the one refusal the verifier
        /// reads again as an ALB token, `alb.rs`).
        #[test]
        fn split_and_decode_agrees_on_padded_segments(
            segments in proptest::collection::vec(
                (proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40), proptest::prelude::any::<bool>()),
                1..5,
            ),
        ) {
            let token = segments
                .iter()
                .map(|(bytes, padded)| {
                    if *padded {
                        base64_simd::URL_SAFE.encode_to_string(bytes)
                    } else {
                        base64_simd::URL_SAFE_NO_PAD.encode_to_string(bytes)
                    }
                })
                .collect::<Vec<_>>()
                .join(".");
            let outcome = fast(&token);
            proptest::prop_assert_eq!(&outcome, &reference(&token));
            if token.contains('=') {
                proptest::prop_assert_eq!(
                    outcome.unwrap_err(),
                    VerifyError::MalformedToken(Malformed::InvalidCharacter)
                );
            }
        }
    }

    proptest::proptest! {
        /// The SIMD decoder must be exactly as strict as the reference (base64 crate,
        /// URL-safe, no padding, no trailing bits): same accepted inputs, same bytes.
        #[test]
        fn simd_decoder_agrees_with_the_reference(segment in "[A-Za-z0-9_=+/. -]{0,70}") {
            use base64::Engine as _;
            let reference = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&segment).ok();
            proptest::prop_assert_eq!(decode(&segment).ok(), reference);
        }

        /// Only the alphabet, every length: exercises the trailing-bits rule.
        #[test]
        fn simd_decoder_agrees_on_alphabet_strings(segment in "[A-Za-z0-9_-]{0,70}") {
            use base64::Engine as _;
            let reference = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&segment).ok();
            proptest::prop_assert_eq!(decode(&segment).ok(), reference);
        }
    }

    #[test]
    fn decode_buf_agrees_with_decode_on_either_side_of_its_stack_size() {
        for len in [0usize, 1, 2, 3, 7, 8, 9, 95, 96, 97, 200] {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
            let segment = base64_simd::URL_SAFE_NO_PAD.encode_to_string(&bytes);
            let mut small = DecodeBuf::<8>::new();
            let mut large = DecodeBuf::<96>::new();
            assert_eq!(small.decode(&segment).unwrap(), &bytes[..]);
            assert_eq!(large.decode(&segment).unwrap(), &bytes[..]);
        }
        let mut buf = DecodeBuf::<8>::new();
        assert!(buf.decode("Zh").is_err(), "non-zero trailing bits");
        assert!(buf.decode("Zm9v=").is_err());
        assert!(
            buf.decode(&format!("{}Zh", "AAAA".repeat(10))).is_err(),
            "on the heap"
        );
    }

    proptest::proptest! {
        /// The buffered decoder is the same decoder, on the stack or not.
        #[test]
        fn decode_buf_agrees_with_the_reference(segment in "[A-Za-z0-9_=+/. -]{0,70}") {
            use base64::Engine as _;
            let reference = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&segment).ok();
            let mut small = DecodeBuf::<16>::new();
            proptest::prop_assert_eq!(small.decode(&segment).ok().map(<[u8]>::to_vec), reference);
        }
    }

    #[test]
    fn base64_is_canonical() {
        assert_eq!(decode("Zm9v").unwrap(), b"foo");
        assert!(decode("Zm9=").is_err());
        assert_eq!(decode("Zg").unwrap(), b"f");
        assert!(decode("Zh").is_err(), "non-zero trailing bits");
        assert!(decode("Z").is_err(), "length 1 mod 4");
    }

    #[test]
    fn signature_buffer_holds_an_8192_bit_signature_exactly() {
        let mut buf: SignatureBuf = [const { MaybeUninit::uninit() }; MAX_SIGNATURE_BYTES];
        let largest = base64_simd::URL_SAFE_NO_PAD.encode_to_string([0xab; MAX_SIGNATURE_BYTES]);
        assert_eq!(
            decode_signature(&largest, &mut buf),
            Ok(&[0xab; MAX_SIGNATURE_BYTES][..])
        );
        let too_long =
            base64_simd::URL_SAFE_NO_PAD.encode_to_string([0xab; MAX_SIGNATURE_BYTES + 1]);
        assert_eq!(
            decode_signature(&too_long, &mut buf),
            Err(VerifyError::MalformedSignature)
        );
        let far_too_long = "A".repeat(100_000);
        assert_eq!(
            decode_signature(&far_too_long, &mut buf),
            Err(VerifyError::MalformedSignature)
        );
    }
}
