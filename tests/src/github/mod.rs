//! A GitHub-API-compatible server for tests and local runs.
//!
//! It serves what the worker uses (and, in `oauth.rs`, what the API's installation linking uses:
//! the OAuth code exchange and the user's installations): the App token exchange (verifying the App's RS256 JWT
//! against a public key, issuing installation tokens narrowed to the repositories asked for,
//! which expire), commit resolution, git trees (with directory SHAs, non-recursive listings and
//! optional truncation), blobs and the repository itself, for fixture repositories held in
//! memory or loaded from folders (symbolic links kept as links with mode `120000`, never
//! followed; submodules as `160000` entries). Repositories are shared, never copied per
//! request, and blobs are found by SHA in an index built with each commit. It counts requests per endpoint and can inject failures,
//! rate limits, delays and token expiry.
//!
//! A token request narrowed to a repository the fake does not serve is refused with 422, as
//! GitHub refuses one outside the installation, and [`FakeGitHub::can_clone`] answers what a
//! build's `git fetch` with a token would. Its fidelity limits: any installation id is
//! accepted unless [`FakeGitHub::uninstall`] was called, and every installation reads every
//! repository the fake serves.

mod auth;
mod faults;
pub mod keys;
mod oauth;
pub mod payloads;
mod repo;
mod routes;
mod server;
mod trees;

pub use faults::{Fault, Injection};
pub use oauth::{CODE_TTL, FakeInstallation, TEST_CLIENT_ID, TEST_CLIENT_SECRET, USER_TOKEN_TTL};
pub use repo::{Entry, FakeCommit, FakeRepo, blob_sha};
pub use server::{DEFAULT_TOKEN_TTL, FakeGitHub, FakeOptions};
pub use trees::tree_sha;
