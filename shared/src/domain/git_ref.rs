//! Git branch names and commit SHAs.

use std::fmt;

use super::DomainError;

/// A branch name that git itself would accept (`git check-ref-format --branch`).
///
/// Shell metacharacters are legal in branch names (`zzz";echo${IFS}"hello";#` is one), so a
/// `GitRef` is never interpolated into a command: builds use the resolved [`CommitSha`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GitRef(String);

impl GitRef {
    /// The longest branch name accepted, in bytes.
    pub const MAX_LEN: usize = 255;

    /// Checks `value` against git's ref-name rules.
    pub fn parse(value: &str) -> Result<Self, DomainError> {
        check(value).map_err(|why| DomainError::GitRef { value: value.to_owned(), why })?;
        Ok(Self(value.to_owned()))
    }
}

fn check(value: &str) -> Result<(), &'static str> {
    if value.is_empty() {
        return Err("it is empty");
    }
    if value.len() > GitRef::MAX_LEN {
        return Err("it is longer than 255 bytes");
    }
    if value.starts_with('-') {
        return Err("it cannot start with '-'");
    }
    if value == "@" {
        return Err("'@' alone is not a branch name");
    }
    if let Some(why) = forbidden_character(value) {
        return Err(why);
    }
    if value.contains("..") {
        return Err("it cannot contain '..'");
    }
    if value.contains("@{") {
        return Err("it cannot contain '@{'");
    }
    if value.ends_with('.') {
        return Err("it cannot end with '.'");
    }
    check_components(value)
}

fn forbidden_character(value: &str) -> Option<&'static str> {
    for c in value.chars() {
        if c.is_ascii_control() {
            return Some("it cannot contain control characters");
        }
        if matches!(c, ' ' | '~' | '^' | ':' | '?' | '*' | '[' | '\\') {
            return Some("it cannot contain spaces or any of ~ ^ : ? * [ \\");
        }
    }
    None
}

fn check_components(value: &str) -> Result<(), &'static str> {
    for component in value.split('/') {
        if component.is_empty() {
            return Err("it cannot start or end with '/' or contain '//'");
        }
        if component.starts_with('.') {
            return Err("no part between slashes may start with '.'");
        }
        if component.ends_with(".lock") {
            return Err("no part between slashes may end with '.lock'");
        }
    }
    Ok(())
}

impl AsRef<str> for GitRef {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for GitRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A full 40-digit commit SHA, stored lowercase.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CommitSha(String);

impl CommitSha {
    /// Accepts exactly 40 hexadecimal digits (either case).
    pub fn parse(value: &str) -> Result<Self, DomainError> {
        if value.len() == 40 && value.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Self(value.to_ascii_lowercase()))
        } else {
            Err(DomainError::CommitSha(value.to_owned()))
        }
    }
}

impl AsRef<str> for CommitSha {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CommitSha {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_ordinary_and_shell_hostile_branch_names() {
        for good in
            ["main", "feature/x-1", "release/v1.2", "zzz\";echo${IFS}\"hello\";#", "a@b", "ünïcode"]
        {
            assert_eq!(GitRef::parse(good).map(|r| r.to_string()), Ok(good.to_owned()));
        }
    }

    #[test]
    fn rejects_what_git_check_ref_format_rejects() {
        let long = "a".repeat(256);
        for bad in [
            "",
            "-rf",
            "@",
            "a..b",
            "a@{1}",
            "a b",
            "a~1",
            "a^",
            "a:b",
            "a?",
            "a*",
            "a[",
            "a\\b",
            "a\u{7f}",
            "a\tb",
            "/a",
            "a/",
            "a//b",
            ".hidden",
            "a/.b",
            "x.lock",
            "a/b.lock/c",
            "a.",
            &long,
        ] {
            assert!(GitRef::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn commit_sha_is_forty_hex_digits_lowercased() {
        let upper = "ABCDEF0123456789ABCDEF0123456789ABCDEF01";
        assert_eq!(CommitSha::parse(upper).unwrap().as_ref(), upper.to_ascii_lowercase());
        assert!(CommitSha::parse("main").is_err());
        assert!(CommitSha::parse(&"g".repeat(40)).is_err());
        assert!(CommitSha::parse(&"a".repeat(39)).is_err());
    }

    proptest! {
        #[test]
        fn accepted_refs_never_carry_dangerous_shapes(input in "\\PC{0,40}|[-./@a-z{}~^:]{0,12}") {
            if let Ok(r) = GitRef::parse(&input) {
                let s = r.as_ref();
                let dangerous = s.starts_with('-') || s.contains("..") || s.contains("@{");
                prop_assert!(!dangerous, "accepted {:?}", s);
                prop_assert!(!s.chars().any(|c| c.is_ascii_control() || c == ' '));
                prop_assert!(s.len() <= GitRef::MAX_LEN);
            }
        }
    }
}
