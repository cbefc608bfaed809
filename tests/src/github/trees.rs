//! Git tree listings of a fake commit, shaped like `GET /repos/{o}/{r}/git/trees/{sha}`:
//! directories have SHAs of their own, recursive listings are in git's pre-order, and a listing
//! longer than a limit is cut and marked `truncated`, as GitHub does past 100,000 entries.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::repo::{Entry, FakeCommit};

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
    for path in commit.entries().keys() {
        let mut dir = parent(path);
        while !dir.is_empty() && dirs.insert(dir.to_owned()) {
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

/// Directory → its children (path, whether a tree), built once per listing.
type Children<'a> = BTreeMap<&'a str, Vec<(&'a str, bool)>>;

fn children<'a>(commit: &'a FakeCommit, dirs: &'a BTreeSet<String>) -> Children<'a> {
    let mut children: Children<'a> = BTreeMap::new();
    let files = commit.entries().keys().map(|p| (p.as_str(), false));
    for (path, is_tree) in files.chain(dirs.iter().map(|d| (d.as_str(), true))) {
        children.entry(parent(path)).or_default().push((path, is_tree));
    }
    for list in children.values_mut() {
        list.sort_unstable();
    }
    children
}

/// The listing of `dir`, recursive or not, cut after `limit` entries if given. Entries carry
/// git's modes: `100644` files, `120000` symbolic links (blobs), `160000` submodules (commits).
pub fn listing(commit: &FakeCommit, dir: &str, recursive: bool, limit: Option<usize>) -> Value {
    let dirs = dirs(commit);
    let children = children(commit, &dirs);
    let mut entries = Vec::new();
    walk(commit, &children, dir, dir, recursive, &mut entries);
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
    children: &Children<'_>,
    base: &str,
    dir: &str,
    recursive: bool,
    out: &mut Vec<Value>,
) {
    let relative = |path: &str| {
        if base.is_empty() { path.to_owned() } else { path[base.len() + 1..].to_owned() }
    };
    for &(path, is_tree) in children.get(dir).map(Vec::as_slice).unwrap_or_default() {
        if is_tree {
            out.push(json!({ "path": relative(path), "mode": "040000", "type": "tree", "sha": tree_sha(&commit.sha, path) }));
            if recursive {
                walk(commit, children, base, path, recursive, out);
            }
            continue;
        }
        let entry = &commit.entries()[path];
        out.push(match entry {
            Entry::Submodule(sha) => {
                json!({ "path": relative(path), "mode": entry.mode(), "type": "commit", "sha": sha })
            }
            _ => {
                let size = entry.blob().map_or(0, <[u8]>::len);
                json!({ "path": relative(path), "mode": entry.mode(), "type": "blob", "sha": commit.sha_of(path), "size": size })
            }
        });
    }
}

#[cfg(test)]
mod tests {
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

    #[test]
    fn links_and_submodules_are_listed_with_their_modes() {
        let entries = BTreeMap::from([
            ("dist".to_owned(), Entry::Symlink("/etc".into())),
            ("lib".to_owned(), Entry::Submodule("cd".repeat(20))),
            ("package.json".to_owned(), Entry::File(b"{}".to_vec().into())),
        ]);
        let listing = listing(&FakeCommit::of_entries(entries, "s"), "", true, None);
        let modes: Vec<(&str, &str, &str)> = listing["tree"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["path"].as_str().unwrap(),
                    e["mode"].as_str().unwrap(),
                    e["type"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            modes,
            [
                ("dist", "120000", "blob"),
                ("lib", "160000", "commit"),
                ("package.json", "100644", "blob")
            ]
        );
    }
}
