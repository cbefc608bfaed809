//! Where a deployment came from: a click in the front end, a `git push` to a project's
//! production branch, or a redeploy of an earlier deployment, and the commit it was made for.

use std::fmt;
use std::str::FromStr;

use super::DomainError;

/// What created a deployment. Serialised as exactly these lower-case strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Trigger {
    /// Someone pressed "Deploy" (`POST /deployments`).
    #[default]
    Manual,
    /// A push to a project's production branch (the GitHub `push` webhook).
    Push,
    /// `POST /deployments/{id}/redeploy`: the same commit built again.
    Redeploy,
}

impl Trigger {
    /// Every trigger.
    pub const ALL: [Self; 3] = [Self::Manual, Self::Push, Self::Redeploy];

    /// The wire and storage spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Manual => "manual",
            Self::Push => "push",
            Self::Redeploy => "redeploy",
        }
    }
}

impl fmt::Display for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Trigger {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "manual" => Ok(Self::Manual),
            "push" => Ok(Self::Push),
            "redeploy" => Ok(Self::Redeploy),
            other => Err(DomainError::Trigger(other.to_owned())),
        }
    }
}

/// The commit a pushed deployment was made for, as GitHub's `head_commit` described it: shown
/// to the user beside the deployment, never interpreted.
///
/// Both texts come from the repository's author, so they are bounded and stripped of control
/// characters other than newlines and tabs on construction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitDetails {
    message: String,
    author: String,
}

impl CommitDetails {
    /// The longest message kept, in bytes (longer ones are cut at a character boundary).
    pub const MAX_MESSAGE_BYTES: usize = 2048;
    /// The longest author name kept, in bytes.
    pub const MAX_AUTHOR_BYTES: usize = 256;

    /// Keeps `message` and `author`, cleaned and bounded.
    pub fn new(message: &str, author: &str) -> Self {
        Self {
            message: clean(message, Self::MAX_MESSAGE_BYTES, true),
            author: clean(author, Self::MAX_AUTHOR_BYTES, false),
        }
    }

    /// The commit message (its first [`Self::MAX_MESSAGE_BYTES`] bytes).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The author's name as git recorded it.
    pub fn author(&self) -> &str {
        &self.author
    }
}

/// Drops control characters (keeping newlines and tabs when `multiline`) and cuts the text to
/// at most `max` bytes at a character boundary.
fn clean(text: &str, max: usize, multiline: bool) -> String {
    let mut out = String::with_capacity(text.len().min(max));
    for c in text.chars() {
        let kept = !c.is_control() || (multiline && (c == '\n' || c == '\t'));
        if !kept {
            continue;
        }
        if out.len() + c.len_utf8() > max {
            break;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triggers_round_trip_through_their_spelling_and_unknown_ones_are_refused() {
        for trigger in Trigger::ALL {
            assert_eq!(trigger.as_str().parse::<Trigger>(), Ok(trigger));
        }
        assert_eq!(Trigger::default(), Trigger::Manual);
        assert!(matches!("Push".parse::<Trigger>(), Err(DomainError::Trigger(_))));
    }

    #[test]
    fn commit_details_drop_control_characters_and_keep_line_breaks_in_messages() {
        let details =
            CommitDetails::new("fix: build\n\n\u{1b}[31mred\u{7}\ttab", "Ada\nLovelace\u{0}");
        assert_eq!(details.message(), "fix: build\n\n[31mred\ttab");
        assert_eq!(details.author(), "AdaLovelace");
    }

    #[test]
    fn commit_details_are_cut_at_a_character_boundary() {
        let long = "é".repeat(CommitDetails::MAX_MESSAGE_BYTES);
        let details = CommitDetails::new(&long, &"x".repeat(1000));
        assert!(details.message().len() <= CommitDetails::MAX_MESSAGE_BYTES);
        assert_eq!(details.message().len(), CommitDetails::MAX_MESSAGE_BYTES);
        assert!(details.message().chars().all(|c| c == 'é'));
        assert_eq!(details.author().len(), CommitDetails::MAX_AUTHOR_BYTES);
    }
}
