//! `X-Hub-Signature-256`: the HMAC-SHA256 of the raw body under the webhook secret, sent as
//! `sha256=` and 64 lowercase hex digits, checked in constant time over the exact bytes received.

use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

/// The header GitHub signs deliveries in.
pub const SIGNATURE_HEADER: &str = "x-hub-signature-256";

/// Why a delivery's signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No `X-Hub-Signature-256` header (an unsigned delivery, or only the legacy SHA-1 one).
    #[error("the delivery has no X-Hub-Signature-256 header")]
    Missing,
    /// The header is not `sha256=` followed by 64 hex digits.
    #[error("the X-Hub-Signature-256 header is not sha256=<64 hex digits>")]
    Malformed,
    /// The signature does not match the body under the webhook secret.
    #[error("the signature does not match the body")]
    Mismatch,
}

fn mac(secret: &SecretString) -> Hmac<Sha256> {
    // HMAC accepts keys of any length, so this cannot fail; an empty key is refused by config.
    <Hmac<Sha256> as KeyInit>::new_from_slice(secret.expose_secret().as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"))
}

/// Checks `header` (the `X-Hub-Signature-256` value) against `body`.
pub fn verify(
    secret: &SecretString,
    body: &[u8],
    header: Option<&[u8]>,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let hex_digest = header.strip_prefix(b"sha256=").ok_or(SignatureError::Malformed)?;
    if hex_digest.len() != 64 {
        return Err(SignatureError::Malformed);
    }
    let tag = hex::decode(hex_digest).map_err(|_| SignatureError::Malformed)?;
    let mut mac = mac(secret);
    mac.update(body);
    mac.verify_slice(&tag).map_err(|_| SignatureError::Mismatch)
}

/// The `X-Hub-Signature-256` value GitHub would send for `body` (for tests, the dev stack's
/// sample `curl` line, and replaying captured deliveries).
pub fn sign(secret: &SecretString, body: &[u8]) -> String {
    let mut mac = mac(secret);
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(value: &str) -> SecretString {
        SecretString::from(value)
    }

    #[test]
    fn githubs_documented_example_verifies() {
        // The example of GitHub's "Validating webhook deliveries" page.
        let expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        let s = secret("It's a Secret to Everybody");
        assert_eq!(sign(&s, b"Hello, World!"), expected);
        assert_eq!(verify(&s, b"Hello, World!", Some(expected.as_bytes())), Ok(()));
    }

    #[test]
    fn every_forgery_is_refused_with_its_reason() {
        let s = secret("webhook-secret");
        let body = br#"{"zen":"Keep it logically awesome."}"#;
        let good = sign(&s, body);
        let check = |header: Option<&str>, body: &[u8]| verify(&s, body, header.map(str::as_bytes));
        assert_eq!(check(Some(&good), body), Ok(()));
        assert_eq!(check(None, body), Err(SignatureError::Missing));
        assert_eq!(check(Some(&good), b"{\"zen\":\"altered\"}"), Err(SignatureError::Mismatch));
        let other = sign(&secret("another-secret"), body);
        assert_eq!(check(Some(&other), body), Err(SignatureError::Mismatch));
        let sha1 = format!("sha1={}", &good[7..47]);
        assert_eq!(check(Some(&sha1), body), Err(SignatureError::Malformed));
        assert_eq!(check(Some(&good[..70]), body), Err(SignatureError::Malformed));
        assert_eq!(check(Some(&format!("{}z", &good[..70])), body), Err(SignatureError::Malformed));
        assert_eq!(check(Some(&good.to_uppercase()), body), Err(SignatureError::Malformed));
        assert_eq!(check(Some(&good), b""), Err(SignatureError::Mismatch));
    }
}
