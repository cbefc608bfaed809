//! Reading repositories from GitHub as the WhaleRay GitHub App: the port the worker uses, and
//! its REST implementation.
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

use async_trait::async_trait;
use whaleray_shared::{CommitSha, GitRef, InstallationId, RepoFullName};

use crate::config::GitHubAuth;

/// What a tree entry is, from its git `mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// A regular or executable file (`100644`, `100755`): the only kind ever read.
    File,
    /// A symbolic link (`120000`): its blob is the target's path, never read as a file.
    Symlink,
    /// A submodule (`160000`, type `commit`): another repository, never read.
    Submodule,
}

impl EntryKind {
    /// The kind of an entry of git type `kind` and mode `mode`; `None` for a directory.
    pub fn of(kind: &str, mode: &str) -> Option<Self> {
        match (kind, mode) {
            ("commit", _) | (_, "160000") => Some(Self::Submodule),
            (_, "120000") => Some(Self::Symlink),
            ("blob", _) => Some(Self::File),
            _ => None,
        }
    }
}

/// One non-directory entry of a commit's tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeEntry {
    /// Path from the repository root, `/`-separated.
    pub path: String,
    /// The blob's SHA, used to fetch its contents (a submodule's commit SHA).
    pub sha: String,
    /// Size in bytes.
    pub size: u64,
    /// File, symbolic link or submodule.
    pub kind: EntryKind,
}

/// What the worker needs from GitHub, for one installation at a time.
#[async_trait]
pub trait RepoReader: Send + Sync {
    /// Resolves `branch` (the default branch when `None`) to the commit it points at now.
    async fn resolve_commit(
        &self,
        installation: InstallationId,
        repo: &RepoFullName,
        branch: Option<&GitRef>,
    ) -> Result<CommitSha, GitHubError>;

    /// Every file, symbolic link and submodule of the commit's tree; a tree GitHub truncates is completed by walking the
    /// directories detection can look into.
    async fn tree(
        &self,
        installation: InstallationId,
        repo: &RepoFullName,
        commit: &CommitSha,
    ) -> Result<Vec<TreeEntry>, GitHubError>;

    /// One blob's contents, cut after [`whaleray_detect::MAX_FILE_BYTES`] + 1 bytes.
    async fn blob(
        &self,
        installation: InstallationId,
        repo: &RepoFullName,
        blob_sha: &str,
    ) -> Result<Vec<u8>, GitHubError>;
}

/// The production client from the configuration: App auth with the key from PEM text or
/// Secrets Manager (read here, once), or the local-only fixed token.
pub async fn connect(
    api_url: &str,
    auth: &GitHubAuth,
    sdk: &aws_config::SdkConfig,
) -> Result<GitHubClient, SetupError> {
    let credentials = match auth {
        GitHubAuth::App { app_id, private_key } => {
            Credentials::App(key::load_app_credentials(*app_id, private_key, sdk).await?)
        }
        GitHubAuth::Token(token) => Credentials::Token(token.clone()),
    };
    GitHubClient::new(api_url, credentials)
}
