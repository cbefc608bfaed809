//! Prints the detection for a local directory as JSON, plus the number of files read:
//! `cargo run -p whaleray-detect --example detect_dir -- <DIR> [ROOT_DIRECTORY]`.

#![allow(clippy::print_stdout)]

use std::path::Path;
use std::{env, fs, io};

use whaleray_detect::{FileContent, MAX_FILE_BYTES, Options, Snapshot, detect_with};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = env::args().skip(1);
    let dir = args.next().ok_or("usage: detect_dir <DIR> [ROOT_DIRECTORY]")?;
    let root = Path::new(&dir);
    let mut paths = Vec::new();
    walk(root, root, &mut paths)?;
    let mut snapshot = Snapshot::new(paths);
    let options = Options { root_directory: args.next() };
    let mut reads = Vec::new();
    let mut rounds = 0;
    while let whaleray_detect::Step::Need(paths) = whaleray_detect::detect(&snapshot, &options) {
        rounds += 1;
        for path in paths {
            let content = read(root, &path)?;
            reads.push(path.clone());
            snapshot.insert_file(&path, content);
        }
        if rounds > whaleray_detect::MAX_ROUNDS {
            return Err("detection did not settle".into());
        }
    }
    // Everything is loaded now; `detect_with` returns at once (it also validates the root).
    let detection = detect_with(&mut snapshot, &options, |path| read(root, path))?;
    println!("{}", serde_json::to_string_pretty(&detection)?);
    println!("read {} file(s) in {rounds} round(s): {}", reads.len(), reads.join(", "));
    Ok(())
}

fn read(root: &Path, path: &str) -> io::Result<FileContent> {
    let full = root.join(path);
    match fs::metadata(&full) {
        Ok(meta) if meta.len() > MAX_FILE_BYTES => Ok(FileContent::TooLarge),
        Ok(_) => fs::read(&full).map(FileContent::Bytes),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(FileContent::Absent),
        Err(e) => Err(e),
    }
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            walk(root, &path, out)?;
        } else if let Ok(rel) = path.strip_prefix(root) {
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    Ok(())
}
