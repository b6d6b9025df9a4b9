//! User-defined claims and checks.

use std::any::{Any, TypeId};
use std::sync::Arc;

use serde::de::{DeserializeOwned, IgnoredAny};
use serde::{Deserialize, Deserializer};

use crate::{CheckFailed, Claims, VerifyError};

/// Types that can carry user-defined claims: anything deserializable from the claims object,
/// shareable across threads. Implemented automatically.
///
/// ```
/// #[derive(serde::Deserialize)]
/// struct Tenant {
///     #[serde(rename = "custom:tenant")]
///     tenant: String,
/// }
/// fn assert_custom<C: tollgate_verify::CustomClaims>() {}
/// assert_custom::<Tenant>();
/// ```
pub trait CustomClaims: DeserializeOwned + Send + Sync + 'static {}

impl<T: DeserializeOwned + Send + Sync + 'static> CustomClaims for T {}

/// The default custom-claims type: reads nothing, costs nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct NoCustomClaims;

impl<'de> Deserialize<'de> for NoCustomClaims {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        IgnoredAny::deserialize(deserializer)?;
        Ok(Self)
    }
}

/// Whether custom claims are read from the payload (not for [`NoCustomClaims`]): then the
/// verifier keeps a copy of the payload until the signature is checked.
pub(crate) fn reads_payload<C: 'static>() -> bool {
    TypeId::of::<C>() != TypeId::of::<NoCustomClaims>()
}

/// Reads the custom claims from the payload (a second pass, skipped for [`NoCustomClaims`]).
pub(crate) fn parse_custom<C: CustomClaims>(payload: &[u8]) -> Result<C, VerifyError> {
    if !reads_payload::<C>() {
        let none: Box<dyn Any> = Box::new(NoCustomClaims);
        if let Ok(custom) = none.downcast::<C>() {
            return Ok(*custom);
        }
    }
    serde_json::from_slice(payload).map_err(|_| VerifyError::InvalidCustomClaims)
}

/// A check run on every token after its signature and standard claims passed.
pub(crate) type Check<C> = Arc<dyn Fn(&Claims, &C) -> Result<(), CheckFailed> + Send + Sync>;
