//! Security catalogue (`docs/security-catalogue.md`), rows E1–E14: the compact serialisation
//! and base64url.
//!
//! Every malformed token is otherwise perfect: where the broken part is covered by the
//! signature, the token is signed over exactly the broken bytes (`raw::sign_segments`), so
//! the only thing wrong is the thing under test.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use tollgate_testkit::raw::b64url;
use tollgate_verify::{Malformed, VerifyError};

const SEGMENT_COUNT: Expect = Err(VerifyError::MalformedToken(Malformed::SegmentCount));
const EMPTY_SEGMENT: Expect = Err(VerifyError::MalformedToken(Malformed::EmptySegment));
const INVALID_CHARACTER: Expect = Err(VerifyError::MalformedToken(Malformed::InvalidCharacter));

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// `json` followed by spaces (legal JSON whitespace) until its length is `rem` modulo 3.
fn json_len_mod3(json: &str, rem: usize) -> String {
    let mut json = json.to_owned();
    while json.len() % 3 != rem {
        json.push(' ');
    }
    json
}

/// The segment with the lowest unused bit of its last character set: decodes to the same
/// bytes under a lenient decoder, but is not canonical base64url.
fn non_canonical(segment: &str) -> String {
    assert!(
        matches!(segment.len() % 4, 2 | 3),
        "segment has no unused bits"
    );
    let last = *segment.as_bytes().last().unwrap();
    let index = ALPHABET.iter().position(|&c| c == last).unwrap();
    assert_eq!(index & 1, 0, "canonical encodings leave unused bits zero");
    let mut changed = segment[..segment.len() - 1].to_owned();
    changed.push(char::from(ALPHABET[index | 1]));
    changed
}

#[tokio::test]
async fn e1_missing_or_empty_signature_is_refused() {
    let env = Env::new().await;
    let (h, p, _) = segments(&env.good());
    assert_rows(
        &env.verifier,
        &[
            ("h.p", format!("{h}.{p}"), SEGMENT_COUNT),
            ("h.p.", format!("{h}.{p}."), EMPTY_SEGMENT),
        ],
    )
    .await;
}

#[tokio::test]
async fn e2_extra_dot_or_extra_component_is_refused() {
    let env = Env::new().await;
    let good = env.good();
    assert_rows(
        &env.verifier,
        &[
            ("h.p.s.", format!("{good}."), SEGMENT_COUNT),
            ("h.p.s.x", format!("{good}.x"), SEGMENT_COUNT),
            (
                "h.p.s.s",
                format!("{good}.{}", segments(&good).2),
                SEGMENT_COUNT,
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn e3_five_segment_jwe_is_refused_without_decrypting() {
    let env = Env::new().await;
    // The shape of a Cognito refresh token: JWE compact, five segments.
    let header = b64url(br#"{"cty":"JWT","enc":"A256GCM","alg":"RSA-OAEP"}"#);
    let jwe = format!(
        "{header}.{}.{}.{}.{}",
        b64url(&[7; 256]),
        b64url(&[1; 12]),
        b64url(b"ciphertext"),
        b64url(&[2; 16])
    );
    assert_rows(&env.verifier, &[("jwe", jwe, SEGMENT_COUNT)]).await;
}

#[tokio::test]
async fn e4_empty_segments_are_refused() {
    let env = Env::new().await;
    let (h, p, s) = segments(&env.good());
    assert_rows(
        &env.verifier,
        &[
            (".p.s", format!(".{p}.{s}"), EMPTY_SEGMENT),
            ("h..s", format!("{h}..{s}"), EMPTY_SEGMENT),
            ("..", "..".to_owned(), EMPTY_SEGMENT),
            ("empty string", String::new(), SEGMENT_COUNT),
            (".", ".".to_owned(), SEGMENT_COUNT),
            ("no dot", h.clone(), SEGMENT_COUNT),
        ],
    )
    .await;
}

#[tokio::test]
async fn e5_100_000_dots_are_refused_in_linear_time() {
    // Default limit: the length check comes before any scan.
    let env = Env::new().await;
    let dots = ".".repeat(100_000);
    let mib_of_dots = ".".repeat(1 << 20);
    assert_rows(
        &env.verifier,
        &[
            ("100k dots", dots.clone(), Err(VerifyError::TokenTooLong)),
            (
                "1 MiB of dots",
                mib_of_dots.clone(),
                Err(VerifyError::TokenTooLong),
            ),
        ],
    )
    .await;

    // Limit raised so the splitter itself is exercised: one linear pass, no allocation per
    // segment, whatever the number of dots.
    let env = Env::with(|v| v.max_token_len(2 << 20)).await;
    let (h, p, s) = segments(&env.good());
    let late_dots = format!("{h}{}.{p}.{s}", "A".repeat(1 << 20));
    let started = Instant::now();
    assert_rows(
        &env.verifier,
        &[
            ("100k dots", dots, SEGMENT_COUNT),
            ("1 MiB of dots", mib_of_dots, SEGMENT_COUNT),
            (
                "1 MiB, then dots",
                format!("{}{}", "A".repeat(1 << 20), ".".repeat(1 << 20)),
                SEGMENT_COUNT,
            ),
            // A full scan of 1 MiB that finds a legal shape; the header is then not base64url
            // of JSON.
            ("1 MiB header", late_dots, Err(VerifyError::MalformedHeader)),
        ],
    )
    .await;
    // A quadratic split of a few MiB would take minutes; a linear one takes milliseconds.
    // The bound is loose on purpose (debug build, shared machine).
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn e6_padding_in_any_segment_is_refused() {
    let env = Env::new().await;
    // Header and payload texts whose encodings need padding, signed with the padding.
    let header = json_len_mod3(&env.header(), 1);
    let payload = json_len_mod3(&env.claims(&[]), 2);
    let (h, p) = (b64url(header.as_bytes()), b64url(payload.as_bytes()));
    let (_, _, s) = segments(&env.raw(&header, &payload));
    assert_eq!(
        s.len() % 4,
        2,
        "a 256-byte signature encodes to 342 characters"
    );
    assert_rows(
        &env.verifier,
        &[
            (
                "padded header",
                env.raw_segments(&format!("{h}=="), &p),
                INVALID_CHARACTER,
            ),
            (
                "padded payload",
                env.raw_segments(&h, &format!("{p}=")),
                INVALID_CHARACTER,
            ),
            (
                "padded signature",
                format!("{h}.{p}.{s}=="),
                INVALID_CHARACTER,
            ),
            ("unpadded control", format!("{h}.{p}.{s}"), OK),
        ],
    )
    .await;
}

#[tokio::test]
async fn e7_standard_alphabet_is_refused() {
    let env = Env::new().await;
    let (h, p, s) = segments(&env.good());
    let standard = |segment: &str| segment.replace('-', "+").replace('_', "/");
    let signature = standard(&s);
    assert_ne!(
        signature, s,
        "a 342-character signature contains '-' or '_'"
    );
    assert_rows(
        &env.verifier,
        &[
            (
                "'+' in header",
                env.raw_segments(&format!("+{h}"), &p),
                INVALID_CHARACTER,
            ),
            (
                "'/' in header",
                env.raw_segments(&format!("/{h}"), &p),
                INVALID_CHARACTER,
            ),
            (
                "'+' in payload",
                env.raw_segments(&h, &format!("{p}+")),
                INVALID_CHARACTER,
            ),
            (
                "'/' in payload",
                env.raw_segments(&h, &format!("{p}/")),
                INVALID_CHARACTER,
            ),
            (
                "standard-alphabet signature",
                format!("{h}.{p}.{signature}"),
                INVALID_CHARACTER,
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn e8_whitespace_and_other_characters_are_refused() {
    let env = Env::new().await;
    let (h, p, s) = segments(&env.good());
    let mut rows = Vec::new();
    for bad in [
        " ", "?", "#", "\\", "%", "\0", "\t", "\r", "\n", ",", "é", "\u{2024}",
    ] {
        let mid = |segment: &str| format!("{}{bad}{}", &segment[..4], &segment[4..]);
        rows.push((
            "in header",
            env.raw_segments(&mid(&h), &p),
            INVALID_CHARACTER,
        ));
        rows.push((
            "in payload",
            env.raw_segments(&h, &mid(&p)),
            INVALID_CHARACTER,
        ));
        rows.push((
            "in signature",
            format!("{h}.{p}.{}", mid(&s)),
            INVALID_CHARACTER,
        ));
        rows.push(("trailing", format!("{h}.{p}.{s}{bad}"), INVALID_CHARACTER));
        rows.push(("leading", format!("{bad}{h}.{p}.{s}"), INVALID_CHARACTER));
    }
    assert_rows(&env.verifier, &rows).await;
}

#[tokio::test]
async fn e9_non_canonical_trailing_bits_are_refused_in_every_segment() {
    let env = Env::new().await;
    let header = json_len_mod3(&env.header(), 1);
    let payload = json_len_mod3(&env.claims(&[]), 2);
    let (h, p) = (b64url(header.as_bytes()), b64url(payload.as_bytes()));
    let (_, _, s) = segments(&env.raw(&header, &payload));
    let (h2, p2, s2) = (non_canonical(&h), non_canonical(&p), non_canonical(&s));
    // Same bytes under a lenient decoder: the modification is invisible to one.
    assert_eq!(lenient_decode(&h2), header.as_bytes());
    assert_eq!(lenient_decode(&p2), payload.as_bytes());
    assert_eq!(lenient_decode(&s2), b64_decode(&s));
    assert_rows(
        &env.verifier,
        &[
            (
                "header",
                env.raw_segments(&h2, &p),
                Err(VerifyError::MalformedHeader),
            ),
            (
                "payload",
                env.raw_segments(&h, &p2),
                Err(VerifyError::MalformedPayload),
            ),
            // The signature is not signed over, so the same signature, re-spelled: exactly
            // the malleability jjwt #518 describes.
            (
                "signature",
                format!("{h}.{p}.{s2}"),
                Err(VerifyError::MalformedSignature),
            ),
            ("canonical control", format!("{h}.{p}.{s}"), OK),
        ],
    )
    .await;
}

fn lenient_decode(segment: &str) -> Vec<u8> {
    use base64::Engine as _;
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    let lenient = GeneralPurpose::new(
        &base64::alphabet::URL_SAFE,
        GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(DecodePaddingMode::RequireNone),
    );
    lenient.decode(segment).unwrap()
}

#[tokio::test]
async fn e10_impossible_base64_length_is_refused() {
    let env = Env::new().await;
    let header = json_len_mod3(&env.header(), 0);
    let payload = json_len_mod3(&env.claims(&[]), 0);
    let (h, p) = (b64url(header.as_bytes()), b64url(payload.as_bytes()));
    assert_eq!((h.len() % 4, p.len() % 4), (0, 0));
    let (_, _, s) = segments(&env.raw(&header, &payload));
    assert_rows(
        &env.verifier,
        &[
            (
                "header",
                env.raw_segments(&format!("{h}A"), &p),
                Err(VerifyError::MalformedHeader),
            ),
            (
                "payload",
                env.raw_segments(&h, &format!("{p}A")),
                Err(VerifyError::MalformedPayload),
            ),
            (
                "signature",
                format!("{h}.{p}.{s}AAA"),
                Err(VerifyError::MalformedSignature),
            ),
            ("control", format!("{h}.{p}.{s}"), OK),
        ],
    )
    .await;
}

#[tokio::test]
async fn e11_jws_json_serialisation_is_refused() {
    let env = Env::new().await;
    let (h, p, s) = segments(&env.good());
    let flattened = format!(r#"{{"payload":"{p}","protected":"{h}","signature":"{s}"}}"#);
    let general =
        format!(r#"{{"payload":"{p}","signatures":[{{"protected":"{h}","signature":"{s}"}}]}}"#);
    assert_rows(
        &env.verifier,
        &[
            ("flattened", flattened, INVALID_CHARACTER),
            ("general", general, INVALID_CHARACTER),
        ],
    )
    .await;
}

#[tokio::test]
async fn e12_header_that_is_not_a_utf8_json_object_is_refused() {
    let env = Env::new().await;
    let p = b64url(env.claims(&[]).as_bytes());
    let kid = env.key.kid();
    let invalid_utf8 = [
        br#"{"alg":"RS256","kid":""#.as_slice(),
        b"\xff\xfe",
        br#""}"#,
    ]
    .concat();
    let bom = [b"\xef\xbb\xbf".as_slice(), env.header().as_bytes()].concat();
    let latin1 = format!(r#"{{"alg":"RS256","kid":"{kid}","x":"#).into_bytes();
    let latin1 = [latin1.as_slice(), b"\"caf\xe9\"}"].concat();
    let mut rows = vec![
        (
            "invalid UTF-8",
            env.raw_segments(&b64url(&invalid_utf8), &p),
            Err(VerifyError::MalformedHeader),
        ),
        (
            "Latin-1 string",
            env.raw_segments(&b64url(&latin1), &p),
            Err(VerifyError::MalformedHeader),
        ),
        (
            "BOM",
            env.raw_segments(&b64url(&bom), &p),
            Err(VerifyError::MalformedHeader),
        ),
    ];
    for not_object in ["[]", r#"["RS256"]"#, r#""x""#, "1", "null", "true", " "] {
        rows.push((
            not_object,
            env.raw_segments(&b64url(not_object.as_bytes()), &p),
            Err(VerifyError::MalformedHeader),
        ));
    }
    // Empty header text encodes to an empty segment.
    rows.push((
        "empty header text",
        format!(".{p}.{}", segments(&env.good()).2),
        EMPTY_SEGMENT,
    ));
    assert_rows(&env.verifier, &rows).await;
}

#[tokio::test]
async fn e13_header_followed_by_garbage_is_refused() {
    let env = Env::new().await;
    let payload = env.claims(&[]);
    let header = env.header();
    assert_rows(
        &env.verifier,
        &[
            (
                "xyz",
                env.raw(&format!("{header}xyz"), &payload),
                Err(VerifyError::MalformedHeader),
            ),
            (
                "second object",
                env.raw(&format!("{header}{{}}"), &payload),
                Err(VerifyError::MalformedHeader),
            ),
            (
                "NUL",
                env.raw(&format!("{header}\0"), &payload),
                Err(VerifyError::MalformedHeader),
            ),
            (
                "comma",
                env.raw(&format!("{header},"), &payload),
                Err(VerifyError::MalformedHeader),
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn e14_legal_json_whitespace_in_the_header_is_accepted() {
    let env = Env::new().await;
    let kid = env.key.kid();
    let payload = env.claims(&[]);
    let spaced = format!(r#"{{ "alg" : "RS256" , "kid" : "{kid}" }}"#);
    let tabs = format!("{{\"alg\":\"RS256\",\n\t\"kid\":\"{kid}\"\r\n}}");
    let payload_ws = format!(" {payload}\n");
    assert_rows(
        &env.verifier,
        &[
            ("spaces", env.raw(&spaced, &payload), OK),
            ("newline, tab, CRLF", env.raw(&tabs, &payload), OK),
            (
                "whitespace around the payload",
                env.raw(&env.header(), &payload_ws),
                OK,
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn token_length_limit_is_checked_first_and_is_exact() {
    let env = Env::new().await;
    let good = env.good();
    let exact = tollgate_verify::Verifier::builder()
        .issuer(tollgate_verify::Issuer::cognito_issuer(env.iss()).client_ids([CLIENT]))
        .clock(env.clock.clone())
        .max_token_len(good.len())
        .build()
        .await
        .unwrap();
    assert_rows(
        &exact,
        &[
            ("at the limit", good.clone(), OK),
            (
                "one byte over (and malformed)",
                format!("{good}A"),
                Err(VerifyError::TokenTooLong),
            ),
            (
                "one byte over, garbage",
                "\0".repeat(good.len() + 1),
                Err(VerifyError::TokenTooLong),
            ),
        ],
    )
    .await;
}
