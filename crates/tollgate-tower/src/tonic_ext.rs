//! Reading the verified token in tonic service methods (feature `tonic`).
//!
//! ```
//! use tollgate_tower::{ScopeRequirement, TonicRequestExt};
//!
//! fn get_order(request: &tonic::Request<()>) -> Result<(), tonic::Status> {
//!     request.require_scopes(&ScopeRequirement::any(["orders/read"]))?;
//!     let client = request.verified_token::<tollgate_verify::NoCustomClaims>()
//!         .and_then(|token| token.client_id());
//!     Ok(())
//! }
//! ```

use tollgate_verify::{CustomClaims, Scopes, VerifiedToken};

use crate::ScopeRequirement;
use crate::context::AuthContext;

/// Access to what the auth layer put on a tonic request.
pub trait TonicRequestExt {
    /// The verified token, if the auth layer verified one.
    fn verified_token<C: CustomClaims>(&self) -> Option<&VerifiedToken<C>>;

    /// The granted scopes, if the auth layer verified a token.
    fn granted_scopes(&self) -> Option<&Scopes>;

    /// `Ok` when the verified token satisfies `requirement`; otherwise `PERMISSION_DENIED`
    /// (or `UNAUTHENTICATED` without a verified token).
    ///
    /// # Errors
    ///
    /// The [`tonic::Status`] to return from the method.
    fn require_scopes(&self, requirement: &ScopeRequirement) -> Result<(), tonic::Status>;
}

impl<T> TonicRequestExt for tonic::Request<T> {
    fn verified_token<C: CustomClaims>(&self) -> Option<&VerifiedToken<C>> {
        self.extensions().get::<VerifiedToken<C>>()
    }

    fn granted_scopes(&self) -> Option<&Scopes> {
        self.extensions()
            .get::<AuthContext>()
            .and_then(AuthContext::scopes)
    }

    fn require_scopes(&self, requirement: &ScopeRequirement) -> Result<(), tonic::Status> {
        match self.granted_scopes() {
            Some(scopes) if requirement.is_satisfied_by(scopes) => Ok(()),
            Some(_) => Err(tonic::Status::permission_denied(
                "the access token lacks the required scope",
            )),
            None => Err(tonic::Status::unauthenticated("bearer token required")),
        }
    }
}
