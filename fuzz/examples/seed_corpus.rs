//! Writes the seed corpora under `fuzz/corpus/<target>/` from the repository's test fixtures:
//! the testkit's committed keys and token builder (tokens like those the catalogue tests
//! mint, at the fuzz clock), the vendored Wycheproof and RFC 7520 vectors, the JWKS bodies the
//! testkit serves, the `Authorization` values of `tests/http_answers.rs` and the
//! `Cache-Control`/`Expires` values of `crates/tollgate-jwks/tests/freshness.rs`.
//!
//!     cargo run --manifest-path fuzz/Cargo.toml --example seed_corpus
//!
//! The seeds are committed; rerun this after changing the fixtures. Existing seeds with the
//! same name are overwritten; fuzzer-found inputs kept in the corpus (crash regressions) are
//! left alone.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use tollgate_fuzz::{
    COGNITO_CLIENT, COGNITO_ISS, NOW, OIDC_AUDIENCE, OIDC_ISS, TENANT_CLAIM, b64_encode,
    cognito_access_token, fixture, oidc_access_token,
};
use tollgate_testkit::{RsaAlg, SigningKey, TokenBuilder, jwks_json, raw};

type Seeds = Vec<(String, Vec<u8>)>;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let repo = root.parent().expect("fuzz/ sits in the repository");
    let data = repo.join("crates/tollgate-verify/tests/data");
    let corpus = root.join("corpus");

    write(&corpus.join("jws_token"), jws_tokens(&data));
    write(&corpus.join("jws_mutate"), mutations());
    write(&corpus.join("jws_signed"), signed_inputs());
    write(&corpus.join("jwks"), key_sets(&data));
    write(&corpus.join("bearer"), bearer_values());
    write(&corpus.join("cache_control"), freshness_headers());
}

fn write(dir: &PathBuf, seeds: Seeds) {
    fs::create_dir_all(dir).unwrap();
    let count = seeds.len();
    for (name, bytes) in seeds {
        fs::write(dir.join(format!("seed-{name}")), bytes).unwrap();
    }
    println!("{}: {count} seeds", dir.display());
}

fn seed(seeds: &mut Seeds, name: impl Into<String>, bytes: impl Into<Vec<u8>>) {
    seeds.push((name.into(), bytes.into()));
}

/// Tokens of the kinds the catalogue tests mint (valid, expired, wrong issuer, forbidden
/// header members, alg confusion, broken encodings), at the fuzz clock, plus every compact
/// JWS of the vendored vectors.
fn jws_tokens(data: &Path) -> Seeds {
    let f = fixture();
    let key0 = &f.cognito_key;
    let key1 = &f.oidc_key;
    let mut seeds = Seeds::new();
    for (i, token) in f.valid_tokens.iter().enumerate() {
        seed(&mut seeds, format!("valid-{i}"), token.as_bytes());
    }
    let cognito = cognito_access_token;
    let signed = |builder: TokenBuilder, key: &SigningKey| builder.sign(key).unwrap();
    let variants: Vec<(&str, String)> = vec![
        ("expired", signed(cognito().expires_at(NOW - 3600), key0)),
        (
            "not-yet-valid",
            signed(cognito().claim("nbf", NOW + 3600), key0),
        ),
        ("iat-future", signed(cognito().issued_at(NOW + 600), key0)),
        ("too-old", signed(cognito().issued_at(NOW - 200_000), key0)),
        (
            "lifetime-too-long",
            signed(cognito().expires_at(NOW + 400_000), key0),
        ),
        ("no-exp", signed(cognito().without_claim("exp"), key0)),
        (
            "exp-string",
            signed(cognito().claim("exp", "9999999999"), key0),
        ),
        (
            "exp-fraction",
            signed(cognito().claim("exp", 1_700_003_000.5), key0),
        ),
        ("wrong-iss", signed(cognito().claim("iss", OIDC_ISS), key0)),
        (
            "iss-array",
            signed(cognito().claim("iss", json!([COGNITO_ISS])), key0),
        ),
        (
            "token-use-id",
            signed(cognito().claim("token_use", "id"), key0),
        ),
        (
            "wrong-client",
            signed(cognito().claim("client_id", "other"), key0),
        ),
        (
            "scope-array",
            signed(cognito().claim("scope", json!(["a"])), key0),
        ),
        ("other-issuers-key", signed(cognito(), key1)),
        ("typ-jwt", signed(cognito().header("typ", "JWT"), key0)),
        (
            "typ-other",
            signed(cognito().header("typ", "secevent+jwt"), key0),
        ),
        (
            "crit",
            signed(cognito().header("crit", json!(["exp"])), key0),
        ),
        (
            "jku",
            signed(
                cognito().header("jku", "https://attacker.example/jwks"),
                key0,
            ),
        ),
        (
            "jwk",
            signed(cognito().header("jwk", key0.public_jwk()), key0),
        ),
        (
            "x5u",
            signed(cognito().header("x5u", "https://attacker.example/c"), key0),
        ),
        (
            "x5c",
            signed(cognito().header("x5c", json!(["MIIB"])), key0),
        ),
        ("enc", signed(cognito().header("enc", "A128GCM"), key0)),
        ("no-kid", signed(cognito().without_header("kid"), key0)),
        (
            "unknown-kid",
            signed(cognito().header("kid", "unknown"), key0),
        ),
        ("kid-number", signed(cognito().header("kid", 7), key0)),
        ("alg-none", cognito().unsigned()),
        (
            "alg-hs256-public-key",
            cognito()
                .header("kid", key0.kid())
                .sign_hs256(key0.public_key_spki_pem().as_bytes())
                .unwrap(),
        ),
        ("rs384", cognito().sign_with(key0, RsaAlg::Rs384).unwrap()),
        (
            "ps256-claiming-rs256",
            cognito()
                .header("alg", "RS256")
                .sign_with(key0, RsaAlg::Ps256)
                .unwrap(),
        ),
        (
            "oidc-no-aud",
            signed(oidc_access_token().without_claim("aud"), key1),
        ),
        (
            "oidc-other-aud",
            signed(oidc_access_token().claim("aud", "x"), key1),
        ),
        (
            "oidc-blocked-tenant",
            signed(oidc_access_token().claim(TENANT_CLAIM, "blocked"), key1),
        ),
        (
            "oidc-tenant-number",
            signed(oidc_access_token().claim(TENANT_CLAIM, 3), key1),
        ),
    ];
    for (name, token) in variants {
        seed(&mut seeds, name, token);
    }

    // Exact JSON texts the builder cannot produce: duplicates (also escaped), deep nesting,
    // odd numbers.
    let header0 = format!(r#"{{"alg":"RS256","kid":"{}"}}"#, key0.kid());
    let claims = serde_json::to_string(cognito().claims()).unwrap();
    let raw_cases = [
        (
            "dup-header-alg",
            format!(r#"{{"alg":"none","alg":"RS256","kid":"{}"}}"#, key0.kid()),
            claims.clone(),
        ),
        (
            "dup-claim-exp",
            header0.clone(),
            claims.replacen('{', &format!(r#"{{"exp":{},"#, NOW - 10), 1),
        ),
        (
            "dup-claim-escaped",
            header0.clone(),
            claims.replacen('{', &format!(r#"{{"\u0065xp":{},"#, NOW - 10), 1),
        ),
        (
            "nested-duplicate",
            header0.clone(),
            claims.replacen('{', r#"{"x":{"a":1,"a":2},"#, 1),
        ),
        (
            "deep-nesting",
            header0.clone(),
            claims.replacen(
                '{',
                &format!(r#"{{"x":{}1{},"#, "[".repeat(200), "]".repeat(200)),
                1,
            ),
        ),
        (
            "exp-huge",
            header0.clone(),
            claims.replacen('{', r#"{"nbf":1e400,"#, 1),
        ),
        ("trailing-data", header0.clone(), format!("{claims} ")),
        ("payload-array", header0.clone(), "[]".to_owned()),
        ("header-bom", format!("\u{feff}{header0}"), claims.clone()),
    ];
    for (name, header, payload) in raw_cases {
        seed(
            &mut seeds,
            name,
            raw::signed_compact(&header, &payload, key0).unwrap(),
        );
    }

    // Broken encodings of a valid token.
    let valid = &f.valid_tokens[0];
    let mut segments = valid.split('.');
    let (h, p, s) = (
        segments.next().unwrap(),
        segments.next().unwrap(),
        segments.next().unwrap(),
    );
    let encodings = [
        ("two-segments", format!("{h}.{p}")),
        ("four-segments", format!("{h}.{p}.{s}.{s}")),
        ("five-segments-jwe", format!("{h}.{p}.{s}.{s}.{s}")),
        ("empty-signature", format!("{h}.{p}.")),
        ("empty-payload", format!("{h}..{s}")),
        ("padded-header", format!("{h}==.{p}.{s}")),
        (
            "standard-alphabet",
            valid.replace('-', "+").replace('_', "/"),
        ),
        ("leading-space", format!(" {valid}")),
        ("trailing-newline", format!("{valid}\n")),
        ("non-canonical-last-char", non_canonical(valid)),
    ];
    for (name, token) in encodings {
        seed(&mut seeds, name, token);
    }

    // Every compact JWS in the vendored vectors.
    let mut vector_tokens = Vec::new();
    for file in [
        "wycheproof-json_web_signature_test.json",
        "wycheproof-json_web_key_test.json",
    ] {
        let value: Value = serde_json::from_slice(&fs::read(data.join(file)).unwrap()).unwrap();
        for group in value["testGroups"].as_array().unwrap() {
            for test in group["tests"].as_array().unwrap() {
                if let Some(jws) = test["jws"].as_str() {
                    vector_tokens.push((format!("{file}-{}", test["tcId"]), jws.to_owned()));
                }
            }
        }
    }
    let rfc: Value =
        serde_json::from_slice(&fs::read(data.join("rfc7520-4_1.rsa_v15_signature.json")).unwrap())
            .unwrap();
    vector_tokens.push((
        "rfc7520-4_1".to_owned(),
        rfc["output"]["compact"].as_str().unwrap().to_owned(),
    ));
    for (name, token) in vector_tokens {
        let name = name.replace(".json", "").replace("wycheproof-", "wp-");
        seed(&mut seeds, name, token);
    }
    seeds
}

/// Changes the last base64url character of the signature so its unused low bits are set:
/// the same bytes in a non-canonical encoding.
fn non_canonical(token: &str) -> String {
    let mut chars: Vec<char> = token.chars().collect();
    if let Some(last) = chars.last_mut() {
        // A 256-byte signature ends with 2 unused bits in its last character.
        const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let index = ALPHABET.find(*last).unwrap_or(0);
        *last = ALPHABET.chars().nth(index | 1).unwrap_or('B');
    }
    chars.into_iter().collect()
}

/// Edit programs for `jws_mutate`: the unchanged tokens, and one edit of each kind.
fn mutations() -> Seeds {
    let mut seeds = Seeds::new();
    seed(&mut seeds, "cognito-unchanged", vec![0]);
    seed(&mut seeds, "oidc-unchanged", vec![1]);
    let edits: [(&str, [u8; 4]); 7] = [
        ("overwrite", [0, 0, 10, b'A']),
        ("insert-dot", [1, 0, 30, b'.']),
        ("delete", [2, 1, 0, 0]),
        ("bit-flip", [3, 0, 200, 0]),
        ("truncate-signature", [4, 2, 100, 0]),
        ("repeat-span", [5, 0, 0, 20]),
        ("flip-last", [3, 0xff, 0xff, 1]),
    ];
    for (name, edit) in edits {
        let mut program = vec![0];
        program.extend_from_slice(&edit);
        seed(&mut seeds, name, program);
    }
    seeds
}

/// Inputs for `jws_signed`: the claims of the valid tokens and of the catalogue's claim cases
/// (mode 0 / 1: default header), and header-and-claims pairs (mode 2 / 3).
fn signed_inputs() -> Seeds {
    let f = fixture();
    let mut seeds = Seeds::new();
    let with_mode = |mode: u8, bytes: &[u8]| {
        let mut input = vec![mode];
        input.extend_from_slice(bytes);
        input
    };
    let cognito = serde_json::to_string(cognito_access_token().claims()).unwrap();
    let oidc = serde_json::to_string(oidc_access_token().claims()).unwrap();
    seed(&mut seeds, "cognito", with_mode(0, cognito.as_bytes()));
    seed(&mut seeds, "oidc", with_mode(1, oidc.as_bytes()));
    seed(
        &mut seeds,
        "cognito-other-key",
        with_mode(4, cognito.as_bytes()),
    );
    seed(
        &mut seeds,
        "cognito-rs384",
        with_mode(8, cognito.as_bytes()),
    );
    let claim_cases: [(&str, u8, Value); 10] = [
        (
            "minimal-cognito",
            0,
            json!({"iss": COGNITO_ISS, "exp": NOW + 60, "iat": NOW, "token_use": "access", "client_id": COGNITO_CLIENT}),
        ),
        (
            "minimal-oidc",
            1,
            json!({"iss": OIDC_ISS, "exp": NOW + 60, "iat": NOW, "aud": OIDC_AUDIENCE}),
        ),
        (
            "oidc-scope-string-and-scp",
            1,
            json!({"iss": OIDC_ISS, "exp": NOW + 60, "iat": NOW, "aud": [OIDC_AUDIENCE], "scope": "a b", "scp": ["c"]}),
        ),
        (
            "nbf-and-leeway",
            0,
            json!({"iss": COGNITO_ISS, "exp": NOW - 29, "nbf": NOW + 29, "iat": NOW, "token_use": "access", "client_id": COGNITO_CLIENT}),
        ),
        (
            "exp-null",
            0,
            json!({"iss": COGNITO_ISS, "exp": null, "iat": NOW, "token_use": "access", "client_id": COGNITO_CLIENT}),
        ),
        (
            "iat-bool",
            0,
            json!({"iss": COGNITO_ISS, "exp": NOW + 60, "iat": true, "token_use": "access", "client_id": COGNITO_CLIENT}),
        ),
        (
            "groups-and-extras",
            0,
            json!({"iss": COGNITO_ISS, "exp": NOW + 60, "iat": NOW, "token_use": "access", "client_id": COGNITO_CLIENT, "cognito:groups": ["a", "b"], "x": {"y": [1, 2.5, null]}}),
        ),
        (
            "blocked-tenant",
            1,
            json!({"iss": OIDC_ISS, "exp": NOW + 60, "iat": NOW, "aud": OIDC_AUDIENCE, TENANT_CLAIM: "blocked"}),
        ),
        (
            "negative-times",
            0,
            json!({"iss": COGNITO_ISS, "exp": -1, "iat": -9_223_372_036_854_775_807_i64, "token_use": "access", "client_id": COGNITO_CLIENT}),
        ),
        (
            "big-times",
            0,
            json!({"iss": COGNITO_ISS, "exp": u64::MAX, "iat": 1.7e9, "token_use": "access", "client_id": COGNITO_CLIENT}),
        ),
    ];
    for (name, mode, claims) in claim_cases {
        seed(
            &mut seeds,
            name,
            with_mode(mode, claims.to_string().as_bytes()),
        );
    }
    let kid0 = f.cognito_key.kid();
    let headers = [
        (
            "header-typ-at-jwt",
            format!(r#"{{"alg":"RS256","kid":"{kid0}","typ":"at+jwt"}}"#),
        ),
        (
            "header-crit",
            format!(r#"{{"alg":"RS256","kid":"{kid0}","crit":["b64"],"b64":false}}"#),
        ),
        (
            "header-jwk",
            format!(r#"{{"alg":"RS256","kid":"{kid0}","jwk":{{}}}}"#),
        ),
        (
            "header-dup-kid",
            format!(r#"{{"alg":"RS256","kid":"x","kid":"{kid0}"}}"#),
        ),
        (
            "header-escaped-alg",
            format!(r#"{{"\u0061lg":"RS256","kid":"{kid0}"}}"#),
        ),
        (
            "header-typ-number",
            format!(r#"{{"alg":"RS256","kid":"{kid0}","typ":1}}"#),
        ),
        (
            "header-nested",
            format!(r#"{{"alg":"RS256","kid":"{kid0}","x":{{"y":{{"z":[{{}}]}}}}}}"#),
        ),
    ];
    for (name, header) in headers {
        let mut input = vec![2];
        input.extend_from_slice(header.as_bytes());
        input.push(0);
        input.extend_from_slice(cognito.as_bytes());
        seed(&mut seeds, name, input);
    }
    seeds
}

/// JWK sets: what the testkit serves for its committed keys, the Wycheproof JWK sets and
/// keys, the RFC 7520 key, and sets that the key policy must refuse in part or whole.
fn key_sets(data: &Path) -> Seeds {
    let keys: Vec<SigningKey> = (0..4).map(|i| SigningKey::fixture(i).unwrap()).collect();
    let mut seeds = Seeds::new();
    seed(&mut seeds, "testkit-one", jwks_json(&[&keys[0]]));
    seed(
        &mut seeds,
        "testkit-four",
        jwks_json(&keys.iter().collect::<Vec<_>>()),
    );

    let jwk = keys[0].public_jwk();
    let set = |entries: Vec<Value>| json!({ "keys": entries }).to_string();
    let edited = |edit: &dyn Fn(&mut serde_json::Map<String, Value>)| {
        let mut entry = jwk.as_object().unwrap().clone();
        edit(&mut entry);
        Value::Object(entry)
    };
    let cases: Vec<(&str, String)> = vec![
        (
            "alg-rs512",
            set(vec![edited(&|e| {
                e.insert("alg".into(), "RS512".into());
            })]),
        ),
        (
            "alg-ps256",
            set(vec![edited(&|e| {
                e.insert("alg".into(), "PS256".into());
            })]),
        ),
        (
            "use-enc",
            set(vec![edited(&|e| {
                e.insert("use".into(), "enc".into());
            })]),
        ),
        (
            "key-ops-sign",
            set(vec![edited(&|e| {
                e.insert("key_ops".into(), json!(["sign"]));
            })]),
        ),
        (
            "private-d",
            set(vec![edited(&|e| {
                e.insert("d".into(), "AQAB".into());
            })]),
        ),
        (
            "exponent-3",
            set(vec![edited(&|e| {
                e.insert("e".into(), "Aw".into());
            })]),
        ),
        (
            "exponent-1",
            set(vec![edited(&|e| {
                e.insert("e".into(), "AQ".into());
            })]),
        ),
        (
            "no-kid",
            set(vec![edited(&|e| {
                e.remove("kid");
            })]),
        ),
        (
            "kid-number",
            set(vec![edited(&|e| {
                e.insert("kid".into(), 1.into());
            })]),
        ),
        (
            "n-leading-zero",
            set(vec![edited(&|e| {
                let mut n = vec![0u8];
                n.extend_from_slice(keys[0].modulus());
                e.insert("n".into(), b64_encode(&n).into());
            })]),
        ),
        (
            "n-1024-bits",
            set(vec![edited(&|e| {
                e.insert("n".into(), b64_encode(&keys[0].modulus()[..128]).into());
            })]),
        ),
        (
            "ec-and-rsa",
            set(vec![
                json!({"kty": "EC", "kid": "ec", "crv": "P-256", "x": "AA", "y": "AA"}),
                jwk.clone(),
            ]),
        ),
        ("duplicate-kid", set(vec![jwk.clone(), jwk.clone()])),
        (
            "duplicate-kid-broken-second",
            set(vec![jwk.clone(), json!({"kid": keys[0].kid()})]),
        ),
        ("array-entry", set(vec![json!([1, 2]), jwk.clone()])),
        ("three-keys", jwks_json(&[&keys[1], &keys[2], &keys[3]])),
        ("keys-object", r#"{"keys":{}}"#.to_owned()),
        (
            "dup-keys-member",
            format!(r#"{{"keys":[],"keys":{}}}"#, set(vec![jwk.clone()])),
        ),
    ];
    for (name, body) in cases {
        seed(&mut seeds, name, body);
    }

    let jwk_file: Value =
        serde_json::from_slice(&fs::read(data.join("wycheproof-json_web_key_test.json")).unwrap())
            .unwrap();
    for (i, group) in jwk_file["testGroups"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        for part in ["public", "private"] {
            if let Some(keys) = group.get(part) {
                seed(&mut seeds, format!("wp-jwk-{i}-{part}"), keys.to_string());
            }
        }
    }
    let jws_file: Value = serde_json::from_slice(
        &fs::read(data.join("wycheproof-json_web_signature_test.json")).unwrap(),
    )
    .unwrap();
    for (i, group) in jws_file["testGroups"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        for part in ["public", "private"] {
            if let Some(key) = group.get(part) {
                let body = if key.get("keys").is_some() {
                    key.to_string()
                } else {
                    set(vec![key.clone()])
                };
                seed(&mut seeds, format!("wp-jws-{i}-{part}"), body);
            }
        }
    }
    let rsa_file: Value = serde_json::from_slice(
        &fs::read(data.join("wycheproof-rsa_signature_2048_sha256_test.json")).unwrap(),
    )
    .unwrap();
    for (i, group) in rsa_file["testGroups"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .take(4)
    {
        if let Some(key) = group.get("keyJwk") {
            seed(&mut seeds, format!("wp-rsa-{i}"), set(vec![key.clone()]));
        }
    }
    let rfc: Value =
        serde_json::from_slice(&fs::read(data.join("rfc7520-4_1.rsa_v15_signature.json")).unwrap())
            .unwrap();
    let mut rfc_key = rfc["input"]["key"].as_object().unwrap().clone();
    for private in ["d", "p", "q", "dp", "dq", "qi"] {
        rfc_key.remove(private);
    }
    seed(
        &mut seeds,
        "rfc7520-public",
        set(vec![Value::Object(rfc_key)]),
    );
    seed(
        &mut seeds,
        "rfc7520-private",
        set(vec![rfc["input"]["key"].clone()]),
    );
    seeds
}

/// `Authorization` values of `tests/http_answers.rs` (first line: the query string).
fn bearer_values() -> Seeds {
    let token = &fixture().valid_tokens[0];
    let (head, tail) = token.split_at(40);
    let cases: Vec<(&str, String)> = vec![
        ("bearer", format!("\nBearer {token}")),
        ("bearer-lower", "\nbearer abc".into()),
        ("bearer-mixed", "\nBeArEr abc".into()),
        ("bearer-spaces", format!("\nBearer   {token}")),
        ("bearer-trailing", format!("\nBearer {token}  \t ")),
        ("bearer-padding", "\nBearer abc==".into()),
        ("bearers", "\nBearers abc".into()),
        ("bearer-alone", "\nBearer".into()),
        ("bearer-space", "\nBearer ".into()),
        ("bearer-spaces-only", "\nbearer    ".into()),
        ("bearer-glued", format!("\nBearer{token}")),
        ("bearer-tab", format!("\nBearer\t{token}")),
        ("two-words", "\nBearer a b".into()),
        ("comma", "\nBearer a,b".into()),
        ("split-token", format!("\nBearer {head} {tail}")),
        ("quote", format!("\nBearer {head}\"{tail}")),
        ("leading-equals", "\nBearer =abc".into()),
        ("not-ascii", "\nBearer ab\u{ff}c".into()),
        ("two-tokens", format!("\nBearer {token}, Bearer {token}")),
        ("two-fields", format!("\nBearer {token}\nBearer {token}")),
        ("basic", "\nBasic dXNlcjpwYXNz".into()),
        ("digest", "\nDigest x".into()),
        ("negotiate", "\nNegotiate".into()),
        (
            "cookie-like",
            format!("\ntoken={token}; Authorization=Bearer {token}"),
        ),
        ("query-token", "access_token=a\nBearer a".into()),
        ("query-encoded", "access%5Ftoken=a\nBearer a".into()),
        ("query-bare", "x=1&access_token\nBearer a".into()),
        ("query-other", "my_access_token=a\nBearer a".into()),
        ("query-only", "access_token=a".into()),
        ("no-header", String::new()),
    ];
    let mut seeds = Seeds::new();
    for (name, value) in cases {
        seed(&mut seeds, name, value);
    }
    seeds
}

/// Header sets of `crates/tollgate-jwks/tests/freshness.rs` and the fetcher's unit tests.
fn freshness_headers() -> Seeds {
    let cases = [
        ("max-age", "cache-control: max-age=400"),
        (
            "max-age-list",
            "cache-control: public, max-age=400, must-revalidate",
        ),
        ("max-age-quoted", "cache-control: max-age=\"400\""),
        ("max-age-upper", "cache-control: MAX-AGE=400"),
        ("max-age-zero", "cache-control: max-age=0"),
        (
            "max-age-huge",
            "cache-control: max-age=99999999999999999999999",
        ),
        ("max-age-word", "cache-control: max-age=soon"),
        ("max-age-negative", "cache-control: max-age=-1"),
        (
            "max-age-and-expires",
            "cache-control: max-age=400\ndate: Wed, 21 Oct 2015 07:28:00 GMT\nexpires: Wed, 21 Oct 2015 07:38:00 GMT",
        ),
        ("no-store", "cache-control: no-store"),
        ("no-cache", "cache-control: no-cache"),
        ("private-no-store", "cache-control: private, no-store"),
        (
            "max-age-then-no-store",
            "cache-control: max-age=3000, no-store",
        ),
        (
            "two-fields",
            "cache-control: max-age=300\ncache-control: no-cache",
        ),
        ("public", "cache-control: public"),
        (
            "expires-date",
            "date: Wed, 21 Oct 2015 07:28:00 GMT\nexpires: Wed, 21 Oct 2015 07:38:00 GMT",
        ),
        (
            "expires-before-date",
            "date: Wed, 21 Oct 2015 07:28:00 GMT\nexpires: Wed, 21 Oct 2015 07:00:00 GMT",
        ),
        ("expires-zero", "expires: 0"),
        ("expires-word", "expires: tomorrow"),
        ("expires-no-date", "expires: Wed, 21 Oct 2015 07:38:00 GMT"),
        (
            "expires-rfc850",
            "expires: Wednesday, 21-Oct-15 07:38:00 GMT",
        ),
        ("expires-asctime", "expires: Wed Oct 21 07:38:00 2015"),
        ("empty", ""),
    ];
    let mut seeds = Seeds::new();
    for (name, headers) in cases {
        seed(&mut seeds, name, headers);
    }
    seeds
}
