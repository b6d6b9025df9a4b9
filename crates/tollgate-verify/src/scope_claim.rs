//! [`ScopeClaim`]: a claim an issuer's scopes are read from, and how.

use crate::{ClaimPath, InvalidClaimPath};

/// A claim the granted scopes are read from ([`Issuer::scope_claims`](crate::Issuer::scope_claims)),
/// named by a [`ClaimPath`] (`scope`, `scp`, `cognito:groups`, `realm_access.roles`).
///
/// A plain name (`"scp"`, `"cognito:groups"`) converts into [`ScopeClaim::string_or_array`]:
/// a space-delimited string or an array of strings, each element one scope; except `"scope"`,
/// which converts into [`ScopeClaim::space_delimited`], the string form only (RFC 6749 §3.3,
/// RFC 9068 §2.2.3, and the Cognito default), so naming it next to another claim never
/// loosens it. [`ScopeClaim::string_or_array`]`("scope")` says otherwise explicitly. A value of any other type refuses the whole token
/// ([`VerifyError::InvalidClaimType`](crate::VerifyError::InvalidClaimType)`("scope")`),
/// never counts as "no scopes".
///
/// ```
/// use tollgate_verify::{Issuer, ScopeClaim};
///
/// // Cognito user tokens: groups are the scopes routes ask for.
/// let groups = Issuer::cognito("eu-west-1", "eu-west-1_AbCdEf123")
///     .any_client()
///     .scope_claims(["cognito:groups"]);
/// // Both, the `scope` string first.
/// let both = Issuer::cognito("eu-west-1", "eu-west-1_AbCdEf123")
///     .any_client()
///     .scope_claims([ScopeClaim::space_delimited("scope"), ScopeClaim::from("cognito:groups")]);
/// // Keycloak realm roles as scopes (a nested array).
/// let keycloak = Issuer::oidc("https://sso.example.com/realms/prod")
///     .audience(["orders-api"])
///     .scope_claims(["scope", "realm_access.roles"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeClaim {
    pub(crate) path: Result<ClaimPath, InvalidClaimPath>,
    pub(crate) allow_array: bool,
}

impl ScopeClaim {
    /// The claim at `path`, a space-delimited string or an array of strings.
    pub fn string_or_array(path: &str) -> Self {
        Self {
            path: ClaimPath::parse(path),
            allow_array: true,
        }
    }

    /// The claim at `path`, a space-delimited string only (an array refuses the token).
    pub fn space_delimited(path: &str) -> Self {
        Self {
            path: ClaimPath::parse(path),
            allow_array: false,
        }
    }

    /// The claim, when its path is valid (an invalid one fails the verifier's build with
    /// [`BuildError::InvalidScopeClaim`](crate::BuildError::InvalidScopeClaim)).
    #[must_use]
    pub fn path(&self) -> Option<&ClaimPath> {
        self.path.as_ref().ok()
    }

    /// Whether an array of strings is accepted besides a space-delimited string.
    #[must_use]
    pub fn allows_array(&self) -> bool {
        self.allow_array
    }
}

impl From<&str> for ScopeClaim {
    fn from(path: &str) -> Self {
        if path == "scope" {
            Self::space_delimited(path)
        } else {
            Self::string_or_array(path)
        }
    }
}

impl From<String> for ScopeClaim {
    fn from(path: String) -> Self {
        Self::from(path.as_str())
    }
}

impl From<&String> for ScopeClaim {
    fn from(path: &String) -> Self {
        Self::from(path.as_str())
    }
}

impl From<ClaimPath> for ScopeClaim {
    fn from(path: ClaimPath) -> Self {
        Self {
            path: Ok(path),
            allow_array: true,
        }
    }
}
