//! A commit's file list from the git trees API, complete enough for detection even when GitHub
//! truncates the recursive listing.
//!
//! The recursive tree is one call, and for all but the largest repositories it is complete.
//! When GitHub answers `truncated: true` (over 100,000 entries or 7 MB), the entries it did
//! send are kept and the directories detection can look into are listed one level at a time,
//! breadth-first from the root: directories down to [`MAX_WALK_DEPTH`] levels (detection reads
//! the root, workspace packages and directories up to two levels deep, and the direct
//! children of an app directory), skipping dependency and output folders, and at most
//! [`MAX_WALK_CALLS`] listings. Deeper paths are known only if the truncated listing held them.

use std::collections::{BTreeMap, VecDeque};
use std::future::Future;

use serde::Deserialize;

use super::{EntryKind, GitHubError, TreeEntry};

/// Directories at most this many levels below the root are listed when walking.
pub const MAX_WALK_DEPTH: usize = 3;
/// At most this many non-recursive listings are fetched for one truncated tree.
pub const MAX_WALK_CALLS: usize = 64;
/// Directories never walked: dependencies, build output, VCS data.
const SKIPPED: &[&str] = &["node_modules", "vendor", "bower_components", "target", "dist", ".git"];

/// One answer of `GET /repos/{owner}/{repo}/git/trees/{sha}`.
#[derive(Debug, Deserialize)]
pub(crate) struct Listing {
    /// The listed tree's SHA.
    pub sha: String,
    pub tree: Vec<Item>,
    #[serde(default)]
    pub truncated: bool,
}

/// One entry of a listing: a blob, a tree (directory) or a commit (submodule).
#[derive(Debug, Deserialize)]
pub(crate) struct Item {
    pub path: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub sha: String,
    /// Git's mode: `100644` file, `120000` symbolic link, `160000` submodule, `040000` tree.
    #[serde(default)]
    pub mode: String,
    #[serde(default)]
    pub size: u64,
}

impl Item {
    /// The entry, unless this is a directory.
    fn into_entry(self, prefix: &str) -> Option<TreeEntry> {
        let kind = EntryKind::of(&self.kind, &self.mode)?;
        Some(TreeEntry { path: join(prefix, &self.path), sha: self.sha, size: self.size, kind })
    }
}

fn join(prefix: &str, path: &str) -> String {
    if prefix.is_empty() { path.to_owned() } else { format!("{prefix}/{path}") }
}

/// The files, symbolic links and submodules of a complete recursive listing.
pub(crate) fn files(listing: Listing) -> Vec<TreeEntry> {
    listing.tree.into_iter().filter_map(|item| item.into_entry("")).collect()
}

/// Completes a truncated recursive listing by walking directories with `list`, which fetches
/// the non-recursive listing of a tree SHA.
pub(crate) async fn complete<F, Fut>(
    truncated: Listing,
    mut list: F,
) -> Result<Vec<TreeEntry>, GitHubError>
where
    F: FnMut(String) -> Fut,
    Fut: Future<Output = Result<Listing, GitHubError>>,
{
    let mut files: BTreeMap<String, TreeEntry> = BTreeMap::new();
    let root = truncated.sha.clone();
    for entry in self::files(truncated) {
        files.insert(entry.path.clone(), entry);
    }
    let mut queue = VecDeque::from([(String::new(), root, 0usize)]);
    let mut calls = 0;
    while let Some((prefix, sha, depth)) = queue.pop_front() {
        if calls == MAX_WALK_CALLS {
            tracing::warn!(
                listed = calls,
                left = queue.len() + 1,
                "tree walk stopped at its call cap; detection sees part of the repository"
            );
            break;
        }
        calls += 1;
        let listing = list(sha).await?;
        if listing.truncated {
            tracing::warn!(directory = %prefix, "GitHub truncated a directory listing");
        }
        for item in listing.tree {
            match item.kind.as_str() {
                "tree" if depth < MAX_WALK_DEPTH && !SKIPPED.contains(&item.path.as_str()) => {
                    queue.push_back((join(&prefix, &item.path), item.sha, depth + 1));
                }
                "tree" => {}
                _ => {
                    if let Some(entry) = item.into_entry(&prefix) {
                        files.insert(entry.path.clone(), entry);
                    }
                }
            }
        }
    }
    tracing::info!(listings = calls, files = files.len(), "walked a truncated tree");
    Ok(files.into_values().collect())
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::HashMap;

    use super::*;

    fn item(path: &str, kind: &str, sha: &str) -> Item {
        let mode = if kind == "tree" { "040000" } else { "100644" };
        Item { path: path.into(), kind: kind.into(), sha: sha.into(), mode: mode.into(), size: 1 }
    }

    /// A repository as non-recursive listings by tree SHA, and a lister that counts calls.
    fn repo() -> HashMap<&'static str, Vec<Item>> {
        HashMap::from([
            (
                "root",
                vec![
                    item("package.json", "blob", "b1"),
                    item("apps", "tree", "apps"),
                    item("node_modules", "tree", "nm"),
                    item("lib", "commit", "submodule"),
                ],
            ),
            ("apps", vec![item("web", "tree", "web")]),
            ("web", vec![item("package.json", "blob", "b2"), item("src", "tree", "src")]),
            ("src", vec![item("deep", "tree", "deep"), item("main.ts", "blob", "b3")]),
            ("deep", vec![item("too-deep.ts", "blob", "b4")]),
            ("nm", vec![item("left-pad.js", "blob", "b5")]),
        ])
    }

    #[tokio::test]
    async fn a_truncated_tree_is_walked_to_the_depth_detection_needs() {
        let trees = repo();
        let calls = RefCell::new(Vec::new());
        let truncated = Listing {
            sha: "root".into(),
            tree: vec![
                item("apps/web/src/deep/known.ts", "blob", "b6"),
                item("apps", "tree", "apps"),
            ],
            truncated: true,
        };
        let files = complete(truncated, |sha| {
            calls.borrow_mut().push(sha.clone());
            let listing = trees.get(sha.as_str()).map(|items| Listing {
                sha: sha.clone(),
                tree: items.iter().map(|i| item(&i.path, &i.kind, &i.sha)).collect(),
                truncated: false,
            });
            async move { listing.ok_or(GitHubError::NotFound("tree".into())) }
        })
        .await
        .unwrap();
        let paths: Vec<(&str, EntryKind)> =
            files.iter().map(|f| (f.path.as_str(), f.kind)).collect();
        assert_eq!(
            paths,
            [
                ("apps/web/package.json", EntryKind::File),
                ("apps/web/src/deep/known.ts", EntryKind::File),
                ("apps/web/src/main.ts", EntryKind::File),
                ("lib", EntryKind::Submodule),
                ("package.json", EntryKind::File),
            ]
        );
        assert_eq!(*calls.borrow(), ["root", "apps", "web", "src"]);
    }

    #[tokio::test]
    async fn the_walk_stops_at_its_call_cap() {
        let calls = RefCell::new(0usize);
        let truncated = Listing { sha: "root".into(), tree: vec![], truncated: true };
        let files = complete(truncated, |sha| {
            *calls.borrow_mut() += 1;
            let tree = (0..100)
                .map(|i| item(&format!("d{i}"), "tree", &format!("{sha}-{i}")))
                .chain([item(&format!("f-{sha}"), "blob", "b")])
                .collect();
            async move { Ok(Listing { sha, tree, truncated: false }) }
        })
        .await
        .unwrap();
        assert_eq!(*calls.borrow(), MAX_WALK_CALLS);
        assert_eq!(files.len(), MAX_WALK_CALLS);
    }

    #[test]
    fn modes_say_which_entries_are_files() {
        let listing: Listing = serde_json::from_value(serde_json::json!({
            "sha": "root",
            "truncated": false,
            "tree": [
                { "path": "dist", "mode": "120000", "type": "blob", "sha": "a1", "size": 4 },
                { "path": "lib", "mode": "160000", "type": "commit", "sha": "b2" },
                { "path": "run.sh", "mode": "100755", "type": "blob", "sha": "c3", "size": 9 },
                { "path": "src", "mode": "040000", "type": "tree", "sha": "d4" },
            ],
        }))
        .unwrap();
        let kinds: Vec<(String, EntryKind)> =
            files(listing).into_iter().map(|e| (e.path, e.kind)).collect();
        assert_eq!(
            kinds,
            [
                ("dist".to_owned(), EntryKind::Symlink),
                ("lib".to_owned(), EntryKind::Submodule),
                ("run.sh".to_owned(), EntryKind::File),
            ]
        );
    }

    #[tokio::test]
    async fn a_failed_listing_fails_the_walk() {
        let truncated = Listing { sha: "root".into(), tree: vec![], truncated: true };
        let result =
            complete(truncated, |_| async { Err(GitHubError::Server { status: 502, wait: None }) })
                .await;
        assert!(matches!(result, Err(GitHubError::Server { status: 502, .. })));
    }
}
