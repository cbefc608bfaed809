//! The fake's side of GitHub App authentication: App JWTs verified against the test public key,
//! installation tokens that expire and are narrowed to the repositories asked for.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

/// The longest App JWT lifetime GitHub accepts.
const MAX_JWT_LIFETIME_SECONDS: i64 = 600;

/// Who may ask for installation tokens.
pub(crate) struct AppVerifier {
    app_id: u64,
    key: DecodingKey,
}

#[derive(Deserialize)]
struct Claims {
    iat: i64,
    exp: i64,
}

impl AppVerifier {
    /// Verifies JWTs of App `app_id` with its PEM public key.
    pub fn new(app_id: u64, public_key_pem: &str) -> Result<Self, jsonwebtoken::errors::Error> {
        Ok(Self { app_id, key: DecodingKey::from_rsa_pem(public_key_pem.as_bytes())? })
    }

    /// `Err` with GitHub's message when `jwt` is not a valid RS256 JWT of the App, signed by
    /// its key, issued now and living at most ten minutes.
    pub fn verify(&self, jwt: &str, now: i64) -> Result<(), &'static str> {
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[self.app_id.to_string()]);
        validation.set_required_spec_claims(&["exp", "iat", "iss"]);
        let claims = jsonwebtoken::decode::<Claims>(jwt, &self.key, &validation)
            .map_err(|_| "A JSON web token could not be decoded")?
            .claims;
        if claims.exp - now > MAX_JWT_LIFETIME_SECONDS || claims.iat > now + 60 {
            return Err("'Expiration time' claim ('exp') is too far in the future");
        }
        Ok(())
    }
}

/// An installation token the fake issued.
pub(crate) struct Issued {
    /// Lower-cased repository names it is narrowed to; `None` is every repository.
    pub repositories: Option<Vec<String>>,
    pub expires: Instant,
}

/// Installation tokens by value.
#[derive(Default)]
pub(crate) struct Tokens {
    issued: HashMap<String, Issued>,
}

/// Why a token was refused.
pub(crate) enum Refusal {
    /// Unknown or expired: 401.
    BadCredentials,
    /// Valid, but not for this repository: GitHub answers 404.
    OutOfScope,
}

impl Tokens {
    /// Issues a token narrowed to `repositories`, living `ttl`.
    pub fn issue(&mut self, repositories: Option<Vec<String>>, ttl: Duration) -> String {
        let token = format!("ghs_{}", ulid::Ulid::new());
        let repositories =
            repositories.map(|names| names.iter().map(|n| n.to_ascii_lowercase()).collect());
        self.issued.insert(token.clone(), Issued { repositories, expires: Instant::now() + ttl });
        token
    }

    /// Every token issued so far.
    pub fn all(&self) -> Vec<String> {
        self.issued.keys().cloned().collect()
    }

    /// Makes every issued token expired.
    pub fn expire_all(&mut self) {
        let now = Instant::now();
        for issued in self.issued.values_mut() {
            issued.expires = now;
        }
    }

    /// Whether `token` may read repository `name`.
    pub fn check(&self, token: &str, name: &str) -> Result<&Issued, Refusal> {
        let issued = self.issued.get(token).ok_or(Refusal::BadCredentials)?;
        if Instant::now() >= issued.expires {
            return Err(Refusal::BadCredentials);
        }
        match &issued.repositories {
            Some(names) if !names.contains(&name.to_ascii_lowercase()) => Err(Refusal::OutOfScope),
            _ => Ok(issued),
        }
    }
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::{EncodingKey, Header};
    use serde_json::json;

    use super::*;
    use crate::github::keys::{
        OTHER_PRIVATE_KEY_PEM, TEST_APP_ID, TEST_PRIVATE_KEY_PEM, TEST_PUBLIC_KEY_PEM,
    };

    const NOW: i64 = 1_700_000_000;

    fn jwt(pem: &str, iss: &str, iat: i64, exp: i64) -> String {
        let key = EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap();
        jsonwebtoken::encode(
            &Header::new(Algorithm::RS256),
            &json!({ "iss": iss, "iat": iat, "exp": exp }),
            &key,
        )
        .unwrap()
    }

    #[test]
    fn only_a_short_lived_jwt_of_the_test_app_signed_with_its_key_passes() {
        let verifier = AppVerifier::new(TEST_APP_ID, TEST_PUBLIC_KEY_PEM).unwrap();
        let iss = TEST_APP_ID.to_string();
        // The verifier checks `exp` against the real clock too, so build around it.
        let now = chrono::Utc::now().timestamp();
        assert!(
            verifier.verify(&jwt(TEST_PRIVATE_KEY_PEM, &iss, now - 60, now + 540), now).is_ok()
        );
        assert!(
            verifier.verify(&jwt(OTHER_PRIVATE_KEY_PEM, &iss, now - 60, now + 540), now).is_err()
        );
        assert!(
            verifier.verify(&jwt(TEST_PRIVATE_KEY_PEM, "999", now - 60, now + 540), now).is_err()
        );
        assert!(
            verifier.verify(&jwt(TEST_PRIVATE_KEY_PEM, &iss, now - 60, now + 3600), now).is_err()
        );
        assert!(
            verifier.verify(&jwt(TEST_PRIVATE_KEY_PEM, &iss, NOW - 660, NOW - 60), now).is_err()
        );
        assert!(verifier.verify("not-a-jwt", now).is_err());
    }

    #[test]
    fn tokens_are_narrowed_and_expire() {
        let mut tokens = Tokens::default();
        let narrow = tokens.issue(Some(vec!["Site".into()]), Duration::from_secs(60));
        let wide = tokens.issue(None, Duration::from_secs(60));
        assert!(tokens.check(&narrow, "site").is_ok());
        assert!(matches!(tokens.check(&narrow, "other"), Err(Refusal::OutOfScope)));
        assert!(tokens.check(&wide, "other").is_ok());
        assert!(matches!(tokens.check("ghs_unknown", "site"), Err(Refusal::BadCredentials)));
        tokens.expire_all();
        assert!(matches!(tokens.check(&narrow, "site"), Err(Refusal::BadCredentials)));
    }
}
