//! The GitHub App's identity: its id and private key, and the short-lived RS256 JWT that the
//! token exchange accepts.
//!
//! The key is parsed and test-signed when the credentials are built, at start-up, so a wrong
//! key stops the worker before it takes a job. The JWT is signed afresh for every exchange
//! (about once an hour per repository) and never stored.

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use super::SetupError;

/// How far `iat` is back-dated, against clock drift (GitHub's recommendation).
const BACKDATE_SECONDS: i64 = 60;
/// The JWT's lifetime after `now`; GitHub accepts at most ten minutes.
const LIFETIME_SECONDS: i64 = 9 * 60;

/// The WhaleRay GitHub App's id and private key.
pub struct AppCredentials {
    app_id: u64,
    key: EncodingKey,
}

impl std::fmt::Debug for AppCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppCredentials").field("app_id", &self.app_id).finish_non_exhaustive()
    }
}

#[derive(Serialize)]
struct Claims {
    iat: i64,
    exp: i64,
    iss: String,
}

impl AppCredentials {
    /// Credentials for App `app_id` with its PEM private key (PKCS#1, as GitHub hands it out, or
    /// PKCS#8). `origin` names where the key came from, for the error; it never holds the key.
    pub fn from_pem(app_id: u64, pem: &SecretString, origin: &str) -> Result<Self, SetupError> {
        let invalid = || SetupError::InvalidKey { origin: origin.to_owned() };
        let key =
            EncodingKey::from_rsa_pem(pem.expose_secret().as_bytes()).map_err(|_| invalid())?;
        let credentials = Self { app_id, key };
        credentials.jwt(Utc::now()).map_err(|_| invalid())?;
        Ok(credentials)
    }

    /// The App's id.
    pub fn app_id(&self) -> u64 {
        self.app_id
    }

    /// A JWT valid from a minute before `now` to nine minutes after it.
    pub(crate) fn jwt(
        &self,
        now: DateTime<Utc>,
    ) -> Result<SecretString, jsonwebtoken::errors::Error> {
        let now = now.timestamp();
        let claims = Claims {
            iat: now - BACKDATE_SECONDS,
            exp: now + LIFETIME_SECONDS,
            iss: self.app_id.to_string(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &self.key)
            .map(SecretString::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A throwaway key for these unit tests only (the e2e tests use tests/fixtures/github-app).
    fn test_pem() -> SecretString {
        SecretString::from(include_str!(
            "../../../tests/fixtures/github-app/test-app.private-key.pem"
        ))
    }

    #[test]
    fn the_jwt_is_rs256_with_the_app_id_as_issuer_and_a_short_life() {
        let credentials = AppCredentials::from_pem(31337, &test_pem(), "test").unwrap();
        let now = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let jwt = credentials.jwt(now).unwrap();
        let parts: Vec<&str> = jwt.expose_secret().split('.').collect();
        assert_eq!(parts.len(), 3);
        let decode = |part: &str| -> serde_json::Value {
            use base64::Engine;
            let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part).unwrap();
            serde_json::from_slice(&bytes).unwrap()
        };
        assert_eq!(decode(parts[0])["alg"], "RS256");
        let claims = decode(parts[1]);
        assert_eq!(claims["iss"], "31337");
        assert_eq!(claims["iat"], 1_700_000_000 - 60);
        assert_eq!(claims["exp"], 1_700_000_000 + 540);
    }

    #[test]
    fn a_key_that_is_not_an_rsa_pem_is_refused_without_echoing_it() {
        let junk = SecretString::from(
            "-----BEGIN RSA PRIVATE KEY-----\nc2VjcmV0\n-----END RSA PRIVATE KEY-----\n",
        );
        let error = AppCredentials::from_pem(1, &junk, "GITHUB_PRIVATE_KEY").unwrap_err();
        let text = format!("{error} {error:?}");
        assert!(text.contains("GITHUB_PRIVATE_KEY"), "{text}");
        assert!(!text.contains("c2VjcmV0"), "{text}");
    }

    #[test]
    fn debug_output_shows_the_app_id_and_not_the_key() {
        let credentials = AppCredentials::from_pem(31337, &test_pem(), "test").unwrap();
        let debug = format!("{credentials:?}");
        assert!(debug.contains("31337"));
        let pem = test_pem();
        let key_line = pem.expose_secret().lines().nth(1).unwrap();
        assert!(!debug.contains(key_line));
    }
}
