//! The CVE list of the security catalogue (`docs/security-catalogue.md`): one regression test
//! per known advisory in JWT/JOSE stacks, named
//! after it, reproducing the attack against tollgate and asserting the exact refusal. The
//! catalogue rows each one maps to are in the test's doc comment.
//!
//! Not here (no verifier-level behaviour to test): Envoy CVE-2023-27487 (request-path
//! handling: tower layer, rows F3/F5) and RUSTSEC-2023-0071 (supply chain: tollgate uses
//! aws-lc-rs, not the `rsa` crate).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::wycheproof;
use common::*;
use serde_json::json;
use tollgate_testkit::raw::{self, b64url};
use tollgate_testkit::{JwksFault, SigningKey, TokenBuilder};
use tollgate_verify::jwks::{KeyRejection, KeySet, KeySetOptions};
use tollgate_verify::{
    Algorithm, BuildError, EcdsaForm, ErrorCode, Issuer, Malformed, ManualClock, Part, Verifier,
    VerifyError, verify_jws,
};

/// An HS256 token aimed at the issuer's RSA key: its kid, MAC keyed with `secret`.
fn hs256(env: &Env, secret: &[u8]) -> String {
    env.token()
        .header("kid", env.key.kid())
        .sign_hs256(secret)
        .unwrap()
}

/// `ssh-rsa AAAA…`: the OpenSSH public-key line of `key` (RFC 4253 §6.6).
fn openssh_line(key: &SigningKey) -> String {
    fn string(out: &mut Vec<u8>, bytes: &[u8]) {
        out.extend_from_slice(&u32::try_from(bytes.len()).unwrap().to_be_bytes());
        out.extend_from_slice(bytes);
    }
    fn mpint(out: &mut Vec<u8>, bytes: &[u8]) {
        if bytes[0] & 0x80 == 0 {
            string(out, bytes);
        } else {
            string(out, &[&[0], bytes].concat());
        }
    }
    let mut blob = Vec::new();
    string(&mut blob, b"ssh-rsa");
    mpint(&mut blob, key.exponent());
    mpint(&mut blob, key.modulus());
    use base64::Engine as _;
    format!(
        "ssh-rsa {} tollgate@test\n",
        base64::engine::general_purpose::STANDARD.encode(blob)
    )
}

/// H3: HS256 verified with the RSA public key as HMAC secret (alg taken from the header).
#[tokio::test]
async fn cve_2015_9235_node_jsonwebtoken_rs_to_hs_confusion() {
    let env = Env::new().await;
    assert_eq!(
        env.check(&hs256(&env, env.key.public_key_spki_pem().as_bytes()))
            .await,
        Err(VerifyError::AlgorithmNotAllowed)
    );
}

/// H3: the same RS→HS confusion in jwt-simple.
#[tokio::test]
async fn cve_2016_10555_jwt_simple_rs_to_hs_confusion() {
    let env = Env::new().await;
    for secret in [
        env.key.public_key_spki_pem().into_bytes(),
        env.key.public_key_spki_der(),
    ] {
        assert_eq!(
            env.check(&hs256(&env, &secret)).await,
            Err(VerifyError::AlgorithmNotAllowed)
        );
    }
}

/// H3 (PKCS#1 PEM variant): the HMAC-key blocklist missed `BEGIN RSA PUBLIC KEY`.
#[tokio::test]
async fn cve_2017_11424_pyjwt_pkcs1_pem_as_hmac_secret() {
    let env = Env::new().await;
    assert_eq!(
        env.check(&hs256(&env, env.key.public_key_pkcs1_pem().as_bytes()))
            .await,
        Err(VerifyError::AlgorithmNotAllowed)
    );
}

/// H3: OpenSSH-format keys were not blocklisted.
#[tokio::test]
async fn cve_2022_29217_pyjwt_openssh_key_as_hmac_secret() {
    let env = Env::new().await;
    let line = openssh_line(&env.key);
    assert!(line.starts_with("ssh-rsa AAAAB3NzaC1yc2E"));
    assert_eq!(
        env.check(&hs256(&env, line.as_bytes())).await,
        Err(VerifyError::AlgorithmNotAllowed)
    );
}

/// H3, H6: a public JWK usable as an HMAC secret when HS and asymmetric algorithms mix.
#[tokio::test]
async fn cve_2026_48526_pyjwt_public_jwk_as_hmac_secret() {
    let env = Env::with(|v| v.algorithms(Algorithm::ALL)).await;
    let jwk = env.key.public_jwk().to_string();
    assert_eq!(
        env.check(&hs256(&env, jwk.as_bytes())).await,
        Err(VerifyError::AlgorithmNotAllowed)
    );
    // An `oct` key in the set is never an HMAC key either.
    let set = KeySet::from_json(
        jwks_of(&[
            env.key.public_jwk(),
            json!({"kty":"oct","kid":"hmac","k":"c2VjcmV0"}),
        ])
        .as_bytes(),
        &KeySetOptions::default(),
    )
    .unwrap();
    assert_eq!(set.skipped()[0].reason(), &KeyRejection::UnsupportedKeyType);
}

/// H3: alg confusion with OpenSSH ECDSA keys.
#[tokio::test]
async fn cve_2024_33663_python_jose_openssh_ecdsa_key_as_hmac_secret() {
    let env = Env::new().await;
    let ecdsa_line =
        "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEXAMPLE= x@y\n";
    assert_eq!(
        env.check(&hs256(&env, ecdsa_line.as_bytes())).await,
        Err(VerifyError::AlgorithmNotAllowed)
    );
}

/// H3 prefix variants: PEM sniffing missed leading whitespace, then other prefixes (fixed
/// three times). The key type comes from the JWK's `kty`, never from the secret's text.
#[tokio::test]
async fn cve_2023_48223_cve_2026_34950_ghsa_ww5h_9m49_7xx4_fast_jwt_pem_sniffing() {
    let env = Env::new().await;
    let pem = env.key.public_key_spki_pem();
    for secret in [
        format!(" {pem}"),
        format!("\n\n{pem}"),
        format!("\t{pem}"),
        format!("x{pem}"),
        format!("\u{feff}{pem}"),
        pem.replace("PUBLIC KEY", "public key"),
    ] {
        assert_eq!(
            env.check(&hs256(&env, secret.as_bytes())).await,
            Err(VerifyError::AlgorithmNotAllowed)
        );
    }
}

/// H1: no `algorithms` and a falsy key let `none` through.
#[tokio::test]
async fn cve_2022_23540_node_jsonwebtoken_alg_none() {
    let env = Env::new().await;
    let token = env.token().header("kid", env.key.kid());
    assert_eq!(
        env.check(&token.unsigned()).await,
        Err(VerifyError::MalformedToken(Malformed::EmptySegment))
    );
    let (h, p, _) = segments(&format!("{}sig", token.unsigned()));
    assert_eq!(
        env.check(&format!("{h}.{p}.AAAA")).await,
        Err(VerifyError::AlgorithmNotAllowed)
    );
}

/// H3: a key-retrieval callback plus mixed key types gave RS→HS confusion.
#[tokio::test]
async fn cve_2022_23541_node_jsonwebtoken_key_callback_confusion() {
    // The key is looked up by kid in the issuer's set only after `alg` passed the
    // allowlist; the lookup cannot change which primitive runs.
    let env = Env::new().await;
    let secret = env.key.public_key_spki_pem();
    let token = env
        .token()
        .header("kid", env.key.kid())
        .header("alg", "HS256")
        .sign_hs256(secret.as_bytes())
        .unwrap();
    assert_eq!(
        env.check(&token).await,
        Err(VerifyError::AlgorithmNotAllowed)
    );
}

/// S6–S9: legacy or insecure key types accepted.
#[test]
fn cve_2022_23539_node_jsonwebtoken_insecure_key_types() {
    let key = SigningKey::fixture(0).unwrap();
    let decoy = SigningKey::fixture(1).unwrap().public_jwk();
    let small_n = vec![0xff; 128];
    for (name, jwk, reason) in [
        (
            "1024-bit RSA",
            json!({"kty":"RSA","kid":"probe","n":b64url(&small_n),"e":"AQAB"}),
            KeyRejection::ModulusOutOfPolicy { bits: 1024 },
        ),
        (
            "e = 3",
            json!({"kty":"RSA","kid":"probe","n":b64url(key.modulus()),"e":"Aw"}),
            KeyRejection::ExponentOutOfPolicy,
        ),
        (
            "DSA",
            json!({"kty":"DSA","kid":"probe"}),
            KeyRejection::UnsupportedKeyType,
        ),
        (
            "EC",
            json!({"kty":"EC","kid":"probe","crv":"P-256","x":"AA","y":"AA"}),
            KeyRejection::UnsupportedKeyType,
        ),
    ] {
        let set = KeySet::from_json(
            jwks_of(&[decoy.clone(), jwk]).as_bytes(),
            &KeySetOptions::default(),
        )
        .unwrap();
        assert!(set.get("probe").is_none(), "{name}");
        assert_eq!(set.skipped()[0].reason(), &reason, "{name}");
    }
}

/// H1/H3 + "algorithms is mandatory": the allowlist is RS256 by default, cannot be empty,
/// and cannot name `none` or HMAC at all.
#[tokio::test]
async fn cve_2020_15084_express_jwt_algorithms_not_specified() {
    let result = Verifier::builder()
        .issuer(Issuer::cognito_issuer("https://issuer.example").any_client())
        .algorithms([])
        .build_lazy();
    assert!(matches!(result, Err(BuildError::NoAlgorithm)), "{result:?}");
    let env = Env::new().await;
    assert_eq!(
        env.check(&hs256(&env, b"secret")).await,
        Err(VerifyError::AlgorithmNotAllowed)
    );
    assert_eq!(
        env.check(&env.sign(&env.token().header("alg", "none")))
            .await,
        Err(VerifyError::AlgorithmNotAllowed)
    );
    assert_eq!(Algorithm::from_jose("HS256"), None);
    assert_eq!(Algorithm::from_jose("none"), None);
}

/// C12: `iss` compared by substring containment.
#[tokio::test]
async fn cve_2024_53861_pyjwt_iss_substring_match() {
    let env = Env::new().await;
    let iss = env.iss();
    for variant in [
        iss[..iss.len() - 1].to_owned(),
        iss[7..].to_owned(),
        format!("{iss}x"),
        format!("x{iss}"),
    ] {
        assert_eq!(
            env.check(&env.sign(&env.token().claim("iss", variant.as_str())))
                .await,
            Err(VerifyError::UnknownIssuer),
            "{variant}"
        );
    }
}

/// H19: unknown `crit` extensions accepted.
#[tokio::test]
async fn cve_2026_32597_pyjwt_unknown_crit_accepted() {
    let env = Env::new().await;
    let token = env.sign(
        &env.token()
            .header("crit", json!(["x-unknown"]))
            .header("x-unknown", true),
    );
    assert_eq!(env.check(&token).await, Err(VerifyError::CriticalHeader));
}

/// H19: the same `crit` class in Authlib.
#[tokio::test]
async fn cve_2025_59420_authlib_crit_ignored() {
    let env = Env::new().await;
    let token = env.sign(
        &env.token()
            .header("crit", json!(["b64"]))
            .header("b64", false),
    );
    assert_eq!(env.check(&token).await, Err(VerifyError::CriticalHeader));
}

/// C3, C7: wrong-typed `exp`/`nbf` treated as absent, skipping the time checks.
#[tokio::test]
async fn cve_2026_25537_jsonwebtoken_wrong_typed_exp_nbf_ignored() {
    let env = Env::new().await;
    let expired_as_string = env.sign(&env.token().claim("exp", (T0 - 3600).to_string()));
    let future_nbf_as_string = env.sign(&env.token().claim("nbf", (T0 + 86_400).to_string()));
    assert_eq!(
        env.check(&expired_as_string).await,
        Err(VerifyError::InvalidClaimType("exp"))
    );
    assert_eq!(
        env.check(&future_nbf_as_string).await,
        Err(VerifyError::InvalidClaimType("nbf"))
    );
}

/// E11, F4: compact/JSON serialisation mix let the claims read differ from those signed.
#[tokio::test]
async fn cve_2022_39227_python_jwt_compact_json_mix() {
    let env = Env::new().await;
    let (h, p, s) = segments(&env.good());
    let forged_claims = b64url(
        env.claims(&[("scope", Some(r#""orders/admin""#))])
            .as_bytes(),
    );
    // The published proof of concept's shape.
    let mixed = format!(
        r#"{{"  {h}.{forged_claims}.":"","protected":"{h}", "payload":"{p}","signature":"{s}"}}"#
    );
    assert_eq!(
        env.check(&mixed).await,
        Err(VerifyError::MalformedToken(Malformed::InvalidCharacter))
    );
}

/// E11: multi-signature JWS; the API did not say which signature verified.
#[tokio::test]
async fn cve_2016_9122_go_jose_multi_signature() {
    let env = Env::new().await;
    let (h, p, s) = segments(&env.good());
    let general = format!(
        r#"{{"payload":"{p}","signatures":[{{"protected":"{h}","signature":"{s}"}},{{"protected":"{h}","signature":"AAAA"}}]}}"#
    );
    assert_eq!(
        env.check(&general).await,
        Err(VerifyError::MalformedToken(Malformed::InvalidCharacter))
    );
}

/// E3: a JWE accepted where a JWS was expected.
#[tokio::test]
async fn cve_2023_51774_json_jwt_jwe_accepted_as_jws() {
    let env = Env::new().await;
    let header = b64url(br#"{"alg":"dir","enc":"A128GCM"}"#);
    let jwe = format!(
        "{header}..{}.{}.{}",
        b64url(&[0; 12]),
        b64url(b"ct"),
        b64url(&[0; 16])
    );
    assert_eq!(
        env.check(&jwe).await,
        Err(VerifyError::MalformedToken(Malformed::SegmentCount))
    );
}

/// H17: an attacker-supplied embedded `jwk` was trusted.
#[tokio::test]
async fn cve_2018_0114_node_jose_embedded_jwk_trusted() {
    let env = Env::new().await;
    let attacker = SigningKey::fixture(3).unwrap().with_kid(env.key.kid());
    let token = env
        .token()
        .header("jwk", attacker.public_jwk())
        .sign(&attacker)
        .unwrap();
    assert_eq!(env.check(&token).await, Err(VerifyError::ForbiddenHeader));
}

/// E8: characters outside base64url accepted.
#[tokio::test]
async fn cve_2022_25898_jsrsasign_non_base64url_characters() {
    let env = Env::new().await;
    let (h, p, s) = segments(&env.good());
    for token in [
        format!("{h}.{p}.{s}\n"),
        format!("{h}.{p}. {s}"),
        format!("{h}.{p}+.{s}"),
        format!("{h}.{p}.{s}=="),
    ] {
        assert_eq!(
            env.check(&token).await,
            Err(VerifyError::MalformedToken(Malformed::InvalidCharacter))
        );
    }
}

/// S2: an RSA signature with prepended zero bytes accepted.
#[tokio::test]
async fn cve_2020_14968_jsrsasign_prepended_zeros() {
    let env = Env::new().await;
    let (h, p, s) = segments(&env.good());
    let signature = b64_decode(&s);
    for zeros in [1, 2, 16] {
        let padded = [vec![0; zeros], signature.clone()].concat();
        assert_eq!(
            env.check(&raw::with_signature(&h, &p, &padded)).await,
            Err(VerifyError::InvalidSignature),
            "{zeros}"
        );
    }
}

/// The Wycheproof RSA 2048/SHA-256 vectors with one of `flags`, through our key policy:
/// all refused. Returns how many there were.
fn wycheproof_rsa_refuses(flags: &[&str]) -> usize {
    let file = wycheproof::rsa_file();
    let group = &file.test_groups[0];
    let keys = KeySet::from_json(
        wycheproof::as_set(&group.key_jwk).as_bytes(),
        &KeySetOptions::default(),
    )
    .unwrap();
    let key = keys.get("none").unwrap();
    let mut count = 0;
    for test in group
        .tests
        .iter()
        .filter(|t| t.flags.iter().any(|f| flags.contains(&f.as_str())))
    {
        assert!(
            key.verify(
                Algorithm::Rs256,
                &wycheproof::hex(&test.msg),
                &wycheproof::hex(&test.sig)
            )
            .is_err(),
            "tc {}",
            test.tc_id
        );
        count += 1;
    }
    count
}

/// S4: lenient PKCS#1 v1.5 block-type and padding parsing.
#[test]
fn cve_2021_30246_jsrsasign_lenient_padding() {
    assert_eq!(
        wycheproof_rsa_refuses(&["InvalidPadding", "ShortPadding", "ModifiedPadding"]),
        81
    );
}

/// S4: lenient DigestInfo parsing and trailing garbage in RSA PKCS#1 v1.5 verification.
#[test]
fn cve_2022_24771_cve_2022_24772_cve_2022_24773_node_forge_digestinfo() {
    assert_eq!(
        wycheproof_rsa_refuses(&[
            "InvalidAsnInPadding",
            "BerEncodedPadding",
            "MissingNull",
            "NoHash",
            "WrongHash"
        ]),
        155
    );
}

/// S4, S9: Bleichenbacher's e = 3 forgery via sloppy padding parsing.
#[test]
fn cve_2006_4339_bleichenbacher_e3_forgery() {
    let file = wycheproof::rsa_file();
    for group in file.test_groups.iter().filter(|g| g.key_jwk["e"] == "Aw") {
        let result = KeySet::from_json(
            wycheproof::as_set(&group.key_jwk).as_bytes(),
            &KeySetOptions::default(),
        );
        assert!(matches!(
            result,
            Err(tollgate_verify::jwks::FetchError::NoUsableKeys { skipped: 1 })
        ));
    }
    assert!(wycheproof_rsa_refuses(&["InvalidAsnInPadding", "ModifiedPadding"]) > 0);
}

/// S3: edge-case signature integers (0, 1, n − 1, n, n + 1, −1) mishandled.
#[tokio::test]
async fn cve_2017_11185_strongswan_signature_edge_integers() {
    assert_eq!(wycheproof_rsa_refuses(&["InvalidSignature"]), 8);
    let env = Env::new().await;
    let (h, p, _) = segments(&env.good());
    for signature in [
        vec![0; 256],
        [vec![0; 255], vec![1]].concat(),
        env.key.modulus().to_vec(),
        vec![0xff; 256],
    ] {
        assert_eq!(
            env.check(&raw::with_signature(&h, &p, &signature)).await,
            Err(VerifyError::InvalidSignature)
        );
    }
}

/// S12: ECDSA r = s = 0 accepted ("psychic signatures").
#[test]
fn cve_2022_21449_psychic_signature() {
    let file = wycheproof::jose_file(wycheproof::JWS);
    let group = file
        .test_groups
        .iter()
        .find(|g| g.tests.iter().any(|t| t.tc_id == 386))
        .unwrap();
    let test = group.tests.iter().find(|t| t.tc_id == 386).unwrap();
    assert_eq!(test.comment, "rIsZero_sIsZero");
    // Not allowed by default: refused by alg.
    let rsa = SigningKey::fixture(0).unwrap();
    let rsa = KeySet::from_json(
        tollgate_testkit::jwks_json(&[&rsa]).as_bytes(),
        &KeySetOptions::default(),
    )
    .unwrap();
    assert_eq!(
        verify_jws(&test.jws, &rsa, &[Algorithm::Rs256]),
        Err(VerifyError::AlgorithmNotAllowed)
    );
    // ES256 allowed, with the group's P-256 key: refused as a zero integer, before the
    // crypto library is asked.
    let ec = KeySet::from_json(
        wycheproof::as_set(group.public.as_ref().unwrap()).as_bytes(),
        &KeySetOptions::default().algorithms([Algorithm::Es256]),
    )
    .unwrap();
    assert_eq!(
        verify_jws(&test.jws, &ec, &[Algorithm::Es256]),
        Err(VerifyError::EcdsaSignatureForm(EcdsaForm::ZeroInteger))
    );
}

/// C17, C18: `aud` as a list of the wrong element type became "" and bypassed the check.
#[tokio::test]
async fn cve_2020_26160_jwt_go_aud_type_bypass() {
    let env = Env::build(|b| b, |i| i.audience(["orders-api"]), |v| v).await;
    for aud in [
        json!([1]),
        json!([null]),
        json!([["orders-api"]]),
        json!({"0": "orders-api"}),
        json!(""),
        json!([]),
    ] {
        let expected = if aud.is_string() || aud == json!([]) {
            Err(VerifyError::AudienceMismatch)
        } else {
            Err(VerifyError::InvalidClaimType("aud"))
        };
        assert_eq!(
            env.check(&env.sign(&env.token().claim("aud", aud.clone())))
                .await,
            expected,
            "{aud}"
        );
    }
    assert_eq!(
        env.check(
            &env.sign(
                &env.token()
                    .claim("client_id", json!([CLIENT]))
                    .claim("aud", "orders-api")
            )
        )
        .await,
        Err(VerifyError::InvalidClaimType("client_id"))
    );
}

/// E5: splitting on `.` allocated per segment (O(n) allocations per token).
#[tokio::test]
async fn cve_2025_30204_golang_jwt_split_amplification() {
    let env = Env::with(|v| v.max_token_len(1 << 20)).await;
    assert_eq!(
        env.check(&".".repeat(1 << 20)).await,
        Err(VerifyError::MalformedToken(Malformed::SegmentCount))
    );
    let env = Env::new().await;
    assert_eq!(
        env.check(&".".repeat(1 << 20)).await,
        Err(VerifyError::TokenTooLong)
    );
}

/// E5: the same split amplification in go-jose and x/oauth2/jws (CVE-2025-22868).
#[tokio::test]
async fn cve_2025_27144_cve_2025_22868_go_jose_oauth2_split_amplification() {
    let env = Env::with(|v| v.max_token_len(1 << 20)).await;
    let token = format!("a.b.{}", "c.".repeat(400_000));
    assert_eq!(
        env.check(&token).await,
        Err(VerifyError::MalformedToken(Malformed::SegmentCount))
    );
}

/// The API returns `Result<VerifiedToken, VerifyError>` only: there is no "token and error"
/// to mishandle (golang-jwt returned both, e.g. expired + bad signature).
#[tokio::test]
async fn cve_2024_51744_golang_jwt_token_and_error_returned_together() {
    let env = Env::new().await;
    let (h, p, _) = segments(&env.sign(&env.token().expires_at(T0 - 3600)));
    let expired_and_forged = raw::with_signature(&h, &p, &[7; 256]);
    let result: Result<tollgate_verify::VerifiedToken, VerifyError> =
        env.verify(&expired_and_forged).await;
    assert_eq!(result.map(|_| ()), Err(VerifyError::Expired));
}

/// Malformed input must never panic: uncaught exceptions (Nimbus CVE-2019-17195) and crashes
/// (Istio CVE-2019-12995) on malformed JWTs. The property tests generalise this.
#[tokio::test]
async fn cve_2019_17195_nimbus_and_cve_2019_12995_istio_malformed_jwt_crash() {
    let env = Env::new().await;
    let (h, p, s) = segments(&env.good());
    let cases = [
        String::new(),
        "...".to_owned(),
        format!("{h}.{p}"),
        format!("{h}.{p}.{s}.{s}"),
        format!("{}.{p}.{s}", b64url(b"{")),
        format!("{}.{p}.{s}", b64url(b"\xff\xfe")),
        format!("{h}.{}.{s}", b64url(b"{\"exp\":")),
        format!("{h}.{}.{s}", b64url(b"{\"exp\":1e999999}")),
        format!("{h}.{p}.{}", "A".repeat(5000)),
        format!("{h}.{p}.A"),
        "\u{0}.\u{0}.\u{0}".to_owned(),
        "é.é.é".to_owned(),
    ];
    for token in cases {
        assert!(env.check(&token).await.is_err(), "{token:?}");
    }
}

/// C28: deeply nested claims caused a stack overflow.
#[tokio::test]
async fn cve_2025_53864_nimbus_deeply_nested_claims() {
    let env = Env::with(|v| v.max_token_len(1 << 20)).await;
    let deep = format!(r#"{{"x":{}}}"#, "[".repeat(200_000));
    assert_eq!(
        env.check(&env.raw(&env.header(), &deep)).await,
        Err(VerifyError::MalformedPayload)
    );
}

/// E3, H23: JWE PBES2 `p2c` and decompression bombs (Nimbus CVE-2023-52428, panva/jose
/// CVE-2022-36083 and CVE-2024-28176, go-jose CVE-2024-28180, python-jose CVE-2024-33664).
/// No JWE is ever processed.
#[tokio::test]
async fn cve_2023_52428_cve_2022_36083_cve_2024_28180_cve_2024_28176_cve_2024_33664_jwe_dos() {
    let env = Env::new().await;
    for (name, value) in [
        ("p2c", json!(2_147_483_647)),
        ("zip", json!("DEF")),
        ("enc", json!("A256GCM")),
        ("p2s", json!("AAAA")),
    ] {
        assert_eq!(
            env.check(&env.sign(&env.token().header(name, value))).await,
            Err(VerifyError::ForbiddenHeader),
            "{name}"
        );
    }
    let header = b64url(br#"{"alg":"PBES2-HS256+A128KW","enc":"A128GCM","p2c":2147483647,"p2s":"AAAA","zip":"DEF"}"#);
    assert_eq!(
        env.check(&format!("{header}.a.b.c.d")).await,
        Err(VerifyError::MalformedToken(Malformed::SegmentCount))
    );
}

/// E1, S2: an empty or short signature accepted.
#[tokio::test]
async fn cve_2020_28042_servicestack_empty_signature() {
    let env = Env::new().await;
    let (h, p, _) = segments(&env.good());
    assert_eq!(
        env.check(&format!("{h}.{p}.")).await,
        Err(VerifyError::MalformedToken(Malformed::EmptySegment))
    );
    assert_eq!(
        env.check(&format!("{h}.{p}")).await,
        Err(VerifyError::MalformedToken(Malformed::SegmentCount))
    );
    assert_eq!(
        env.check(&raw::with_signature(&h, &p, &[0])).await,
        Err(VerifyError::InvalidSignature)
    );
}

/// F6: an error message leaked the expected signature. Errors carry no token content, key
/// material or signature (see also `error_hygiene.rs`).
#[tokio::test]
async fn cve_2019_7644_auth0_wcf_error_leaks_expected_signature() {
    let env = Env::new().await;
    let good = env.good();
    let (h, p, s) = segments(&good);
    let mut wrong = b64_decode(&s);
    wrong[0] ^= 1;
    let error = env
        .verify(&raw::with_signature(&h, &p, &wrong))
        .await
        .unwrap_err();
    assert_eq!(error, VerifyError::InvalidSignature);
    let text = format!("{error} {error:?}");
    for secret in [
        &s[..16],
        &b64url(&wrong)[..16],
        &b64url(env.key.modulus())[..16],
        &p[..16],
    ] {
        assert!(!text.contains(secret), "{text}");
    }
}

/// "Present but invalid" is never "missing": an unknown issuer is an `invalid_token` error,
/// not a missing credential (Envoy CVE-2021-21378, `requires_any` + `allow_missing`).
#[tokio::test]
async fn cve_2021_21378_envoy_invalid_token_treated_as_missing() {
    let env = Env::new().await;
    let error = env
        .verify(&env.sign(&env.token().claim("iss", "https://other.example")))
        .await
        .unwrap_err();
    assert_eq!(error, VerifyError::UnknownIssuer);
    assert_eq!(error.error_code(), ErrorCode::InvalidToken);
    let error = env
        .verify(&env.sign(&env.token().without_claim("iss")))
        .await
        .unwrap_err();
    assert_eq!(
        (error, error.error_code()),
        (VerifyError::MissingClaim("iss"), ErrorCode::InvalidToken)
    );
}

/// JWKS fault matrix + fuzz: crashes in jwt_authn with a remote JWKS (Envoy CVE-2024-45809,
/// CVE-2025-64527). A broken JWKS endpoint yields a typed error, never a panic or an accept.
#[tokio::test]
async fn cve_2024_45809_cve_2025_64527_envoy_remote_jwks_crash() {
    let server = tollgate_testkit::TestIssuer::builder()
        .signing_key(SigningKey::fixture(0).unwrap())
        .start()
        .await
        .unwrap();
    let verifier = Verifier::builder()
        .issuer(Issuer::cognito_issuer(server.issuer_url()).client_ids([CLIENT]))
        .clock(ManualClock::at_unix(T0))
        .build_lazy()
        .unwrap();
    let token = TokenBuilder::access_token(&server.issuer_url(), CLIENT, &[SCOPE], T0)
        .sign(&server.signing_key())
        .unwrap();
    server.fail_next_jwks(1, JwksFault::Garbage);
    assert_eq!(
        verifier.verify(&token).await.map(|_| ()),
        Err(VerifyError::KeysUnavailable)
    );
    assert_eq!(
        VerifyError::KeysUnavailable.error_code(),
        ErrorCode::KeysUnavailable
    );
    assert_eq!(server.jwks_requests(), 1);
}

/// H21 (not in the CVE list, but the same class as the duplicate-member parser differentials): the
/// header's duplicate `alg` cannot smuggle `none` past the allowlist.
#[tokio::test]
async fn duplicate_alg_parser_differential() {
    let env = Env::new().await;
    let header = format!(
        r#"{{"alg":"none","kid":"{}","alg":"RS256"}}"#,
        env.key.kid()
    );
    assert_eq!(
        env.check(&env.raw(&header, &env.claims(&[]))).await,
        Err(VerifyError::DuplicateMember(Part::Header))
    );
}
