//! Webhook payloads shaped as GitHub sends them, for tests and for `scripts/dev`'s sample
//! delivery: only what GitHub documents, with the fields WhaleRay reads filled in.

use serde_json::{Value, json};

/// A `push` of `after` (with `message`) to `branch` of `repository` (`owner/name`, default
/// branch `main`), delivered through App installation `installation`, at `pushed_at` (epoch
/// seconds).
pub fn push(
    repository: &str,
    installation: u64,
    branch: &str,
    after: &str,
    message: &str,
    pushed_at: i64,
) -> Value {
    let owner = repository.split('/').next().unwrap_or_default();
    json!({
        "ref": format!("refs/heads/{branch}"),
        "before": "0123456789abcdef0123456789abcdef01234567",
        "after": after,
        "created": false,
        "deleted": false,
        "forced": false,
        "base_ref": null,
        "compare": format!("https://github.com/{repository}/compare/0123456789ab...{}", &after[..after.len().min(12)]),
        "commits": [{"id": after, "message": message, "distinct": true,
                     "author": {"name": "Ada Lovelace", "email": "ada@example.com", "username": "ada"}}],
        "head_commit": {"id": after, "tree_id": after, "distinct": true, "message": message,
                        "timestamp": "2026-12-02T03:00:00Z",
                        "author": {"name": "Ada Lovelace", "email": "ada@example.com", "username": "ada"},
                        "committer": {"name": "Ada Lovelace", "email": "ada@example.com", "username": "ada"}},
        "repository": {"id": 4_000_001, "name": repository.rsplit('/').next().unwrap_or_default(),
                       "full_name": repository, "private": true, "default_branch": "main",
                       "master_branch": "main", "pushed_at": pushed_at,
                       "owner": {"login": owner, "name": owner}},
        "pusher": {"name": "ada", "email": "ada@example.com"},
        "sender": {"login": "ada", "id": 5},
        "installation": {"id": installation, "node_id": "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9u"}
    })
}

/// The same push, deleting `branch` (`deleted: true`, `after` all zeros, no head commit).
pub fn branch_deletion(repository: &str, installation: u64, branch: &str) -> Value {
    let mut payload = push(repository, installation, branch, &"0".repeat(40), "", 0);
    payload["deleted"] = json!(true);
    payload["head_commit"] = Value::Null;
    payload["commits"] = json!([]);
    payload
}
