//! The one error type of the testkit.

use std::net::SocketAddr;

/// Everything that can go wrong while making keys, minting tokens or running a
/// [`TestIssuer`](crate::TestIssuer).
///
/// Messages never contain key material, secrets or tokens.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TestkitError {
    /// Key generation failed inside aws-lc.
    #[error("key generation failed ({bits} bits)")]
    KeyGeneration {
        /// The requested modulus size in bits.
        bits: usize,
    },

    /// The key cannot sign with this algorithm (an RSA key and `ES256`, a P-256 key and
    /// `ES384`, ...).
    #[error("the key cannot sign {alg}")]
    AlgorithmMismatch {
        /// The JWS algorithm name, e.g. `ES256`.
        alg: &'static str,
    },

    /// The requested RSA key size is not one of 2048, 3072, 4096 or 8192 bits.
    #[error("unsupported RSA key size {bits} (use 2048, 3072, 4096 or 8192)")]
    UnsupportedKeySize {
        /// The requested modulus size in bits.
        bits: usize,
    },

    /// A PEM document could not be decoded (missing armour, wrong label, bad base64).
    #[error("invalid PEM: {reason}")]
    InvalidPem {
        /// What was wrong, without any of the document's content.
        reason: &'static str,
    },

    /// aws-lc rejected the private key (an unsupported type, malformed DER, an
    /// inconsistent key, ...).
    #[error("private key rejected: {reason}")]
    KeyRejected {
        /// aws-lc's short description of the rejection.
        reason: &'static str,
    },

    /// The public half of a key could not be encoded.
    #[error("public key could not be encoded")]
    PublicKeyEncoding,

    /// There is no committed fixture key with this index.
    #[error("no fixture key with index {index} (fixtures are 0..={max})")]
    UnknownFixture {
        /// The index that was asked for.
        index: usize,
        /// The highest valid index.
        max: usize,
    },

    /// Producing a signature failed inside aws-lc.
    #[error("signing with {alg} failed")]
    Signing {
        /// The JWS algorithm name, e.g. `RS256`.
        alg: &'static str,
    },

    /// The system clock is before the Unix epoch.
    #[error("system clock is before the Unix epoch")]
    Clock,

    /// Serialising JSON failed.
    #[error("JSON serialisation failed")]
    Json(#[from] serde_json::Error),

    /// [`TestIssuerBuilder::start`](crate::TestIssuerBuilder::start) was polled
    /// outside a Tokio runtime.
    #[error("the test issuer needs a Tokio runtime")]
    NoRuntime,

    /// The issuer could not bind its listening socket.
    #[error("could not bind the test issuer to {addr}")]
    Bind {
        /// The address that was asked for.
        addr: SocketAddr,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },

    /// Any other I/O failure (for example reading the bound address back).
    #[error("I/O error")]
    Io(#[from] std::io::Error),
}
