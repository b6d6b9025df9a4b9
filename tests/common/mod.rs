//! Helpers shared by the end-to-end tests.

// Each test crate uses a different subset.
#![allow(dead_code)]

pub(crate) mod orders_grpc;

use tollgate_testkit::{DEFAULT_CLIENT_ID, JwksFault, SigningKey, TestIssuer};
use tollgate_verify::{Issuer, Verifier};

/// Every scope the test issuer's default client may ask for.
pub(crate) const ALL_SCOPES: [&str; 3] = ["orders/read", "orders/write", "orders/admin"];

/// A local issuer (fixture key 0, instant start) and a verifier trusting it for
/// [`DEFAULT_CLIENT_ID`], keys prefetched.
pub(crate) async fn issuer_and_verifier() -> (TestIssuer, Verifier) {
    let issuer = TestIssuer::builder()
        .signing_key(SigningKey::fixture(0).expect("fixture key"))
        .start()
        .await
        .expect("test issuer starts");
    let verifier = Verifier::builder()
        .issuer(Issuer::cognito_issuer(issuer.issuer_url()).client_ids([DEFAULT_CLIENT_ID]))
        .build()
        .await
        .expect("verifier builds and prefetches keys");
    (issuer, verifier)
}

/// A local issuer whose JWKS endpoint answers 500 to the next `faults` requests, and a verifier
/// trusting it that has fetched nothing yet (cold key cache).
pub(crate) async fn failing_issuer_and_cold_verifier(faults: usize) -> (TestIssuer, Verifier) {
    let issuer = TestIssuer::builder()
        .signing_key(SigningKey::fixture(0).expect("fixture key"))
        .start()
        .await
        .expect("test issuer starts");
    issuer.fail_next_jwks(faults, JwksFault::Status(500));
    let verifier = Verifier::builder()
        .issuer(Issuer::cognito_issuer(issuer.issuer_url()).client_ids([DEFAULT_CLIENT_ID]))
        .build_lazy()
        .expect("verifier builds");
    (issuer, verifier)
}

/// A token for the default client with `scopes`.
pub(crate) fn token(issuer: &TestIssuer, scopes: &[&str]) -> String {
    issuer
        .access_token(DEFAULT_CLIENT_ID, scopes)
        .expect("token is minted")
}
