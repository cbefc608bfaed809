//! Loading labelled detection cases (`<case>/tree/` + `expected.json`) from disk, shared by the
//! corpus test and the benchmark.

#![allow(dead_code)]

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde_json::Value;
use whaleray_detect::{
    Detection, FileContent, MAX_FILE_BYTES, MAX_ROUNDS, MAX_STEPS, Options, Snapshot, Step,
    detect_metered, detect_with,
};

/// One labelled case.
pub struct Case {
    /// Folder name.
    pub name: String,
    /// Every file under `tree/`, as (relative path, bytes).
    pub files: Vec<(String, Vec<u8>)>,
    /// The parsed `expected.json`.
    pub expected: Value,
}

impl Case {
    /// The options the case asks for (`options.rootDirectory` in synthetic cases).
    pub fn options(&self) -> Options {
        Options {
            root_directory: self.expected["options"]["rootDirectory"].as_str().map(str::to_owned),
        }
    }

    /// A snapshot listing every path, nothing loaded.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot::new(self.files.iter().map(|(p, _)| p.clone()))
    }

    /// Runs detection, reading from the in-memory files; returns the verdict and the number of
    /// files read.
    pub fn run(&self) -> (Detection, usize) {
        let mut snapshot = self.snapshot();
        let mut reads = 0;
        let detection = detect_with(&mut snapshot, &self.options(), |path| {
            reads += 1;
            Ok::<_, std::convert::Infallible>(self.content(path))
        })
        .unwrap_or_else(|e| panic!("{}: {e}", self.name));
        (detection, reads)
    }

    /// Runs detection pass by pass under `max_steps`; returns the verdict, the files read and
    /// the most steps any pass used.
    pub fn run_metered(&self, max_steps: u64) -> (Detection, usize, u64) {
        let files: Vec<(&str, &[u8])> =
            self.files.iter().map(|(p, b)| (p.as_str(), b.as_slice())).collect();
        metered(&files, &self.options(), max_steps)
    }

    /// The content a reader would answer for `path`.
    pub fn content(&self, path: &str) -> FileContent {
        match self.files.iter().find(|(p, _)| p == path) {
            Some((_, bytes)) if bytes.len() as u64 > MAX_FILE_BYTES => FileContent::TooLarge,
            Some((_, bytes)) => FileContent::Bytes(bytes.clone()),
            None => FileContent::Absent,
        }
    }
}

/// The public corpus folder, kept in this crate (`tests/corpus`, provenance in its
/// `PROVENANCE.md`).
pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

/// The crate's own synthetic cases.
pub fn synthetic_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases")
}

/// Every case under `dir`, sorted by name.
pub fn load_cases(dir: &Path) -> io::Result<Vec<Case>> {
    let mut cases = Vec::new();
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        let expected_path = path.join("expected.json");
        if !expected_path.is_file() {
            continue;
        }
        let expected: Value = serde_json::from_slice(&fs::read(&expected_path)?)
            .map_err(|e| io::Error::other(format!("{}: {e}", expected_path.display())))?;
        let tree = path.join("tree");
        let mut files = Vec::new();
        if tree.is_dir() {
            walk(&tree, &tree, &mut files)?;
        }
        files.sort();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        cases.push(Case { name, files, expected });
    }
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(cases)
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let path = entry.path();
        if kind.is_dir() {
            walk(root, &path, out)?;
        } else if kind.is_file() {
            let rel = path.strip_prefix(root).map_err(io::Error::other)?;
            let rel = rel.to_string_lossy().replace('\\', "/");
            out.push((rel, fs::read(&path)?));
        }
    }
    Ok(())
}

/// Runs detection over an in-memory repository of (path, contents) pairs.
pub fn detect_files(files: &[(&str, &str)]) -> Detection {
    let mut snapshot = Snapshot::new(files.iter().map(|(p, _)| (*p).to_owned()));
    let result = detect_with(&mut snapshot, &Options::default(), |path| {
        Ok::<_, std::convert::Infallible>(match files.iter().find(|(p, _)| *p == path) {
            Some((_, body)) => FileContent::Bytes(body.as_bytes().to_vec()),
            None => FileContent::Absent,
        })
    });
    match result {
        Ok(d) => d,
        Err(e) => panic!("detection failed: {e}"),
    }
}

/// Drives [`detect_metered`] over in-memory files (bytes over [`MAX_FILE_BYTES`] are answered
/// `TooLarge`); returns the verdict, the files read and the most steps any pass used. Panics
/// when detection does not settle within [`MAX_ROUNDS`] passes.
pub fn metered(
    files: &[(&str, &[u8])],
    options: &Options,
    max_steps: u64,
) -> (Detection, usize, u64) {
    let mut snapshot = Snapshot::new(files.iter().map(|(p, _)| (*p).to_owned()));
    let mut reads = 0;
    let mut most = 0;
    for _ in 0..MAX_ROUNDS {
        let pass = detect_metered(&snapshot, options, max_steps);
        most = most.max(pass.steps);
        match pass.step {
            Step::Done(d) => return (d, reads, most),
            Step::Need(paths) => {
                for path in paths {
                    reads += 1;
                    let content = match files.iter().find(|(p, _)| *p == path) {
                        Some((_, b)) if b.len() as u64 > MAX_FILE_BYTES => FileContent::TooLarge,
                        Some((_, b)) => FileContent::Bytes(b.to_vec()),
                        None => FileContent::Absent,
                    };
                    snapshot.insert_file(&path, content);
                }
            }
        }
    }
    panic!("detection did not settle in {MAX_ROUNDS} passes")
}

/// [`metered`] under the default budget [`MAX_STEPS`], for text files.
pub fn metered_text(files: &[(String, String)]) -> (Detection, usize, u64) {
    let files: Vec<(&str, &[u8])> = files.iter().map(|(p, b)| (p.as_str(), b.as_bytes())).collect();
    metered(&files, &Options::default(), MAX_STEPS)
}
