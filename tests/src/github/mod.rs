//! A GitHub-API-compatible server for tests and local runs.
//!
//! It serves the endpoints the worker uses (commit resolution, recursive trees, blobs, the
//! repository itself) for fixture repositories held in memory or loaded from folders, checks
//! the bearer token, counts requests per endpoint, and can inject failures.

mod repo;
mod server;

pub use repo::{FakeCommit, FakeRepo};
pub use server::{FakeGitHub, Fault};
