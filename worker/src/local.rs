//! Detection of a folder on disk, for `whaleray-worker detect <DIR>`.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use whaleray_detect::{DetectError, Detection, FileContent, MAX_FILE_BYTES, Options, Snapshot};

/// Folders never listed: version control and installed dependencies.
const SKIPPED_DIRS: &[&str] = &[".git", "node_modules", "target", ".venv", "vendor"];
/// The most files listed from one folder tree.
const MAX_FILES: usize = 100_000;

/// Why a local folder could not be inspected.
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    /// The path does not exist or is not a folder.
    #[error("{0} is not a readable directory")]
    NotADirectory(PathBuf),
    /// Listing or reading failed.
    #[error("could not read {path}")]
    Io {
        /// The path that failed.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// Detection stopped with an error.
    #[error("detection failed: {0}")]
    Detect(String),
}

/// Detects the framework and build plan of the folder at `root`.
pub fn detect_dir(root: &Path, options: &Options) -> Result<Detection, LocalError> {
    if !root.is_dir() {
        return Err(LocalError::NotADirectory(root.to_path_buf()));
    }
    let mut paths = Vec::new();
    list(root, root, &mut paths)?;
    let mut snapshot = Snapshot::new(paths);
    whaleray_detect::detect_with(&mut snapshot, options, |path| read(&root.join(path))).map_err(
        |e| match e {
            DetectError::Read { path, source } => LocalError::Io { path: root.join(path), source },
            other => LocalError::Detect(other.to_string()),
        },
    )
}

/// One line for people: the chosen root directory and what is there, or the candidates when
/// the repository holds several apps and a root directory must be chosen.
pub fn summary(d: &Detection) -> String {
    let pm = d.package_manager.as_deref().map(|pm| format!(", package manager {pm}"));
    let pm = pm.unwrap_or_default();
    if !d.candidates.is_empty() {
        return format!(
            "several apps, choose one with --root-directory: {}{pm}",
            d.candidates.join(", ")
        );
    }
    let what = d.framework.as_deref().unwrap_or("no framework recognised");
    format!("root directory {}: {what}{pm}", d.root_directory)
}

fn read(path: &Path) -> Result<FileContent, io::Error> {
    match fs::metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(FileContent::Absent),
        Err(e) => Err(e),
        Ok(meta) if meta.len() > MAX_FILE_BYTES => Ok(FileContent::TooLarge),
        Ok(_) => fs::read(path).map(FileContent::Bytes),
    }
}

fn list(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<(), LocalError> {
    let io = |source| LocalError::Io { path: dir.to_path_buf(), source };
    let mut entries = fs::read_dir(dir).map_err(io)?.collect::<Result<Vec<_>, _>>().map_err(io)?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        if out.len() >= MAX_FILES {
            return Ok(());
        }
        let kind = entry.file_type().map_err(io)?;
        let path = entry.path();
        if kind.is_dir() {
            if !SKIPPED_DIRS.iter().any(|skip| entry.file_name() == *skip) {
                list(root, &path, out)?;
            }
        } else if kind.is_file()
            && let Ok(relative) = path.strip_prefix(root)
        {
            out.push(relative.to_string_lossy().replace('\\', "/"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_names_the_root_directory_or_the_candidates() {
        let mut d = Detection::empty("apps/web");
        d.framework = Some("nextjs".to_owned());
        d.package_manager = Some("pnpm".to_owned());
        assert_eq!(summary(&d), "root directory apps/web: nextjs, package manager pnpm");
        let mut several = Detection::empty(".");
        several.candidates = vec!["api".to_owned(), "worker".to_owned()];
        assert_eq!(
            summary(&several),
            "several apps, choose one with --root-directory: api, worker"
        );
        assert_eq!(summary(&Detection::empty(".")), "root directory .: no framework recognised");
    }

    #[test]
    fn a_missing_folder_is_a_typed_error() {
        let err = detect_dir(Path::new("/definitely/not/here"), &Options::default()).unwrap_err();
        assert!(matches!(err, LocalError::NotADirectory(_)));
    }
}
