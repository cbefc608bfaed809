//! The `push` payload, read into what push-to-deploy needs, and the rules that say whether a
//! push deploys at all.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use whaleray_shared::{CommitSha, InstallationId, RepoFullName};

use super::events::PayloadError;

/// The markers that, in the head commit's message, keep a push from deploying (compared
/// ignoring case).
pub const SKIP_MARKERS: [&str; 2] = ["[skip ci]", "[skip deploy]"];

/// A push, as far as deploying it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Push {
    /// The installation the delivery came through.
    pub installation: InstallationId,
    /// The repository pushed to.
    pub repository: RepoFullName,
    /// The repository's default branch, as GitHub reports it now.
    pub default_branch: String,
    /// The full ref pushed (`refs/heads/main`, `refs/tags/v1`).
    pub git_ref: String,
    /// What the push did.
    pub kind: PushKind,
}

/// What a push did to its ref.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushKind {
    /// The ref now points at `after`, whose message and author the head commit gives.
    Updated {
        /// The pushed head commit.
        after: CommitSha,
        /// Its message.
        message: String,
        /// Its author's name.
        author: String,
        /// When GitHub received the push (or, failing that, the commit's time): fixed for
        /// every redelivery of the delivery.
        pushed_at: DateTime<Utc>,
    },
    /// The ref was deleted (`deleted: true`, `after` all zeros).
    Deleted,
}

impl Push {
    /// The branch pushed, or `None` for a tag or any other ref.
    pub fn branch(&self) -> Option<&str> {
        self.git_ref.strip_prefix("refs/heads/")
    }

    /// Why this push deploys nothing before any project is looked at, if it does not.
    pub fn skip_reason(&self) -> Option<&'static str> {
        match &self.kind {
            PushKind::Deleted => Some("push.deleted"),
            _ if self.branch().is_none() => Some("push.not_a_branch"),
            PushKind::Updated { message, .. } => {
                let message = message.to_ascii_lowercase();
                SKIP_MARKERS.iter().any(|m| message.contains(m)).then_some("push.skip_marker")
            }
        }
    }
}

#[derive(Deserialize)]
struct PushPayload {
    #[serde(rename = "ref")]
    git_ref: String,
    after: String,
    #[serde(default)]
    deleted: bool,
    head_commit: Option<HeadCommit>,
    repository: PushRepository,
    installation: Option<InstallationRef>,
}

#[derive(Deserialize)]
struct HeadCommit {
    id: String,
    #[serde(default)]
    message: String,
    timestamp: Option<String>,
    author: Option<Author>,
}

#[derive(Deserialize)]
struct Author {
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
struct PushRepository {
    full_name: String,
    default_branch: String,
    /// Epoch seconds in `push` payloads (a timestamp string in other events).
    pushed_at: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct InstallationRef {
    id: u64,
}

/// Reads a `push` delivery.
pub fn parse(body: &[u8]) -> Result<Push, PayloadError> {
    let fail = |reason: String| PayloadError { event: "push".to_owned(), reason };
    let payload: PushPayload = serde_json::from_slice(body).map_err(|e| fail(e.to_string()))?;
    let installation = payload
        .installation
        .ok_or_else(|| fail("no installation: is this an App webhook?".into()))
        .and_then(|i| InstallationId::new(i.id).map_err(|e| fail(e.to_string())))?;
    let repository =
        RepoFullName::parse(&payload.repository.full_name).map_err(|e| fail(e.to_string()))?;
    let zeros = !payload.after.is_empty() && payload.after.bytes().all(|b| b == b'0');
    let kind = match payload.head_commit {
        _ if payload.deleted || zeros => PushKind::Deleted,
        None => return Err(fail("no head_commit for a push that did not delete its ref".into())),
        Some(head) => {
            let after = CommitSha::parse(&payload.after).map_err(|e| fail(e.to_string()))?;
            if head.id != payload.after {
                return Err(fail("head_commit.id is not after".into()));
            }
            let pushed_at = pushed_at(payload.repository.pushed_at.as_ref())
                .or_else(|| head.timestamp.as_deref().and_then(rfc3339))
                .ok_or_else(|| {
                    fail("neither repository.pushed_at nor head_commit.timestamp is a time".into())
                })?;
            PushKind::Updated {
                after,
                message: head.message,
                author: head.author.map(|a| a.name).unwrap_or_default(),
                pushed_at,
            }
        }
    };
    Ok(Push {
        installation,
        repository,
        default_branch: payload.repository.default_branch,
        git_ref: payload.git_ref,
        kind,
    })
}

fn pushed_at(value: Option<&serde_json::Value>) -> Option<DateTime<Utc>> {
    match value? {
        serde_json::Value::Number(n) => DateTime::from_timestamp(n.as_i64()?, 0),
        serde_json::Value::String(s) => rfc3339(s),
        _ => None,
    }
}

fn rfc3339(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text).ok().map(|t| t.to_utc())
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

    fn payload(git_ref: &str, message: &str) -> Value {
        json!({
            "ref": git_ref, "before": "1111111111111111111111111111111111111111", "after": SHA,
            "created": false, "deleted": false, "forced": false, "base_ref": null,
            "compare": "https://github.com/acme/site/compare/111...012",
            "commits": [{"id": SHA, "message": message}],
            "head_commit": {"id": SHA, "message": message, "timestamp": "2026-12-02T03:00:00+01:00",
                            "author": {"name": "Ada Lovelace", "email": "ada@example.com"}},
            "repository": {"id": 99, "full_name": "acme/site", "default_branch": "main",
                           "pushed_at": 1764644400},
            "pusher": {"name": "ada"}, "sender": {"login": "ada", "id": 5},
            "installation": {"id": 4242, "node_id": "x"}
        })
    }

    fn read(value: &Value) -> Push {
        parse(value.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn a_branch_push_carries_the_head_commit_and_when_it_was_pushed() {
        let push = read(&payload("refs/heads/main", "feat: hello"));
        assert_eq!(push.branch(), Some("main"));
        assert_eq!((push.installation.get(), push.repository.as_ref()), (4242, "acme/site"));
        assert_eq!(push.skip_reason(), None);
        let PushKind::Updated { after, message, author, pushed_at } = push.kind else {
            panic!("not an update")
        };
        assert_eq!(
            (after.as_ref(), message.as_str(), author.as_str()),
            (SHA, "feat: hello", "Ada Lovelace")
        );
        assert_eq!(pushed_at.timestamp(), 1_764_644_400);
    }

    #[test]
    fn deletions_tags_and_skip_markers_deploy_nothing() {
        let mut deleted = payload("refs/heads/main", "x");
        deleted["deleted"] = json!(true);
        deleted["after"] = json!("0000000000000000000000000000000000000000");
        deleted["head_commit"] = Value::Null;
        assert_eq!(read(&deleted).skip_reason(), Some("push.deleted"));
        assert_eq!(read(&payload("refs/tags/v1", "x")).skip_reason(), Some("push.not_a_branch"));
        for message in ["fix [skip ci]", "docs\n\n[Skip Deploy]"] {
            assert_eq!(
                read(&payload("refs/heads/main", message)).skip_reason(),
                Some("push.skip_marker")
            );
        }
        assert_eq!(read(&payload("refs/heads/main", "skip ci")).skip_reason(), None);
    }

    #[test]
    fn malformed_pushes_are_typed_errors() {
        let mut no_installation = payload("refs/heads/main", "x");
        no_installation.as_object_mut().unwrap().remove("installation");
        let mut bad_sha = payload("refs/heads/main", "x");
        bad_sha["after"] = json!("not-a-sha");
        let mut no_head = payload("refs/heads/main", "x");
        no_head["head_commit"] = Value::Null;
        let mut bad_repo = payload("refs/heads/main", "x");
        bad_repo["repository"]["full_name"] = json!("no-slash");
        for bad in [no_installation, bad_sha, no_head, bad_repo] {
            assert!(parse(bad.to_string().as_bytes()).is_err(), "{bad}");
        }
        assert!(parse(b"{}").is_err());
    }
}
