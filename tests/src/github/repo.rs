//! Fixture repositories: branches pointing at commits, each a set of git entries (files,
//! symbolic links, submodules), hashed as git does.
//!
//! A commit indexes its blobs by SHA when it is built, so the server answers a blob by one
//! lookup and never copies a repository per request. A fixture loaded from a folder never
//! leaves it: a symbolic link is recorded as git records one (mode `120000`, the blob holding
//! the link's target text) and is never followed.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

/// What a tree entry of a commit is, as git's `mode` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A regular file (mode `100644`) with its contents.
    File(Arc<[u8]>),
    /// A symbolic link (mode `120000`); the blob holds the target path's text.
    Symlink(String),
    /// A submodule (mode `160000`, type `commit`) pinned at this commit SHA; it has no blob.
    Submodule(String),
}

impl Entry {
    /// The entry's git mode.
    pub fn mode(&self) -> &'static str {
        match self {
            Self::File(_) => "100644",
            Self::Symlink(_) => "120000",
            Self::Submodule(_) => "160000",
        }
    }

    /// The blob bytes GitHub serves for the entry (`None` for a submodule).
    pub fn blob(&self) -> Option<&[u8]> {
        match self {
            Self::File(contents) => Some(contents),
            Self::Symlink(target) => Some(target.as_bytes()),
            Self::Submodule(_) => None,
        }
    }

    /// The entry's SHA: the blob's, or the submodule's commit.
    pub fn sha(&self) -> String {
        match self {
            Self::Submodule(commit) => commit.clone(),
            other => blob_sha(other.blob().unwrap_or_default()),
        }
    }
}

/// The entries of one commit, with git-compatible blob SHAs and a commit SHA derived from them.
#[derive(Debug, Clone)]
pub struct FakeCommit {
    /// The commit's SHA.
    pub sha: String,
    entries: BTreeMap<String, Entry>,
    /// Path → the entry's SHA, hashed once when the commit is built.
    shas: HashMap<String, String>,
    /// Blob SHA → the path of one entry holding it.
    blobs: HashMap<String, String>,
}

/// The git blob SHA-1 of `contents` (`blob <len>\0<contents>`).
pub fn blob_sha(contents: &[u8]) -> String {
    let mut hasher = sha1_smol::Sha1::new();
    hasher.update(format!("blob {}\0", contents.len()).as_bytes());
    hasher.update(contents);
    hasher.digest().to_string()
}

impl FakeCommit {
    /// A commit of regular `files`; `salt` distinguishes commits with the same files.
    pub fn new(files: BTreeMap<String, Vec<u8>>, salt: &str) -> Self {
        let entries =
            files.into_iter().map(|(path, bytes)| (path, Entry::File(bytes.into()))).collect();
        Self::of_entries(entries, salt)
    }

    /// A commit of `entries`; `salt` distinguishes commits with the same entries.
    pub fn of_entries(entries: BTreeMap<String, Entry>, salt: &str) -> Self {
        let mut hasher = sha1_smol::Sha1::new();
        hasher.update(salt.as_bytes());
        let (mut blobs, mut shas) = (HashMap::new(), HashMap::new());
        for (path, entry) in &entries {
            let sha = entry.sha();
            hasher.update(path.as_bytes());
            hasher.update(entry.mode().as_bytes());
            hasher.update(sha.as_bytes());
            if entry.blob().is_some() {
                blobs.entry(sha.clone()).or_insert_with(|| path.clone());
            }
            shas.insert(path.clone(), sha);
        }
        Self { sha: hasher.digest().to_string(), entries, shas, blobs }
    }

    /// Path → entry, in path order.
    pub fn entries(&self) -> &BTreeMap<String, Entry> {
        &self.entries
    }

    /// The SHA of the entry at `path` (hashed when the commit was built).
    pub fn sha_of(&self, path: &str) -> Option<&str> {
        self.shas.get(path).map(String::as_str)
    }

    /// The bytes of the blob `sha`, if an entry of this commit holds it.
    pub fn blob(&self, sha: &str) -> Option<&[u8]> {
        self.blobs.get(sha).and_then(|path| self.entries.get(path)).and_then(Entry::blob)
    }
}

/// A repository: its default branch and branches.
#[derive(Debug, Clone)]
pub struct FakeRepo {
    /// `owner/name`.
    pub full_name: String,
    /// The default branch's name.
    pub default_branch: String,
    /// Branch name → commit.
    pub branches: HashMap<String, FakeCommit>,
}

fn text_files(files: &[(&str, &str)]) -> BTreeMap<String, Vec<u8>> {
    files.iter().map(|(p, c)| ((*p).to_owned(), c.as_bytes().to_vec())).collect()
}

impl FakeRepo {
    /// A repository whose default branch `main` holds `files`.
    pub fn new(full_name: &str, files: &[(&str, &str)]) -> Self {
        Self::of_files(full_name, text_files(files))
    }

    /// A repository whose default branch `main` holds `files` (binary contents allowed).
    pub fn of_files(full_name: &str, files: BTreeMap<String, Vec<u8>>) -> Self {
        let entries =
            files.into_iter().map(|(path, bytes)| (path, Entry::File(bytes.into()))).collect();
        Self::of_entries(full_name, entries)
    }

    /// A repository whose default branch `main` holds `entries`.
    pub fn of_entries(full_name: &str, entries: BTreeMap<String, Entry>) -> Self {
        Self {
            full_name: full_name.to_owned(),
            default_branch: "main".to_owned(),
            branches: HashMap::from([(
                "main".to_owned(),
                FakeCommit::of_entries(entries, full_name),
            )]),
        }
    }

    /// Adds (or replaces) a branch holding `files`.
    pub fn with_branch(mut self, branch: &str, files: &[(&str, &str)]) -> Self {
        let commit = FakeCommit::new(text_files(files), &format!("{}@{branch}", self.full_name));
        self.branches.insert(branch.to_owned(), commit);
        self
    }

    /// The commit a branch points at (the default branch when `None`).
    pub fn commit(&self, branch: Option<&str>) -> Option<&FakeCommit> {
        self.branches.get(branch.unwrap_or(&self.default_branch))
    }

    /// A repository whose default branch `main` holds every entry under `dir`. Symbolic links
    /// become link entries holding their target's text and are never followed, so nothing
    /// outside `dir` is ever read; other special files (sockets, FIFOs) are skipped.
    pub fn from_dir(full_name: &str, dir: &Path) -> std::io::Result<Self> {
        let mut entries = BTreeMap::new();
        read_tree(dir, dir, &mut entries)?;
        Ok(Self::of_entries(full_name, entries))
    }
}

fn read_tree(root: &Path, dir: &Path, out: &mut BTreeMap<String, Entry>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        // `DirEntry::file_type` does not follow symbolic links.
        let kind = entry.file_type()?;
        let Ok(relative) = path.strip_prefix(root) else { continue };
        let relative = relative.to_string_lossy().replace('\\', "/");
        if kind.is_symlink() {
            let target = std::fs::read_link(&path)?;
            out.insert(relative, Entry::Symlink(target.to_string_lossy().into_owned()));
        } else if kind.is_dir() {
            read_tree(root, &path, out)?;
        } else if kind.is_file() {
            out.insert(relative, Entry::File(std::fs::read(&path)?.into()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_shas_match_git() {
        // `printf 'hello\n' | git hash-object --stdin`
        assert_eq!(blob_sha(b"hello\n"), "ce013625030ba8dba906f756967f9e9ca394464a");
    }

    #[test]
    fn branches_get_distinct_commits() {
        let repo = FakeRepo::new("a/b", &[("x", "1")]).with_branch("dev", &[("x", "1")]);
        assert_ne!(repo.commit(None).unwrap().sha, repo.commit(Some("dev")).unwrap().sha);
        assert_eq!(repo.commit(None).unwrap().sha.len(), 40);
    }

    #[test]
    fn blobs_are_found_by_sha_and_submodules_have_none() {
        let entries = BTreeMap::from([
            ("a.txt".to_owned(), Entry::File(b"hello\n".to_vec().into())),
            ("link".to_owned(), Entry::Symlink("../../etc/passwd".into())),
            ("lib".to_owned(), Entry::Submodule("ab".repeat(20))),
        ]);
        let commit = FakeCommit::of_entries(entries, "s");
        assert_eq!(commit.blob("ce013625030ba8dba906f756967f9e9ca394464a"), Some(&b"hello\n"[..]));
        assert_eq!(commit.blob(&blob_sha(b"../../etc/passwd")), Some(&b"../../etc/passwd"[..]));
        assert_eq!(commit.blob(&"ab".repeat(20)), None);
    }

    #[cfg(unix)]
    #[test]
    fn a_folder_fixture_records_symlinks_and_never_follows_them() {
        let outside = std::env::temp_dir().join(format!("whaleray-outside-{}", ulid::Ulid::new()));
        let fixture = std::env::temp_dir().join(format!("whaleray-fixture-{}", ulid::Ulid::new()));
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::create_dir_all(fixture.join("app")).unwrap();
        std::fs::write(outside.join("secret.txt"), "host secret").unwrap();
        std::fs::write(fixture.join("app/package.json"), "{}").unwrap();
        std::os::unix::fs::symlink(outside.join("secret.txt"), fixture.join("leak.txt")).unwrap();
        std::os::unix::fs::symlink(&outside, fixture.join("dist")).unwrap();

        let repo = FakeRepo::from_dir("a/b", &fixture).unwrap();
        let entries = repo.commit(None).unwrap().entries();
        std::fs::remove_dir_all(&fixture).unwrap();
        std::fs::remove_dir_all(&outside).unwrap();

        let target = outside.join("secret.txt").to_string_lossy().into_owned();
        assert_eq!(entries.get("leak.txt"), Some(&Entry::Symlink(target)));
        assert!(matches!(entries.get("dist"), Some(Entry::Symlink(_))));
        assert!(!entries.keys().any(|p| p.starts_with("dist/")), "{entries:?}");
        assert!(
            entries.values().all(|e| e.blob() != Some(&b"host secret"[..])),
            "a host file was read through a link"
        );
    }
}
