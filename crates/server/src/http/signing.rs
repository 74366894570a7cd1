//! Signed URLs for the local store: HMAC-SHA256 over method, object key and
//! expiry, compared in constant time.

use hmac::Mac;
use sha2::Sha256;

use crate::error::ApiError;

type HmacSha256 = hmac::Hmac<Sha256>;

/// Signs and checks `METHOD`, `key` and `expires` (seconds since 1970).
#[derive(Clone)]
pub struct UrlSigner {
    secret: Vec<u8>,
}

impl std::fmt::Debug for UrlSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UrlSigner(..)")
    }
}

impl UrlSigner {
    pub fn new(secret: Vec<u8>) -> Self {
        UrlSigner { secret }
    }

    fn mac(&self, method: &str, key: &str, expires: i64) -> HmacSha256 {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.secret).expect("HMAC takes keys of any length");
        mac.update(method.as_bytes());
        mac.update(b"\n");
        mac.update(key.as_bytes());
        mac.update(b"\n");
        mac.update(expires.to_string().as_bytes());
        mac
    }

    /// The signature, as lowercase hex.
    pub fn sign(&self, method: &str, key: &str, expires: i64) -> String {
        hex::encode(self.mac(method, key, expires).finalize().into_bytes())
    }

    /// # Errors
    /// 403 `bad_signature` when the signature is malformed or does not match,
    /// or when `expires` has passed.
    /// A token tying `text` to this service for `purpose` (a CSRF token
    /// tied to a cookie): it never expires, and `purpose` keeps it apart
    /// from URL signatures.
    pub fn token(&self, purpose: &str, text: &str) -> String {
        self.sign(purpose, text, 0)
    }

    /// Whether `token` is [`UrlSigner::token`]'s for `purpose` and `text`,
    /// compared in constant time.
    pub fn token_matches(&self, purpose: &str, text: &str, token: &str) -> bool {
        hex::decode(token).is_ok_and(|given| self.mac(purpose, text, 0).verify_slice(&given).is_ok())
    }

    pub fn verify(&self, method: &str, key: &str, expires: i64, signature: &str, now_seconds: i64) -> Result<(), ApiError> {
        let given = hex::decode(signature).map_err(|_| ApiError::bad_signature("the URL's signature is malformed"))?;
        self.mac(method, key, expires)
            .verify_slice(&given)
            .map_err(|_| ApiError::bad_signature("the URL's signature does not match"))?;
        if now_seconds > expires {
            return Err(ApiError::bad_signature("the URL has expired"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_binds_method_key_and_expiry() {
        let s = UrlSigner::new(b"secret".to_vec());
        let sig = s.sign("PUT", "uploads/a/b.png", 1000);
        assert!(s.verify("PUT", "uploads/a/b.png", 1000, &sig, 999).is_ok());
        assert!(s.verify("GET", "uploads/a/b.png", 1000, &sig, 999).is_err());
        assert!(s.verify("PUT", "uploads/a/c.png", 1000, &sig, 999).is_err());
        assert!(s.verify("PUT", "uploads/a/b.png", 1001, &sig, 999).is_err());
        let expired = s.verify("PUT", "uploads/a/b.png", 1000, &sig, 1001).unwrap_err();
        assert!(expired.message.contains("expired"));
        assert!(s.verify("PUT", "uploads/a/b.png", 1000, "zz", 999).is_err());
        assert!(UrlSigner::new(b"other".to_vec()).verify("PUT", "uploads/a/b.png", 1000, &sig, 999).is_err());
    }
}
