//! Reading repositories from GitHub: the port the worker uses, and its REST implementation.

mod client;
mod error;

pub use client::GitHubClient;
pub use error::GitHubError;

use async_trait::async_trait;
use whaleray_shared::{CommitSha, GitRef, InstallationId, RepoFullName};

/// One file of a commit's tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeEntry {
    /// Path from the repository root, `/`-separated.
    pub path: String,
    /// The blob's SHA, used to fetch its contents.
    pub sha: String,
    /// Size in bytes.
    pub size: u64,
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

    /// Every file of the commit's tree.
    async fn tree(
        &self,
        installation: InstallationId,
        repo: &RepoFullName,
        commit: &CommitSha,
    ) -> Result<Vec<TreeEntry>, GitHubError>;

    /// One blob's contents.
    async fn blob(
        &self,
        installation: InstallationId,
        repo: &RepoFullName,
        blob_sha: &str,
    ) -> Result<Vec<u8>, GitHubError>;
}
