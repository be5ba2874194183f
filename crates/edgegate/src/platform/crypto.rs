//! Signature algorithms the platform verifies (JWS names, RFC 7518 and
//! RFC 8037), and the keys it imports for them.

use std::any::Any;
use std::rc::Rc;

/// An asymmetric JWS algorithm. HMAC and `none` are deliberately absent: a
/// gateway that verifies with public keys must never accept a token signed
/// with a shared secret (or with the public key used as one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureAlgorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    Rs384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    Rs512,
    /// RSASSA-PSS with SHA-256.
    Ps256,
    /// RSASSA-PSS with SHA-384.
    Ps384,
    /// RSASSA-PSS with SHA-512.
    Ps512,
    /// ECDSA on P-256 with SHA-256.
    Es256,
    /// ECDSA on P-384 with SHA-384.
    Es384,
    /// Ed25519 (EdDSA).
    EdDsa,
}

impl SignatureAlgorithm {
    /// Every algorithm, in this order.
    pub const ALL: [SignatureAlgorithm; 9] = [
        SignatureAlgorithm::Rs256,
        SignatureAlgorithm::Rs384,
        SignatureAlgorithm::Rs512,
        SignatureAlgorithm::Ps256,
        SignatureAlgorithm::Ps384,
        SignatureAlgorithm::Ps512,
        SignatureAlgorithm::Es256,
        SignatureAlgorithm::Es384,
        SignatureAlgorithm::EdDsa,
    ];

    /// The JWS `alg` name.
    pub fn name(self) -> &'static str {
        match self {
            SignatureAlgorithm::Rs256 => "RS256",
            SignatureAlgorithm::Rs384 => "RS384",
            SignatureAlgorithm::Rs512 => "RS512",
            SignatureAlgorithm::Ps256 => "PS256",
            SignatureAlgorithm::Ps384 => "PS384",
            SignatureAlgorithm::Ps512 => "PS512",
            SignatureAlgorithm::Es256 => "ES256",
            SignatureAlgorithm::Es384 => "ES384",
            SignatureAlgorithm::EdDsa => "EdDSA",
        }
    }

    /// The algorithm a JWS `alg` names, if it is one of these (exact case).
    pub fn from_name(name: &str) -> Option<SignatureAlgorithm> {
        SignatureAlgorithm::ALL.into_iter().find(|a| a.name() == name)
    }

    /// The key type (`kty`) and curve (`crv`) a key for this algorithm has.
    pub fn key_type(self) -> (&'static str, Option<&'static str>) {
        match self {
            SignatureAlgorithm::Rs256
            | SignatureAlgorithm::Rs384
            | SignatureAlgorithm::Rs512
            | SignatureAlgorithm::Ps256
            | SignatureAlgorithm::Ps384
            | SignatureAlgorithm::Ps512 => ("RSA", None),
            SignatureAlgorithm::Es256 => ("EC", Some("P-256")),
            SignatureAlgorithm::Es384 => ("EC", Some("P-384")),
            SignatureAlgorithm::EdDsa => ("OKP", Some("Ed25519")),
        }
    }
}

/// A key the platform imported (a WebCrypto `CryptoKey` on Workers), opaque
/// to the core and cheap to clone.
#[derive(Clone)]
pub struct VerifyingKey(pub Rc<dyn Any>);
