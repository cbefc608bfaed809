//! Test support for the WhaleRay pipeline: a GitHub-API-compatible server fed from fixture
//! repositories, a CodeBuild-compatible server that behaves as the API reference documents,
//! and helpers that create uniquely named AWS resources in the local emulator.

pub mod codebuild;
pub mod config;
pub mod emulator;
pub mod github;
pub mod hostile;

/// The folder holding this crate's fixtures.
pub fn fixtures_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}
