//! Caller and GitHub App installation identifiers.

use std::fmt;

use super::DomainError;

/// The authenticated caller: the `sub` claim of their token.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UserId(String);

impl UserId {
    /// The longest user id accepted, in bytes.
    pub const MAX_LEN: usize = 256;

    /// Accepts a non-empty id of at most [`Self::MAX_LEN`] bytes without control characters.
    pub fn parse(value: &str) -> Result<Self, DomainError> {
        if value.trim().is_empty() {
            return Err(DomainError::UserId("it is empty"));
        }
        if value.len() > Self::MAX_LEN {
            return Err(DomainError::UserId("it is longer than 256 bytes"));
        }
        if value.chars().any(char::is_control) {
            return Err(DomainError::UserId("it contains control characters"));
        }
        Ok(Self(value.to_owned()))
    }
}

impl AsRef<str> for UserId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A GitHub App installation id (a positive integer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InstallationId(u64);

impl InstallationId {
    /// Accepts any positive integer.
    pub fn new(value: u64) -> Result<Self, DomainError> {
        if value == 0 {
            return Err(DomainError::InstallationId(value.to_string()));
        }
        Ok(Self(value))
    }

    /// Parses the decimal form.
    pub fn parse(value: &str) -> Result<Self, DomainError> {
        value
            .parse::<u64>()
            .map_err(|_| DomainError::InstallationId(value.to_owned()))
            .and_then(Self::new)
    }

    /// The numeric id.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for InstallationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_id_rejects_empty_long_and_control_characters() {
        assert!(UserId::parse("").is_err());
        assert!(UserId::parse("   ").is_err());
        assert!(UserId::parse(&"u".repeat(257)).is_err());
        assert!(UserId::parse("a\nb").is_err());
        assert_eq!(UserId::parse("github|42").map(|u| u.to_string()), Ok("github|42".into()));
    }

    #[test]
    fn installation_id_must_be_a_positive_integer() {
        assert!(InstallationId::parse("0").is_err());
        assert!(InstallationId::parse("-1").is_err());
        assert!(InstallationId::parse("12a").is_err());
        assert_eq!(InstallationId::parse("42").map(InstallationId::get), Ok(42));
    }
}
