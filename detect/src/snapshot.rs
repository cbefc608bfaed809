//! The repository as detection sees it: every path, plus the file contents loaded so far.
//!
//! Paths are normalised on the way in so that rules never see `..`, absolute paths or empty
//! segments; a path that cannot be normalised safely is dropped.

use std::collections::{BTreeMap, BTreeSet};

use crate::limits::{MAX_PATH_BYTES, MAX_PATH_DEPTH, MAX_PATHS};

/// Files larger than this are never read; the caller answers [`FileContent::TooLarge`].
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// What the caller knows about one file's contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileContent {
    /// The file's bytes (at most [`MAX_FILE_BYTES`]; longer content is treated as too large).
    Bytes(Vec<u8>),
    /// The file does not exist after all (deleted, a symlink, a submodule).
    Absent,
    /// The file is larger than [`MAX_FILE_BYTES`] and was not read.
    TooLarge,
}

/// The repository as detection sees it: every file path ('/'-separated, relative, no leading
/// `./`), plus the contents loaded so far.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    paths: BTreeSet<String>,
    dirs: BTreeSet<String>,
    contents: BTreeMap<String, FileContent>,
}

impl Snapshot {
    /// Builds a snapshot from file paths, normalising `./`, `\` and `.` segments and dropping
    /// paths that are empty, absolute or climb out of the repository with `..`, paths over
    /// [`MAX_PATH_BYTES`] or [`MAX_PATH_DEPTH`] segments, and every path after the first
    /// [`MAX_PATHS`] kept.
    pub fn new<I: IntoIterator<Item = String>>(paths: I) -> Self {
        let mut snapshot = Self::default();
        for raw in paths {
            if snapshot.paths.len() >= MAX_PATHS {
                break;
            }
            if raw.len() > MAX_PATH_BYTES {
                continue;
            }
            if let Some(path) =
                normalize_path(&raw).filter(|p| p.split('/').count() <= MAX_PATH_DEPTH)
            {
                snapshot.add_dirs(&path);
                snapshot.paths.insert(path);
            }
        }
        snapshot
    }

    /// Records what is known about one file's contents; a path not in the snapshot is ignored.
    /// Bytes longer than [`MAX_FILE_BYTES`] are stored as [`FileContent::TooLarge`].
    pub fn insert_file(&mut self, path: &str, content: FileContent) {
        let Some(path) = normalize_path(path) else {
            return;
        };
        if !self.paths.contains(&path) {
            return;
        }
        let content = match content {
            FileContent::Bytes(bytes) if bytes.len() as u64 > MAX_FILE_BYTES => {
                FileContent::TooLarge
            }
            other => other,
        };
        self.contents.insert(path, content);
    }

    /// Every file path, in sorted order.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.paths.iter().map(String::as_str)
    }

    /// Whether `path` is a file of the repository.
    pub fn contains(&self, path: &str) -> bool {
        self.paths.contains(path)
    }

    /// Whether `dir` is a directory holding at least one file (`"."` is the root).
    pub fn contains_dir(&self, dir: &str) -> bool {
        dir == "." || dir.is_empty() || self.dirs.contains(dir)
    }

    /// Every directory holding at least one file, in sorted order (the root excluded).
    pub(crate) fn dirs(&self) -> impl Iterator<Item = &str> {
        self.dirs.iter().map(String::as_str)
    }

    /// What has been loaded for `path`, if anything.
    pub fn content(&self, path: &str) -> Option<&FileContent> {
        self.contents.get(path)
    }

    /// The files directly in `dir` (`"."` for the root), as full paths, in sorted order.
    /// Subdirectories are skipped by seeking past them, so the cost grows with the number of
    /// direct entries, not with the size of the whole subtree.
    pub(crate) fn files_in(&self, dir: &str) -> Vec<&str> {
        let prefix = if dir == "." || dir.is_empty() { String::new() } else { format!("{dir}/") };
        let mut out = Vec::new();
        let mut cursor = prefix.clone();
        loop {
            let next = self
                .paths
                .range::<str, _>((
                    std::ops::Bound::Included(cursor.as_str()),
                    std::ops::Bound::Unbounded,
                ))
                .next();
            let Some(path) = next.filter(|p| p.starts_with(prefix.as_str())) else {
                break;
            };
            let rest = &path[prefix.len()..];
            match rest.find('/') {
                // '0' sorts right after '/', so this seeks past the whole subdirectory.
                Some(i) => cursor = format!("{prefix}{}0", &rest[..i]),
                // Paths never contain NUL, so this is the smallest string after `path`.
                None => {
                    out.push(path.as_str());
                    cursor = format!("{path}\0");
                }
            }
        }
        out
    }

    fn add_dirs(&mut self, path: &str) {
        let mut end = 0;
        while let Some(offset) = path[end..].find('/') {
            end += offset;
            self.dirs.insert(path[..end].to_owned());
            end += 1;
        }
    }
}

/// Normalises a repository-relative path, or returns `None` when it is unsafe or empty.
pub(crate) fn normalize_path(raw: &str) -> Option<String> {
    let unified = raw.replace('\\', "/");
    if unified.starts_with('/') || unified.contains('\0') {
        return None;
    }
    let mut parts: Vec<&str> = Vec::new();
    for segment in unified.split('/') {
        match segment {
            "" | "." => continue,
            ".." => return None,
            s if s.len() >= 2 && s.as_bytes()[1] == b':' && parts.is_empty() => return None,
            s => parts.push(s),
        }
    }
    if parts.is_empty() { None } else { Some(parts.join("/")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_drops_parent_segments_absolute_and_empty_paths() {
        let s = Snapshot::new(
            ["../x", "/etc/passwd", "", "a/../b", "./a//b.txt", "C:/win", "ok"].map(String::from),
        );
        assert_eq!(s.paths().collect::<Vec<_>>(), vec!["a/b.txt", "ok"]);
    }

    #[test]
    fn new_drops_too_deep_and_too_long_paths() {
        let deep = format!("{}f", "d/".repeat(MAX_PATH_DEPTH));
        let just = format!("{}f", "d/".repeat(MAX_PATH_DEPTH - 1));
        let long = "x".repeat(MAX_PATH_BYTES + 1);
        let s = Snapshot::new([deep, just.clone(), long]);
        assert_eq!(s.paths().collect::<Vec<_>>(), vec![just.as_str()]);
    }

    #[test]
    fn new_keeps_at_most_max_paths() {
        let s = Snapshot::new((0..MAX_PATHS + 10).map(|i| format!("f{i}")));
        assert_eq!(s.paths().count(), MAX_PATHS);
    }

    #[test]
    fn insert_file_turns_oversized_bytes_into_too_large() {
        let mut s = Snapshot::new(["big".to_owned()]);
        let len = usize::try_from(MAX_FILE_BYTES).unwrap() + 1;
        s.insert_file("big", FileContent::Bytes(vec![b' '; len]));
        assert_eq!(s.content("big"), Some(&FileContent::TooLarge));
    }

    #[test]
    fn insert_file_ignores_unknown_paths() {
        let mut s = Snapshot::new(["a".to_owned()]);
        s.insert_file("b", FileContent::Absent);
        assert_eq!(s.content("b"), None);
    }

    #[test]
    fn files_in_lists_direct_children_only() {
        let s = Snapshot::new(
            ["a.csproj", "a/b.csproj", "a/c/d.txt", "a-b/x", "b.txt", "z/y"].map(String::from),
        );
        assert_eq!(s.files_in("."), vec!["a.csproj", "b.txt"]);
        assert_eq!(s.files_in("a"), vec!["a/b.csproj"]);
        assert!(s.files_in("nope").is_empty());
    }

    #[test]
    fn contains_dir_knows_every_parent_directory() {
        let s = Snapshot::new(["a/b/z".to_owned()]);
        assert!(s.contains_dir("a") && s.contains_dir("a/b") && s.contains_dir("."));
        assert!(!s.contains_dir("a/b/z"));
    }
}
