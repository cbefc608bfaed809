//! Idempotent requests (the `Idempotency-Key` header): the key's rules and what a store keeps
//! for it. Pure values; the stores live behind `ports::IdempotencyStore`.
//!
//! A key is scoped to its caller and route, so two users (or two routes) never share one.
//! The first request with a key claims it (`IN_FLIGHT`, with a short lock); its answer is then
//! stored with the key for [`KEY_LIFETIME`]. A retry with the same body gets that answer back
//! and changes nothing; a retry with another body is refused; a retry while the first is still
//! running is told so. A claim whose lock lapsed (its request died mid-way) may be taken over
//! by a retry with the same body.

use std::fmt;
use std::time::Duration;

use crate::domain::DomainError;

/// How long a key and its stored answer are kept (the IETF draft and Stripe use 24 hours).
pub const KEY_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// How long a claimed key stays locked for its first request. A request that has not
/// finished by then is taken to have died, and a retry with the same body may take over.
/// Longer than the API Lambda's timeout, so a live request never loses its lock.
pub const LOCK_LIFETIME: Duration = Duration::from_secs(60);

/// The longest stored answer body: DynamoDB items are at most 400 KB, and answers worth
/// replaying are small.
pub const MAX_STORED_BODY: usize = 64 * 1024;

/// The longest key accepted (Stripe accepts 255 characters).
pub const MAX_KEY_LENGTH: usize = 255;

/// A client-chosen `Idempotency-Key`: 1 to 255 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Checks a header value.
    pub fn parse(value: &str) -> Result<Self, DomainError> {
        if value.is_empty() {
            return Err(DomainError::IdempotencyKey("it must not be empty"));
        }
        if value.len() > MAX_KEY_LENGTH {
            return Err(DomainError::IdempotencyKey("it must be at most 255 characters"));
        }
        if !value.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(DomainError::IdempotencyKey(
                "it must be visible ASCII characters without spaces",
            ));
        }
        Ok(Self(value.to_owned()))
    }
}

impl AsRef<str> for IdempotencyKey {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a key applies: one caller, one method and path, one key. Its text is the stored
/// record's key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyScope(String);

impl IdempotencyScope {
    /// The scope of `key` sent by `caller` to `method path`.
    pub fn new(caller: &str, method: &str, path: &str, key: &IdempotencyKey) -> Self {
        Self(format!("{caller}#{method} {path}#{key}"))
    }
}

impl AsRef<str> for IdempotencyScope {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A stored answer, replayed to retries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    /// The HTTP status.
    pub status: u16,
    /// The JSON body.
    pub body: String,
    /// The `Location` header, when the answer had one.
    pub location: Option<String>,
}

/// What claiming a key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key is new (or expired, or its first request died): this request runs.
    Acquired,
    /// The same request already finished: answer with what it answered.
    Replay(StoredResponse),
    /// The same request is still running.
    InFlight,
    /// The key was used with a different request body.
    Mismatch,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_visible_ascii_up_to_255_characters() {
        for good in ["a", "6f1c2b1e-6b3a-4a8e-9c57-1b0c5c7f2a11", &"k".repeat(255)] {
            assert!(IdempotencyKey::parse(good).is_ok(), "{good}");
        }
        for bad in ["", " ", "a b", "tab\tkey", "é", &"k".repeat(256)] {
            assert!(IdempotencyKey::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn scopes_differ_by_caller_route_and_key() {
        let key = IdempotencyKey::parse("k1").unwrap();
        let base = IdempotencyScope::new("alice", "POST", "/deployments", &key);
        assert_ne!(base, IdempotencyScope::new("bob", "POST", "/deployments", &key));
        assert_ne!(base, IdempotencyScope::new("alice", "POST", "/projects", &key));
        let other = IdempotencyKey::parse("k2").unwrap();
        assert_ne!(base, IdempotencyScope::new("alice", "POST", "/deployments", &other));
    }
}
