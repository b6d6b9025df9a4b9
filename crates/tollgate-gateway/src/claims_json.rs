//! A verified token's claims as one JSON object (for `tollgate verify` and the `"*"` claim
//! header).

use serde_json::{Map, Value};
use tollgate_verify::Claims;

/// The claims the library reads into typed fields; every other claim is listed by
/// [`Claims::extra_claim_names`].
const TYPED: [&str; 14] = [
    "iss",
    "sub",
    "aud",
    "exp",
    "nbf",
    "iat",
    "auth_time",
    "jti",
    "client_id",
    "token_use",
    "username",
    "scope",
    "scp",
    "cognito:groups",
];

/// Every claim of `claims`, as a JSON object.
pub(crate) fn claims_object(claims: &Claims) -> Map<String, Value> {
    let mut object = Map::new();
    for name in TYPED {
        if let Some(value) = claims.get(name) {
            object.insert(name.to_owned(), value);
        }
    }
    for name in claims.extra_claim_names() {
        if let Some(value) = claims.extra_claim(name) {
            object.insert(name.to_owned(), value);
        }
    }
    object
}
