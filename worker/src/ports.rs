//! The worker's ports: what processing needs from GitHub and from the build service, as small
//! async traits. Adapters live beside their service (`github/`, `codebuild.rs`); the in-memory
//! fakes live with the tests; `wiring.rs` alone chooses the production adapters.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use whaleray_shared::error::AwsError;
use whaleray_shared::{
    BuildPlan, CommitSha, DeploymentId, ErrorClass, GitRef, InstallationId, RepoFullName,
};

use crate::github::GitHubError;

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

/// Everything a build needs. The commit SHA, never the branch name, says what to build.
#[derive(Debug, Clone)]
pub struct BuildRequest<'a> {
    /// The deployment, also the idempotency token: two starts for one deployment give one build.
    pub deployment_id: DeploymentId,
    /// The repository to clone.
    pub repository: &'a RepoFullName,
    /// The exact commit to build.
    pub commit: &'a CommitSha,
    /// The build plan.
    pub plan: &'a BuildPlan,
}

/// A failure to start a build.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The AWS call failed.
    #[error(transparent)]
    Aws(#[from] AwsError),
    /// CodeBuild answered without a build id.
    #[error("CodeBuild started no build (no build id in its answer)")]
    NoBuildId,
}

impl BuildError {
    /// Retryable for AWS outages and throttling; permanent otherwise.
    pub fn class(&self) -> ErrorClass {
        match self {
            Self::Aws(e) => e.class,
            Self::NoBuildId => ErrorClass::Retryable,
        }
    }
}

/// Starts builds.
#[async_trait]
pub trait BuildLauncher: Send + Sync {
    /// Starts one build and returns its id.
    async fn start(&self, request: &BuildRequest<'_>) -> Result<String, BuildError>;

    /// The build already started for `deployment` at or after `since`, if any: used when an
    /// earlier claim existed, whose holder may have started a build and died, or whose
    /// StartBuild went unanswered.
    async fn find_started(
        &self,
        deployment: DeploymentId,
        since: DateTime<Utc>,
    ) -> Result<Option<String>, BuildError>;
}
