//! Git tree listings of a fake commit, shaped like `GET /repos/{o}/{r}/git/trees/{sha}`:
//! directories have SHAs of their own, recursive listings are in git's pre-order, and a listing
//! longer than a limit is cut and marked `truncated`, as GitHub does past 100,000 entries.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::repo::{FakeCommit, blob_sha};

/// The SHA the fake gives directory `dir` (`""` is the root) of the commit `commit_sha`.
pub fn tree_sha(commit_sha: &str, dir: &str) -> String {
    let mut hasher = sha1_smol::Sha1::new();
    hasher.update(format!("tree {commit_sha}:{dir}").as_bytes());
    hasher.digest().to_string()
}

fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(p, _)| p)
}

fn dirs(commit: &FakeCommit) -> BTreeSet<String> {
    let mut dirs = BTreeSet::new();
    for path in commit.files.keys() {
        let mut dir = parent(path);
        while !dir.is_empty() {
            dirs.insert(dir.to_owned());
            dir = parent(dir);
        }
    }
    dirs
}

/// The directory of `commit` that `sha` names: the commit SHA and the root tree SHA name the
/// root.
pub fn dir_of(commit: &FakeCommit, sha: &str) -> Option<String> {
    if sha == commit.sha || sha == tree_sha(&commit.sha, "") {
        return Some(String::new());
    }
    dirs(commit).into_iter().find(|d| tree_sha(&commit.sha, d) == sha)
}

/// The listing of `dir`, recursive or not, cut after `limit` entries if given.
pub fn listing(commit: &FakeCommit, dir: &str, recursive: bool, limit: Option<usize>) -> Value {
    let dirs = dirs(commit);
    let mut entries = Vec::new();
    walk(commit, &dirs, dir, dir, recursive, &mut entries);
    let truncated = limit.is_some_and(|limit| entries.len() > limit);
    if let Some(limit) = limit {
        entries.truncate(limit);
    }
    json!({ "sha": tree_sha(&commit.sha, dir), "tree": entries, "truncated": truncated })
}

/// Appends `dir`'s children (paths relative to `base`) in name order, each tree followed by its
/// own children when `recursive`.
fn walk(
    commit: &FakeCommit,
    dirs: &BTreeSet<String>,
    base: &str,
    dir: &str,
    recursive: bool,
    out: &mut Vec<Value>,
) {
    let relative = |path: &str| {
        if base.is_empty() { path.to_owned() } else { path[base.len() + 1..].to_owned() }
    };
    let mut children: Vec<(&str, bool)> = commit
        .files
        .keys()
        .filter(|p| parent(p) == dir)
        .map(|p| (p.as_str(), false))
        .chain(dirs.iter().filter(|d| parent(d) == dir).map(|d| (d.as_str(), true)))
        .collect();
    children.sort();
    for (path, is_tree) in children {
        if is_tree {
            out.push(json!({ "path": relative(path), "mode": "040000", "type": "tree", "sha": tree_sha(&commit.sha, path) }));
            if recursive {
                walk(commit, dirs, base, path, recursive, out);
            }
        } else {
            let contents = &commit.files[path];
            out.push(json!({ "path": relative(path), "mode": "100644", "type": "blob", "sha": blob_sha(contents), "size": contents.len() }));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn commit() -> FakeCommit {
        let files: BTreeMap<String, Vec<u8>> = ["a.txt", "src/b.rs", "src/deep/c.rs", "z.txt"]
            .iter()
            .map(|p| ((*p).to_owned(), p.as_bytes().to_vec()))
            .collect();
        FakeCommit::new(files, "salt")
    }

    fn paths(listing: &Value) -> Vec<String> {
        listing["tree"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["path"].as_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn recursive_listings_are_in_pre_order_and_cut_when_limited() {
        let commit = commit();
        let full = listing(&commit, "", true, None);
        assert_eq!(
            paths(&full),
            ["a.txt", "src", "src/b.rs", "src/deep", "src/deep/c.rs", "z.txt"]
        );
        assert_eq!(full["truncated"], false);
        let cut = listing(&commit, "", true, Some(3));
        assert_eq!(paths(&cut), ["a.txt", "src", "src/b.rs"]);
        assert_eq!(cut["truncated"], true);
    }

    #[test]
    fn subtrees_are_listed_by_their_own_sha_with_relative_paths() {
        let commit = commit();
        let src = tree_sha(&commit.sha, "src");
        assert_eq!(dir_of(&commit, &src).as_deref(), Some("src"));
        assert_eq!(dir_of(&commit, &commit.sha).as_deref(), Some(""));
        assert_eq!(dir_of(&commit, "0000"), None);
        assert_eq!(paths(&listing(&commit, "src", false, None)), ["b.rs", "deep"]);
    }
}
