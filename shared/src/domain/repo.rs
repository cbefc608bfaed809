//! A GitHub repository's full name, `owner/name`, checked against GitHub's naming rules.

use std::fmt;

use super::DomainError;

/// `owner/name` as GitHub spells it. Owner comparisons are case-insensitive, as on GitHub.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RepoFullName {
    full: String,
    slash: usize,
}

impl RepoFullName {
    /// The longest owner (user or organisation login) GitHub allows.
    pub const MAX_OWNER_LEN: usize = 39;
    /// The longest repository name GitHub allows.
    pub const MAX_NAME_LEN: usize = 100;

    /// Parses `owner/name`.
    ///
    /// The owner is 1 to 39 ASCII letters, digits or hyphens, not starting or ending with a
    /// hyphen. The name is 1 to 100 ASCII letters, digits, `.`, `_` or `-`, other than `.`
    /// and `..`, and without the `.git` suffix that clone URLs carry.
    pub fn parse(value: &str) -> Result<Self, DomainError> {
        let fail = |why| DomainError::Repository { value: value.to_owned(), why };
        let (owner, name) = value.split_once('/').ok_or(fail("expected owner/name"))?;
        check_owner(owner).map_err(fail)?;
        check_name(name).map_err(fail)?;
        Ok(Self { full: value.to_owned(), slash: owner.len() })
    }

    /// The owning user or organisation login.
    pub fn owner(&self) -> &str {
        &self.full[..self.slash]
    }

    /// The repository name without its owner.
    pub fn name(&self) -> &str {
        &self.full[self.slash + 1..]
    }

    /// Whether `login` is this repository's owner, ignoring case as GitHub does.
    pub fn is_owned_by(&self, login: &str) -> bool {
        self.owner().eq_ignore_ascii_case(login)
    }
}

fn check_owner(owner: &str) -> Result<(), &'static str> {
    if owner.is_empty() {
        return Err("the owner is empty");
    }
    if owner.len() > RepoFullName::MAX_OWNER_LEN {
        return Err("the owner is longer than 39 characters");
    }
    if !owner.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err("the owner may only contain letters, digits and hyphens");
    }
    if owner.starts_with('-') || owner.ends_with('-') {
        return Err("the owner cannot start or end with a hyphen");
    }
    Ok(())
}

fn check_name(name: &str) -> Result<(), &'static str> {
    if name.is_empty() {
        return Err("the repository name is empty");
    }
    if name.len() > RepoFullName::MAX_NAME_LEN {
        return Err("the repository name is longer than 100 characters");
    }
    if !name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')) {
        return Err("the repository name may only contain letters, digits, '.', '_' and '-'");
    }
    if name == "." || name == ".." {
        return Err("the repository name cannot be '.' or '..'");
    }
    if name.to_ascii_lowercase().ends_with(".git") {
        return Err("drop the .git suffix from the repository name");
    }
    Ok(())
}

impl AsRef<str> for RepoFullName {
    fn as_ref(&self) -> &str {
        &self.full
    }
}

impl fmt::Display for RepoFullName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.full)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_ordinary_names_and_splits_them() {
        let repo = RepoFullName::parse("Whale-Ray/my.app_v2").unwrap();
        assert_eq!(repo.owner(), "Whale-Ray");
        assert_eq!(repo.name(), "my.app_v2");
        assert!(repo.is_owned_by("whale-ray"));
        assert!(!repo.is_owned_by("whale"));
    }

    #[test]
    fn rejects_names_github_would_not_allow() {
        let long_owner = format!("{}/x", "a".repeat(40));
        let long_name = format!("o/{}", "a".repeat(101));
        for bad in [
            "",
            "noslash",
            "/name",
            "owner/",
            "-owner/x",
            "owner-/x",
            "ow ner/x",
            "o/na me",
            "o/..",
            "o/.",
            "a/b/c",
            "o/x.git",
            "o/x;rm",
            "ö/x",
            &long_owner,
            &long_name,
        ] {
            assert!(RepoFullName::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    proptest! {
        #[test]
        fn parse_never_panics_and_round_trips(input in ".{0,160}") {
            if let Ok(repo) = RepoFullName::parse(&input) {
                prop_assert_eq!(repo.to_string(), input.clone());
                prop_assert_eq!(format!("{}/{}", repo.owner(), repo.name()), input);
            }
        }
    }
}
