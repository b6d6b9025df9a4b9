//! Reading the verified token in tonic service methods (feature `tonic`).
//!
//! ```
//! use tollgate_tower::{ScopeRequirement, TonicRequestExt};
//!
//! fn get_order(request: &tonic::Request<()>) -> Result<(), tonic::Status> {
//!     request.require_scopes(&ScopeRequirement::any(["orders/read"]))?;
//!     let client = request.verified_token().and_then(|token| token.client_id());
//!     Ok(())
//! }
//! ```

use tollgate_verify::{CustomClaims, NoCustomClaims, Scopes, VerifiedToken};

use crate::context::AuthContext;
use crate::rejection::GrpcCode;
use crate::{Requirement, ScopeRequirement};

/// Access to what the auth layer put on a tonic request.
pub trait TonicRequestExt {
    /// The verified token, if the auth layer verified one (with the default claims: a
    /// verifier without [`custom_claims`](tollgate_verify::VerifierBuilder::custom_claims)).
    fn verified_token(&self) -> Option<&VerifiedToken>;

    /// The verified token with custom claims of type `C` (what
    /// [`VerifierBuilder::custom_claims::<C>`](tollgate_verify::VerifierBuilder::custom_claims)
    /// produces), if the auth layer verified one. `None` for another `C`.
    ///
    /// ```
    /// use tollgate_tower::TonicRequestExt;
    ///
    /// #[derive(serde::Deserialize)]
    /// struct Tenant {
    ///     #[serde(rename = "custom:tenant")]
    ///     tenant: String,
    /// }
    ///
    /// fn tenant(request: &tonic::Request<()>) -> Option<&str> {
    ///     request.verified_token_with::<Tenant>().map(|token| token.custom().tenant.as_str())
    /// }
    /// ```
    fn verified_token_with<C: CustomClaims>(&self) -> Option<&VerifiedToken<C>>;

    /// The granted scopes, if the auth layer verified a token.
    fn granted_scopes(&self) -> Option<&Scopes>;

    /// `Ok` when the verified token satisfies `requirement`; otherwise `PERMISSION_DENIED`
    /// (or `UNAUTHENTICATED` without a verified token).
    ///
    /// # Errors
    ///
    /// The [`tonic::Status`] to return from the method.
    fn require_scopes(&self, requirement: &ScopeRequirement) -> Result<(), tonic::Status>;

    /// `Ok` when the verified token satisfies `requirement` (scopes, claims, predicates; see
    /// [`Requirement`]); otherwise `PERMISSION_DENIED`, `UNAUTHENTICATED` without a verified
    /// token, or `INTERNAL` when the layers do not fit together (a predicate for another
    /// claims type). The messages are the fixed descriptions of the HTTP answers.
    ///
    /// ```
    /// use tollgate_tower::{Requirement, TonicRequestExt};
    ///
    /// fn get_report(request: &tonic::Request<()>) -> Result<(), tonic::Status> {
    ///     request.require(
    ///         &Requirement::scopes_any(["orders/admin"])
    ///             .or(Requirement::claim("cognito:groups").any(["analysts"])),
    ///     )?;
    ///     Ok(())
    /// }
    /// ```
    ///
    /// # Errors
    ///
    /// The [`tonic::Status`] to return from the method.
    fn require(&self, requirement: &Requirement) -> Result<(), tonic::Status>;
}

impl<T> TonicRequestExt for tonic::Request<T> {
    fn verified_token(&self) -> Option<&VerifiedToken> {
        self.verified_token_with::<NoCustomClaims>()
    }

    fn verified_token_with<C: CustomClaims>(&self) -> Option<&VerifiedToken<C>> {
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

    fn require(&self, requirement: &Requirement) -> Result<(), tonic::Status> {
        crate::guard::check(self.extensions(), Some(requirement)).map_err(|rejection| {
            let code = match rejection.grpc_code() {
                GrpcCode::PermissionDenied => tonic::Code::PermissionDenied,
                GrpcCode::Unauthenticated => tonic::Code::Unauthenticated,
                GrpcCode::Unavailable => tonic::Code::Unavailable,
                GrpcCode::Internal => tonic::Code::Internal,
            };
            tonic::Status::new(code, rejection.description())
        })
    }
}
