//! The security catalogue (`docs/security-catalogue.md`) for every algorithm beyond RS256:
//! ES256, ES384, PS256/384/512, EdDSA (and RS384/512). Each runs through the verifier with a
//! real issuer whose JWKS publishes the key, as an application would configure it:
//! `Issuer::...algorithms([..])`.
//!
//! - every algorithm verifies its valid tokens and refuses a flipped bit, a wrong length, an
//!   algorithm not on its issuer's list (before any key lookup or fetch);
//! - algorithm confusion across key types (H4, H5): ES256 header with an RSA kid, EdDSA with
//!   an EC kid, PS256 with a key whose JWK says RS256, ES384 with a P-256 key, RS256 with an
//!   EC key, HS256 keyed with an EC or Ed25519 public key;
//! - ECDSA signatures in the JWS form only (S12): DER, zero integers, r or s = n;
//! - EC and OKP key hygiene at ingestion: off-curve points, stripped (short) coordinates,
//!   unsupported curves, private members, `alg` not matching the curve.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use serde_json::{Value, json};
use tollgate_testkit::raw::{self, b64url};
use tollgate_testkit::{JwsAlg, SigningKey, TestIssuer, TokenBuilder};
use tollgate_verify::jwks::{KeyRejection, KeySet, KeySetOptions};
use tollgate_verify::{Algorithm, EcdsaForm, Issuer, ManualClock, Verifier, VerifyError};

fn algorithm(alg: JwsAlg) -> Algorithm {
    Algorithm::from_jose(alg.name()).unwrap()
}

/// An issuer signing with a fresh key for `alg` (RSA algorithms: fixture 0 with its JWK
/// naming `alg`), the RSA fixture 1 published beside it, and a verifier trusting it with
/// `allowed` on the issuer's list.
struct AlgEnv {
    issuer: TestIssuer,
    clock: ManualClock,
    verifier: Verifier,
    key: SigningKey,
    /// One valid token (its `jti` is random: every other token differs).
    good: String,
}

impl AlgEnv {
    async fn new(alg: JwsAlg, allowed: &[Algorithm]) -> Self {
        let key = if alg.is_rsa() {
            SigningKey::fixture(0).unwrap().with_alg(alg)
        } else {
            SigningKey::generate_for(alg).unwrap()
        };
        Self::with_key(key, allowed).await
    }

    async fn with_key(key: SigningKey, allowed: &[Algorithm]) -> Self {
        let issuer = TestIssuer::builder()
            .signing_key(key.clone())
            .publish_key(SigningKey::fixture(1).unwrap())
            .start()
            .await
            .unwrap();
        let clock = ManualClock::at_unix(T0);
        let verifier = Verifier::builder()
            .issuer(
                Issuer::cognito_issuer(issuer.issuer_url())
                    .client_ids([CLIENT])
                    .algorithms(allowed.iter().copied()),
            )
            .clock(clock.clone())
            .build()
            .await
            .unwrap();
        let good = TokenBuilder::access_token(&issuer.issuer_url(), CLIENT, &[SCOPE], T0)
            .sign(&key)
            .unwrap();
        Self {
            issuer,
            clock,
            verifier,
            key,
            good,
        }
    }

    fn token(&self) -> TokenBuilder {
        TokenBuilder::access_token(&self.issuer.issuer_url(), CLIENT, &[SCOPE], T0)
    }

    fn good(&self) -> String {
        self.good.clone()
    }

    /// A token whose signature is `signature` over `header.payload` as the key signs it.
    fn with_signature(&self, signature: &[u8]) -> String {
        let (h, p, _) = segments(&self.good());
        raw::with_signature(&h, &p, signature)
    }

    fn signature(&self) -> Vec<u8> {
        let (_, _, s) = segments(&self.good());
        b64_decode(&s)
    }

    fn pass_cooldown(&self) {
        self.clock
            .advance(tollgate_verify::jwks::DEFAULT_COOLDOWN + std::time::Duration::from_secs(1));
    }
}

const ALGORITHMS: [JwsAlg; 9] = [
    JwsAlg::Rs256,
    JwsAlg::Rs384,
    JwsAlg::Rs512,
    JwsAlg::Ps256,
    JwsAlg::Ps384,
    JwsAlg::Ps512,
    JwsAlg::Es256,
    JwsAlg::Es384,
    JwsAlg::EdDsa,
];

#[tokio::test]
async fn every_algorithm_verifies_its_tokens_and_refuses_tampering() {
    for alg in ALGORITHMS {
        let env = AlgEnv::new(alg, &[algorithm(alg)]).await;
        let good = env.good();
        let verified = env.verifier.verify(&good).await.unwrap();
        assert_eq!(verified.algorithm(), algorithm(alg), "{alg}");
        assert_eq!(verified.kid(), env.key.kid(), "{alg}");

        let signature = env.signature();
        let mut flipped = signature.clone();
        flipped[signature.len() / 2] ^= 0x01;
        let mut longer = signature.clone();
        longer.push(0);
        let wrong_length = if matches!(alg, JwsAlg::Es256 | JwsAlg::Es384) {
            VerifyError::EcdsaSignatureForm(EcdsaForm::Length)
        } else {
            VerifyError::InvalidSignature
        };
        let (h, _, s) = segments(&good);
        let other_payload = b64url(
            claims_text(
                env.token().claims(),
                &[("scope", Some(r#""orders/admin""#))],
            )
            .as_bytes(),
        );
        assert_rows(
            &env.verifier,
            &[
                ("valid", good.clone(), OK),
                (
                    "flipped bit",
                    env.with_signature(&flipped),
                    Err(VerifyError::InvalidSignature),
                ),
                (
                    "one byte more",
                    env.with_signature(&longer),
                    Err(wrong_length),
                ),
                (
                    "one byte less",
                    env.with_signature(&signature[1..]),
                    Err(wrong_length),
                ),
                (
                    "payload changed",
                    format!("{h}.{other_payload}.{s}"),
                    Err(VerifyError::InvalidSignature),
                ),
            ],
        )
        .await;
    }
}

#[tokio::test]
async fn an_algorithm_not_on_the_issuers_list_is_refused_before_any_key_lookup() {
    for alg in ALGORITHMS.into_iter().filter(|a| *a != JwsAlg::Rs256) {
        // The issuer allows RS256 only (the default); its key set does hold the key.
        let env = AlgEnv::new(alg, &[Algorithm::Rs256]).await;
        let requests = env.issuer.jwks_requests();
        env.pass_cooldown();
        let unknown_kid = env
            .token()
            .header("kid", "not-in-the-set")
            .sign(&env.key)
            .unwrap();
        assert_rows(
            &env.verifier,
            &[
                (
                    "known kid",
                    env.good(),
                    Err(VerifyError::AlgorithmNotAllowed),
                ),
                (
                    "unknown kid",
                    unknown_kid,
                    Err(VerifyError::AlgorithmNotAllowed),
                ),
            ],
        )
        .await;
        // Not one key set fetch for a refused algorithm, though the cooldown had passed.
        assert_eq!(env.issuer.jwks_requests(), requests, "{alg}");
    }
}

#[tokio::test]
async fn each_issuer_has_its_own_list() {
    // Two issuers, one verifier: ES256 allowed for the first only.
    let ec = SigningKey::generate_for(JwsAlg::Es256).unwrap();
    let first = TestIssuer::builder()
        .signing_key(ec.clone())
        .start()
        .await
        .unwrap();
    // The second issuer's set also holds an RSA key, its only usable one under RS256.
    let second = TestIssuer::builder()
        .pool_id("us-east-1_Second")
        .signing_key(ec.clone())
        .publish_key(SigningKey::fixture(0).unwrap())
        .start()
        .await
        .unwrap();
    let clock = ManualClock::at_unix(T0);
    let verifier = Verifier::builder()
        .issuer(
            Issuer::cognito_issuer(first.issuer_url())
                .client_ids([CLIENT])
                .algorithms([Algorithm::Es256]),
        )
        .issuer(Issuer::cognito_issuer(second.issuer_url()).client_ids([CLIENT]))
        .clock(clock.clone())
        .build()
        .await
        .unwrap();
    let token = |issuer: &TestIssuer, kid: &str| {
        TokenBuilder::access_token(&issuer.issuer_url(), CLIENT, &[SCOPE], T0)
            .header("kid", kid)
            .sign(&ec)
            .unwrap()
    };
    let before = second.jwks_requests();
    clock.advance(tollgate_verify::jwks::DEFAULT_COOLDOWN + std::time::Duration::from_secs(1));
    assert_rows(
        &verifier,
        &[
            ("first issuer, ES256", token(&first, ec.kid()), OK),
            (
                "second issuer, ES256",
                token(&second, ec.kid()),
                Err(VerifyError::AlgorithmNotAllowed),
            ),
            (
                "second issuer, ES256, unknown kid",
                token(&second, "unknown"),
                Err(VerifyError::AlgorithmNotAllowed),
            ),
        ],
    )
    .await;
    assert_eq!(second.jwks_requests(), before);
}

#[tokio::test]
async fn h4_h5_algorithm_confusion_across_key_types() {
    let all = Algorithm::ALL;
    // The issuer publishes an RSA key (JWK alg RS256), a P-256, a P-384 and an Ed25519 key.
    let rsa = SigningKey::fixture(0).unwrap();
    let p256 = SigningKey::generate_for(JwsAlg::Es256).unwrap();
    let p384 = SigningKey::generate_for(JwsAlg::Es384).unwrap();
    let ed = SigningKey::generate_for(JwsAlg::EdDsa).unwrap();
    let issuer = TestIssuer::builder()
        .signing_key(rsa.clone())
        .publish_key(p256.clone())
        .publish_key(p384.clone())
        .publish_key(ed.clone())
        .start()
        .await
        .unwrap();
    let verifier = Verifier::builder()
        .issuer(
            Issuer::cognito_issuer(issuer.issuer_url())
                .client_ids([CLIENT])
                .algorithms(all),
        )
        .clock(ManualClock::at_unix(T0))
        .build()
        .await
        .unwrap();
    let base = TokenBuilder::access_token(&issuer.issuer_url(), CLIENT, &[SCOPE], T0);
    // A token naming `alg` and `kid`, signed by `signer` with `with` (the most convincing
    // forgery: a real signature, just not of the key the kid names).
    let forged = |alg: &str, kid: &str, signer: &SigningKey, with: JwsAlg| {
        base.clone()
            .header("alg", alg)
            .header("kid", kid)
            .sign_with(signer, with)
            .unwrap()
    };
    let mismatch = Err(VerifyError::KeyAlgorithmMismatch);
    assert_rows(
        &verifier,
        &[
            ("RS256 control", base.sign(&rsa).unwrap(), OK),
            ("ES256 control", base.sign(&p256).unwrap(), OK),
            ("ES384 control", base.sign(&p384).unwrap(), OK),
            ("EdDSA control", base.sign(&ed).unwrap(), OK),
            (
                "ES256 header, RSA kid",
                forged("ES256", rsa.kid(), &p256, JwsAlg::Es256),
                mismatch,
            ),
            (
                "EdDSA header, EC kid",
                forged("EdDSA", p256.kid(), &ed, JwsAlg::EdDsa),
                mismatch,
            ),
            (
                "PS256, JWK says RS256",
                forged("PS256", rsa.kid(), &rsa, JwsAlg::Ps256),
                mismatch,
            ),
            (
                "ES384 header, P-256 kid (wrong curve)",
                forged("ES384", p256.kid(), &p384, JwsAlg::Es384),
                mismatch,
            ),
            (
                "ES256 header, P-384 kid (wrong curve)",
                forged("ES256", p384.kid(), &p256, JwsAlg::Es256),
                mismatch,
            ),
            (
                "RS256 header, EC kid",
                forged("RS256", p256.kid(), &rsa, JwsAlg::Rs256),
                mismatch,
            ),
            (
                "ES256 header, Ed25519 kid",
                forged("ES256", ed.kid(), &p256, JwsAlg::Es256),
                mismatch,
            ),
            (
                "EdDSA header, RSA kid",
                forged("EdDSA", rsa.kid(), &ed, JwsAlg::EdDsa),
                mismatch,
            ),
        ],
    )
    .await;

    // HS256 keyed with the EC or Ed25519 public key, in every plausible encoding (H3).
    for key in [&p256, &p384, &ed] {
        let secrets: [Vec<u8>; 4] = [
            key.public_key_spki_pem().into_bytes(),
            key.public_key_spki_der(),
            key.public_point().to_vec(),
            key.public_jwk().to_string().into_bytes(),
        ];
        for secret in secrets {
            let token = base
                .clone()
                .header("kid", key.kid())
                .sign_hs256(&secret)
                .unwrap();
            assert_eq!(
                verifier.verify(&token).await.map(|_| ()),
                Err(VerifyError::AlgorithmNotAllowed)
            );
        }
    }
}

#[tokio::test]
async fn h5_a_jwk_alg_binds_the_key_and_without_it_the_key_type_decides() {
    // An RSA key published without alg serves every RS*/PS* on the issuer's list.
    let rsa = SigningKey::fixture(0).unwrap().without_jwk_alg();
    let env = AlgEnv::with_key(
        rsa.clone(),
        &[Algorithm::Rs256, Algorithm::Ps256, Algorithm::Ps512],
    )
    .await;
    let base = env.token();
    assert_rows(
        &env.verifier,
        &[
            ("RS256", base.sign_with(&rsa, JwsAlg::Rs256).unwrap(), OK),
            ("PS256", base.sign_with(&rsa, JwsAlg::Ps256).unwrap(), OK),
            ("PS512", base.sign_with(&rsa, JwsAlg::Ps512).unwrap(), OK),
            (
                "RS384 (not on the list)",
                base.sign_with(&rsa, JwsAlg::Rs384).unwrap(),
                Err(VerifyError::AlgorithmNotAllowed),
            ),
            // S5 both ways: a PKCS#1 signature presented as PSS and the reverse.
            (
                "RS256 signature as PS256",
                base.clone()
                    .header("alg", "PS256")
                    .sign_with(&rsa, JwsAlg::Rs256)
                    .unwrap(),
                Err(VerifyError::InvalidSignature),
            ),
            (
                "PS256 signature as RS256",
                base.clone()
                    .header("alg", "RS256")
                    .sign_with(&rsa, JwsAlg::Ps256)
                    .unwrap(),
                Err(VerifyError::InvalidSignature),
            ),
            (
                "PS256 signature as PS512",
                base.clone()
                    .header("alg", "PS512")
                    .sign_with(&rsa, JwsAlg::Ps256)
                    .unwrap(),
                Err(VerifyError::InvalidSignature),
            ),
        ],
    )
    .await;

    // A P-256 key without alg serves ES256 only, whatever else the list allows.
    let p256 = SigningKey::generate_for(JwsAlg::Es256)
        .unwrap()
        .without_jwk_alg();
    let env = AlgEnv::with_key(p256.clone(), &Algorithm::ALL).await;
    let base = env.token();
    assert_rows(
        &env.verifier,
        &[
            ("ES256", base.sign(&p256).unwrap(), OK),
            (
                "ES384 header",
                base.clone().header("alg", "ES384").sign(&p256).unwrap(),
                Err(VerifyError::KeyAlgorithmMismatch),
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn rsa_pss_uses_the_jwa_parameters_only() {
    for (alg, hash_len) in [
        (JwsAlg::Ps256, 32),
        (JwsAlg::Ps384, 48),
        (JwsAlg::Ps512, 64),
    ] {
        let env = AlgEnv::new(alg, &[algorithm(alg)]).await;
        let (h, p, _) = segments(&env.good());
        let input = format!("{h}.{p}");
        let salted = |salt: u16| {
            let signature = env
                .key
                .sign_pss_with_salt(alg, salt, input.as_bytes())
                .unwrap();
            raw::with_signature(&h, &p, &signature)
        };
        assert_rows(
            &env.verifier,
            &[
                ("salt = hash length", salted(hash_len), OK),
                ("no salt", salted(0), Err(VerifyError::InvalidSignature)),
                (
                    "20-byte salt",
                    salted(20),
                    Err(VerifyError::InvalidSignature),
                ),
                (
                    "longer salt",
                    salted(hash_len + 16),
                    Err(VerifyError::InvalidSignature),
                ),
            ],
        )
        .await;
    }
}

/// `bytes` + `addend`, big-endian, same length (the tests below never overflow).
fn add(bytes: &[u8], addend: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let mut carry = 0u16;
    for i in (0..out.len()).rev() {
        let sum = u16::from(out[i]) + u16::from(addend[i]) + carry;
        out[i] = sum as u8;
        carry = sum >> 8;
    }
    assert_eq!(carry, 0);
    out
}

/// The order n of P-256 and P-384.
const N_P256: &str = "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";
const N_P384: &str = "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973";

#[tokio::test]
async fn s12_ecdsa_signatures_only_in_the_jws_form() {
    // r or s at least n (the group order) passes the form check; the crypto library refuses
    // it (pinned here; Wycheproof covers n + 1, p, p + 1 and unreduced r).
    for (alg, size, order) in [(JwsAlg::Es256, 32, N_P256), (JwsAlg::Es384, 48, N_P384)] {
        let env = AlgEnv::new(alg, &[algorithm(alg)]).await;
        let signature = env.signature();
        let (r, s) = signature.split_at(size);
        let n = common::wycheproof::hex(order);
        let zero = vec![0u8; size];
        let mut one = vec![0u8; size];
        one[size - 1] = 1;
        let form = |f| Err(VerifyError::EcdsaSignatureForm(f));
        let rows = [
            ("valid", env.with_signature(&signature), OK),
            (
                "DER",
                env.with_signature(&raw::ecdsa_der(&signature)),
                form(EcdsaForm::Der),
            ),
            (
                "r = s = 0 (psychic signature)",
                env.with_signature(&[zero.clone(), zero.clone()].concat()),
                form(EcdsaForm::ZeroInteger),
            ),
            (
                "r = s = 0, DER",
                env.with_signature(&raw::ecdsa_der(&[zero.clone(), zero.clone()].concat())),
                form(EcdsaForm::Der),
            ),
            (
                "r = 0",
                env.with_signature(&[&zero[..], s].concat()),
                form(EcdsaForm::ZeroInteger),
            ),
            (
                "s = 0",
                env.with_signature(&[r, &zero[..]].concat()),
                form(EcdsaForm::ZeroInteger),
            ),
            (
                "r = n",
                env.with_signature(&[&n[..], s].concat()),
                Err(VerifyError::InvalidSignature),
            ),
            (
                "s = n",
                env.with_signature(&[r, &n[..]].concat()),
                Err(VerifyError::InvalidSignature),
            ),
            (
                "r = s = 1",
                env.with_signature(&[one.clone(), one.clone()].concat()),
                Err(VerifyError::InvalidSignature),
            ),
            (
                "s and r swapped",
                env.with_signature(&[s, r].concat()),
                Err(VerifyError::InvalidSignature),
            ),
            (
                "64-byte form under ES384 / 96-byte under ES256",
                env.with_signature(&vec![7u8; if size == 32 { 96 } else { 64 }]),
                form(EcdsaForm::Length),
            ),
            (
                "empty-ish (one byte)",
                env.with_signature(&[1]),
                form(EcdsaForm::Length),
            ),
        ];
        assert_rows(&env.verifier, &rows).await;
    }
}

#[tokio::test]
async fn eddsa_signature_edge_cases() {
    let env = AlgEnv::new(JwsAlg::EdDsa, &[Algorithm::EdDsa]).await;
    let signature = env.signature();
    // S + L (the group order): the same signature, not canonical (RFC 8032 §5.1.7 requires
    // S < L; "signature malleability").
    let l: Vec<u8> = {
        let mut le = common::wycheproof::hex(
            "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010",
        );
        le.reverse();
        le
    };
    let mut s_be: Vec<u8> = signature[32..].iter().rev().copied().collect();
    s_be = add(&s_be, &l);
    let malleated: Vec<u8> = [
        &signature[..32],
        &s_be.iter().rev().copied().collect::<Vec<_>>()[..],
    ]
    .concat();
    assert_rows(
        &env.verifier,
        &[
            ("valid", env.with_signature(&signature), OK),
            (
                "all zero",
                env.with_signature(&[0; 64]),
                Err(VerifyError::InvalidSignature),
            ),
            (
                "S + L",
                env.with_signature(&malleated),
                Err(VerifyError::InvalidSignature),
            ),
            (
                "R and S swapped",
                env.with_signature(&[&signature[32..], &signature[..32]].concat()),
                Err(VerifyError::InvalidSignature),
            ),
        ],
    )
    .await;
}

/// The skip reason of `jwk` under `options` (`None` if the key is usable). Decoys of every
/// kind let the set load whatever `options` allow; the candidate is found by its kid.
fn rejection(jwk: Value, options: KeySetOptions) -> Option<KeyRejection> {
    let mut candidate = jwk;
    candidate["kid"] = json!("probe");
    let decoys: Vec<Value> = [JwsAlg::Es256, JwsAlg::Es384, JwsAlg::EdDsa]
        .into_iter()
        .map(|alg| SigningKey::generate_for(alg).unwrap().public_jwk())
        .chain([SigningKey::fixture(2).unwrap().public_jwk()])
        .collect();
    let mut keys = decoys;
    keys.push(candidate);
    let set = KeySet::from_json(jwks_of(&keys).as_bytes(), &options).unwrap();
    let skipped = set.skipped().iter().find(|s| s.kid() == Some("probe"));
    match (skipped, set.get("probe")) {
        (Some(skip), None) => Some(skip.reason().clone()),
        (None, Some(_)) => None,
        other => panic!("probe both usable and skipped: {other:?}"),
    }
}

fn all() -> KeySetOptions {
    KeySetOptions::default().algorithms(Algorithm::ALL)
}

fn with(jwk: &Value, changes: &[(&str, Option<Value>)]) -> Value {
    let mut jwk = jwk.clone();
    let object = jwk.as_object_mut().unwrap();
    for (name, value) in changes {
        match value {
            Some(value) => {
                object.insert((*name).to_owned(), value.clone());
            }
            None => {
                object.remove(*name);
            }
        }
    }
    jwk
}

/// A P-256 key one of whose coordinates starts with a zero octet (about one key in 128):
/// the key a producer that strips leading zeros would publish with a short coordinate.
fn p256_with_a_leading_zero() -> (SigningKey, &'static str) {
    loop {
        let key = SigningKey::generate_for(JwsAlg::Es256).unwrap();
        let point = key.public_point();
        if point[1] == 0 {
            return (key, "x");
        }
        if point[33] == 0 {
            return (key, "y");
        }
    }
}

#[tokio::test]
async fn ec_and_okp_key_hygiene_at_ingestion() {
    let p256 = SigningKey::generate_for(JwsAlg::Es256).unwrap();
    let p384 = SigningKey::generate_for(JwsAlg::Es384).unwrap();
    let ed = SigningKey::generate_for(JwsAlg::EdDsa).unwrap();
    let ec = p256.public_jwk();
    let okp = ed.public_jwk();
    let x = b64_decode(ec["x"].as_str().unwrap());
    let y = b64_decode(ec["y"].as_str().unwrap());
    let mut y_off = y.clone();
    y_off[31] ^= 0x01;
    let (stripped_key, coordinate) = p256_with_a_leading_zero();
    let stripped_jwk = stripped_key.public_jwk();
    let full = b64_decode(stripped_jwk[coordinate].as_str().unwrap());
    assert_eq!((full.len(), full[0]), (32, 0));
    let cases: Vec<(&str, Value, KeySetOptions, Option<KeyRejection>)> = vec![
        ("P-256", ec.clone(), all(), None),
        ("P-384", p384.public_jwk(), all(), None),
        ("Ed25519", okp.clone(), all(), None),
        (
            "full-length coordinate with a leading zero",
            stripped_jwk.clone(),
            all(),
            None,
        ),
        (
            "off-curve point",
            with(&ec, &[("y", Some(json!(b64url(&y_off))))]),
            all(),
            Some(KeyRejection::PointNotOnCurve),
        ),
        (
            "point (0, 0)",
            with(
                &ec,
                &[
                    ("x", Some(json!(b64url(&[0; 32])))),
                    ("y", Some(json!(b64url(&[0; 32])))),
                ],
            ),
            all(),
            Some(KeyRejection::PointNotOnCurve),
        ),
        (
            "leading zero stripped (RFC 7518 §6.2.1.2)",
            with(
                &stripped_jwk,
                &[(coordinate, Some(json!(b64url(&full[1..]))))],
            ),
            all(),
            Some(KeyRejection::CoordinateLength),
        ),
        (
            "x one byte too long",
            with(
                &ec,
                &[("x", Some(json!(b64url(&[&[0u8][..], &x].concat()))))],
            ),
            all(),
            Some(KeyRejection::CoordinateLength),
        ),
        (
            "P-256 coordinates under crv P-384",
            with(&ec, &[("crv", Some(json!("P-384"))), ("alg", None)]),
            all(),
            Some(KeyRejection::CoordinateLength),
        ),
        (
            "y missing",
            with(&ec, &[("y", None)]),
            all(),
            Some(KeyRejection::BadEncoding),
        ),
        (
            "x padded base64",
            with(&ec, &[("x", Some(json!(format!("{}=", b64url(&x)))))]),
            all(),
            Some(KeyRejection::BadEncoding),
        ),
        (
            "EC private key d",
            with(&ec, &[("d", Some(json!(b64url(&[7; 32]))))]),
            all(),
            Some(KeyRejection::PrivateMaterial),
        ),
        (
            "OKP private key d",
            with(&okp, &[("d", Some(json!(b64url(&[7; 32]))))]),
            all(),
            Some(KeyRejection::PrivateMaterial),
        ),
        (
            "P-521",
            with(&ec, &[("crv", Some(json!("P-521"))), ("alg", None)]),
            all(),
            Some(KeyRejection::UnsupportedCurve),
        ),
        (
            "secp256k1",
            with(&ec, &[("crv", Some(json!("secp256k1"))), ("alg", None)]),
            all(),
            Some(KeyRejection::UnsupportedCurve),
        ),
        (
            "EC without crv",
            with(&ec, &[("crv", None), ("alg", None)]),
            all(),
            Some(KeyRejection::UnsupportedCurve),
        ),
        (
            "OKP X25519",
            with(&okp, &[("crv", Some(json!("X25519"))), ("alg", None)]),
            all(),
            Some(KeyRejection::UnsupportedCurve),
        ),
        (
            "OKP Ed448",
            with(&okp, &[("crv", Some(json!("Ed448"))), ("alg", None)]),
            all(),
            Some(KeyRejection::UnsupportedCurve),
        ),
        (
            "Ed25519 key of 31 bytes",
            with(&okp, &[("x", Some(json!(b64url(&[9; 31]))))]),
            all(),
            Some(KeyRejection::CoordinateLength),
        ),
        (
            "alg ES384 on a P-256 key",
            with(&ec, &[("alg", Some(json!("ES384")))]),
            all(),
            Some(KeyRejection::AlgorithmKeyMismatch),
        ),
        (
            "alg RS256 on a P-256 key",
            with(&ec, &[("alg", Some(json!("RS256")))]),
            all(),
            Some(KeyRejection::AlgorithmKeyMismatch),
        ),
        (
            "alg EdDSA on a P-256 key",
            with(&ec, &[("alg", Some(json!("EdDSA")))]),
            all(),
            Some(KeyRejection::AlgorithmKeyMismatch),
        ),
        (
            "alg ES256 on an RSA key",
            with(
                &SigningKey::fixture(1).unwrap().public_jwk(),
                &[("alg", Some(json!("ES256")))],
            ),
            all(),
            Some(KeyRejection::AlgorithmKeyMismatch),
        ),
        (
            "alg ES256 on an Ed25519 key",
            with(&okp, &[("alg", Some(json!("ES256")))]),
            all(),
            Some(KeyRejection::AlgorithmKeyMismatch),
        ),
        (
            "EC key, ES256 not allowed",
            ec.clone(),
            KeySetOptions::default(),
            Some(KeyRejection::UnsupportedKeyType),
        ),
        (
            "P-256 key without alg, only ES384 allowed",
            with(&ec, &[("alg", None)]),
            KeySetOptions::default().algorithms([Algorithm::Es384]),
            Some(KeyRejection::AlgorithmNotAllowed),
        ),
        (
            "OKP key, EdDSA not allowed",
            okp.clone(),
            KeySetOptions::default().algorithms([Algorithm::Rs256, Algorithm::Es256]),
            Some(KeyRejection::UnsupportedKeyType),
        ),
        (
            "EC key with use enc",
            with(&ec, &[("use", Some(json!("enc")))]),
            all(),
            Some(KeyRejection::NotForSignatures),
        ),
        (
            "OKP key with key_ops [sign]",
            with(&okp, &[("key_ops", Some(json!(["sign"])))]),
            all(),
            Some(KeyRejection::VerifyNotAllowed),
        ),
        (
            "kty ec (lower case)",
            with(&ec, &[("kty", Some(json!("ec")))]),
            all(),
            Some(KeyRejection::UnsupportedKeyType),
        ),
    ];
    let mut failures = Vec::new();
    for (name, jwk, options, expected) in cases {
        let actual = rejection(jwk, options);
        if actual != expected {
            failures.push(format!("{name}: expected {expected:?}, got {actual:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // Through the verifier: a token whose kid names an off-curve key is refused as an
    // unknown kid (the key never made it into the set), and no key is "tried" instead.
    let env = AlgEnv::new(JwsAlg::Es256, &[Algorithm::Es256]).await;
    let bad = with(
        &env.key.public_jwk(),
        &[
            ("y", Some(json!(b64url(&y_off)))),
            ("kid", Some(json!("off-curve"))),
        ],
    );
    env.issuer
        .set_jwks_body(Some(jwks_of(&[env.key.public_jwk(), bad])));
    env.verifier
        .keys(&env.issuer.issuer_url())
        .unwrap()
        .refresh()
        .await
        .unwrap();
    let token = env
        .token()
        .header("kid", "off-curve")
        .sign(&env.key)
        .unwrap();
    assert_eq!(
        env.verifier.verify(&token).await.map(|_| ()),
        Err(VerifyError::UnknownKid)
    );
    assert_eq!(env.verifier.verify(&env.good()).await.map(|_| ()), OK);
}

#[tokio::test]
async fn a_key_set_of_every_kind_serves_each_token_with_its_own_key() {
    // One key per algorithm, each JWK naming its algorithm (the RSA ones: fixtures under
    // their own kids, so no slow RSA key generation).
    let keys: Vec<SigningKey> = ALGORITHMS
        .iter()
        .enumerate()
        .map(|(i, alg)| {
            if alg.is_rsa() {
                SigningKey::fixture(i % SigningKey::FIXTURE_COUNT)
                    .unwrap()
                    .with_alg(*alg)
                    .with_kid(format!("rsa-{alg}"))
            } else {
                SigningKey::generate_for(*alg).unwrap()
            }
        })
        .collect();
    let issuer = {
        let mut builder = TestIssuer::builder().signing_key(keys[0].clone());
        for key in &keys[1..] {
            builder = builder.publish_key(key.clone());
        }
        builder.start().await.unwrap()
    };
    let verifier = Verifier::builder()
        .issuer(
            Issuer::cognito_issuer(issuer.issuer_url())
                .client_ids([CLIENT])
                .algorithms(Algorithm::ALL),
        )
        .clock(ManualClock::at_unix(T0))
        .build()
        .await
        .unwrap();
    let set = verifier
        .keys(&issuer.issuer_url())
        .unwrap()
        .key_set()
        .unwrap();
    assert_eq!(set.len(), 9);
    assert!(set.skipped().is_empty());
    for key in &keys {
        let token = TokenBuilder::access_token(&issuer.issuer_url(), CLIENT, &[SCOPE], T0)
            .sign(key)
            .unwrap();
        let verified = verifier.verify(&token).await.unwrap();
        assert_eq!(verified.kid(), key.kid());
        assert_eq!(verified.algorithm().as_str(), key.algorithm().name());
    }
}
