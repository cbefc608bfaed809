//! Reading repositories from GitHub as the WhaleRay GitHub App: the REST implementation of
//! the worker's [`RepoReader`] port (defined in [`crate::ports`]).
//!
//! - [`app`]: the App's id and private key, and the RS256 JWT for the token exchange;
//! - [`key`]: loading that key at start-up, from PEM text or Secrets Manager;
//! - `tokens`: installation tokens cached per installation and repository until shortly
//!   before they expire;
//! - `client`: the REST calls (commit, recursive tree, blobs) and the token exchange;
//! - `tree`: completing a truncated tree by walking directories;
//! - `classify`: GitHub's error answers as [`GitHubError`]s, permanent or retryable.
//!
//! No token, JWT or key is ever logged, put in an error, or stored: they are
//! [`secrecy::SecretString`]s from the moment they exist.

pub mod app;
mod classify;
mod client;
mod error;
pub mod key;
mod tokens;
mod tree;

pub use app::AppCredentials;
pub use client::{Credentials, GitHubClient, Timeouts};
pub use error::{GitHubError, SetupError};
pub use tokens::REFRESH_MARGIN;
pub use tree::{MAX_WALK_CALLS, MAX_WALK_DEPTH};

pub use crate::ports::{EntryKind, RepoReader, TreeEntry};
