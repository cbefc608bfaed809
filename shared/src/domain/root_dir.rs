//! The app's folder inside a monorepo, as a user names it.

use std::fmt;

use super::DomainError;

/// A relative folder path inside the repository: `/`-separated, no `.` or `..` parts, no
/// leading or trailing slash. `"."` (or an empty string) means the repository root.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RootDirectory(String);

impl RootDirectory {
    /// The longest path accepted, in bytes.
    pub const MAX_LEN: usize = 255;

    /// Checks and normalises `value` (a trailing slash and a leading `./` are dropped).
    pub fn parse(value: &str) -> Result<Self, DomainError> {
        let fail = |why| DomainError::RootDirectory { value: value.to_owned(), why };
        let trimmed = value.trim();
        let trimmed = trimmed.strip_prefix("./").unwrap_or(trimmed).trim_end_matches('/');
        if trimmed.is_empty() || trimmed == "." {
            return Ok(Self(".".to_owned()));
        }
        if trimmed.len() > Self::MAX_LEN {
            return Err(fail("it is longer than 255 bytes"));
        }
        if trimmed.starts_with('/') || trimmed.contains('\\') {
            return Err(fail("it must be a relative path with '/' separators"));
        }
        if trimmed.chars().any(char::is_control) {
            return Err(fail("it cannot contain control characters"));
        }
        for part in trimmed.split('/') {
            if part.is_empty() || part == "." || part == ".." {
                return Err(fail("it cannot contain empty, '.' or '..' parts"));
            }
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// Whether this is the repository root.
    pub fn is_root(&self) -> bool {
        self.0 == "."
    }
}

impl AsRef<str> for RootDirectory {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RootDirectory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_are_normalised_and_escapes_rejected() {
        for (input, expected) in
            [("apps/web", "apps/web"), ("./apps/web/", "apps/web"), ("", "."), (".", ".")]
        {
            assert_eq!(RootDirectory::parse(input).unwrap().as_ref(), expected, "{input:?}");
        }
        for bad in ["/etc", "../x", "apps/../../x", "a//b", "a\\b", "a/./b", "a\u{0}"] {
            assert!(RootDirectory::parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}
