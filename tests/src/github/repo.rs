//! Fixture repositories: branches pointing at commits, each a set of files, hashed as git does.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// The files of one commit, with git-compatible blob SHAs and a commit SHA derived from them.
#[derive(Debug, Clone)]
pub struct FakeCommit {
    /// The commit's SHA.
    pub sha: String,
    /// Path → contents.
    pub files: BTreeMap<String, Vec<u8>>,
}

/// The git blob SHA-1 of `contents` (`blob <len>\0<contents>`).
pub fn blob_sha(contents: &[u8]) -> String {
    let mut hasher = sha1_smol::Sha1::new();
    hasher.update(format!("blob {}\0", contents.len()).as_bytes());
    hasher.update(contents);
    hasher.digest().to_string()
}

impl FakeCommit {
    /// A commit of `files`; `salt` distinguishes commits with the same files.
    pub fn new(files: BTreeMap<String, Vec<u8>>, salt: &str) -> Self {
        let mut hasher = sha1_smol::Sha1::new();
        hasher.update(salt.as_bytes());
        for (path, contents) in &files {
            hasher.update(path.as_bytes());
            hasher.update(blob_sha(contents).as_bytes());
        }
        Self { sha: hasher.digest().to_string(), files }
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

impl FakeRepo {
    /// A repository whose default branch `main` holds `files`.
    pub fn new(full_name: &str, files: &[(&str, &str)]) -> Self {
        let files = files.iter().map(|(p, c)| ((*p).to_owned(), c.as_bytes().to_vec())).collect();
        Self {
            full_name: full_name.to_owned(),
            default_branch: "main".to_owned(),
            branches: HashMap::from([("main".to_owned(), FakeCommit::new(files, full_name))]),
        }
    }

    /// Adds (or replaces) a branch holding `files`.
    pub fn with_branch(mut self, branch: &str, files: &[(&str, &str)]) -> Self {
        let files = files.iter().map(|(p, c)| ((*p).to_owned(), c.as_bytes().to_vec())).collect();
        let commit = FakeCommit::new(files, &format!("{}@{branch}", self.full_name));
        self.branches.insert(branch.to_owned(), commit);
        self
    }

    /// The commit a branch points at (the default branch when `None`).
    pub fn commit(&self, branch: Option<&str>) -> Option<&FakeCommit> {
        self.branches.get(branch.unwrap_or(&self.default_branch))
    }

    /// A repository whose default branch `main` holds every file under `dir`.
    pub fn from_dir(full_name: &str, dir: &Path) -> std::io::Result<Self> {
        let mut files = BTreeMap::new();
        read_tree(dir, dir, &mut files)?;
        Ok(Self {
            full_name: full_name.to_owned(),
            default_branch: "main".to_owned(),
            branches: HashMap::from([("main".to_owned(), FakeCommit::new(files, full_name))]),
        })
    }
}

fn read_tree(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            read_tree(root, &path, out)?;
        } else if let Ok(relative) = path.strip_prefix(root) {
            out.insert(relative.to_string_lossy().replace('\\', "/"), std::fs::read(&path)?);
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
}
