//! Test support for the WhaleRay pipeline: a GitHub-API-compatible server fed from fixture
//! repositories, a CodeBuild-compatible server that behaves as the API reference documents,
//! and helpers that create uniquely named AWS resources in the local emulator.
//!
//! # What this crate may know
//!
//! - It may depend on every crate of the workspace and is depended on by none; it is built for
//!   tests and for the `hostile` bench binary only, never deployed.
//! - The fake servers take what the real services take and refuse what they refuse (limits,
//!   error shapes), so a test that passes against them says something about production. They
//!   bind to 127.0.0.1 on a port of the test's own.
//! - Every test creates its own uniquely named tables and queues, so tests run in parallel.

pub mod codebuild;
pub mod config;
pub mod emulator;
pub mod github;
pub mod hostile;

/// The folder holding this crate's fixtures.
pub fn fixtures_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}
