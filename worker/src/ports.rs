//! The worker's ports: what processing needs from GitHub, the build service and the queues
//! (the consumer side: receive, delete, change visibility), as small async traits. Adapters
//! live beside their service (`github/`, `codebuild.rs`, `queue/`); the in-memory fakes live
//! with the tests, except the queue's, which `queue::memory` provides for every crate's tests;
//! `wiring.rs` alone chooses the production adapters.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use secrecy::SecretString;
use whaleray_shared::error::AwsError;
use whaleray_shared::{
    BuildLogs, BuildOutcome, BuildPlan, BuildState, CommitSha, DeploymentId, ErrorClass, GitRef,
    InstallationId, RepoFullName,
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
    /// The name of the SSM parameter holding the build's clone token ([`BuildCredentials`]):
    /// the build reads it as a `PARAMETER_STORE` variable, so only the name is in the request.
    /// It is the same name for every attempt of a deployment, so the parameters sent under
    /// the idempotency token stay identical.
    pub token_parameter: &'a str,
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
    /// GitHub did not mint the build's clone token.
    #[error("could not mint the build's clone token: {0}")]
    Token(#[from] GitHubError),
}

impl BuildError {
    /// Retryable for AWS outages and throttling; permanent otherwise.
    pub fn class(&self) -> ErrorClass {
        match self {
            Self::Aws(e) => e.class,
            Self::NoBuildId => ErrorClass::Retryable,
            Self::Token(e) => e.class(),
        }
    }
}

/// An installation token minted for one build.
pub struct BuildToken {
    /// The token; never logged, never in an error.
    pub token: SecretString,
    /// When GitHub says it expires (`None` for a fixed local token).
    pub expires_at: Option<DateTime<Utc>>,
}

/// Mints clone tokens for builds.
#[async_trait]
pub trait TokenMinter: Send + Sync {
    /// A new installation token (never a cached one, which could lapse while the build is
    /// queued) that reads `repo` alone, with `contents: read`.
    async fn mint_build_token(
        &self,
        installation: InstallationId,
        repo: &RepoFullName,
    ) -> Result<BuildToken, GitHubError>;
}

/// Removes a build's clone credential: the half of [`BuildCredentials`] that needs no GitHub,
/// so the operator's sweep can release credentials without App keys.
#[async_trait]
pub trait ReleaseCredentials: Send + Sync {
    /// Removes the deployment's credential; a credential already gone is no error, so a second
    /// release (a duplicate event, the sweep after an event) is harmless. Called when the
    /// build ends, and when a deployment that may hold one settles without a build.
    async fn release(&self, deployment: DeploymentId) -> Result<(), BuildError>;
}

/// The per-build clone credential: a token minted right before StartBuild, kept where only
/// the build can read it under a name derived from the deployment, and removed
/// ([`ReleaseCredentials::release`]) when the build ends.
#[async_trait]
pub trait BuildCredentials: ReleaseCredentials {
    /// Mints a token for `repository` and stores it (replacing an earlier attempt's) under the
    /// deployment's parameter name, which it returns.
    async fn issue(
        &self,
        deployment: DeploymentId,
        installation: InstallationId,
        repository: &RepoFullName,
    ) -> Result<String, BuildError>;
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

    /// Stops build `build_id` (a deployment canceled while its build was being started). A
    /// build that already ended, or that CodeBuild does not know, is no error: nothing runs.
    async fn stop(&self, build_id: &str) -> Result<(), BuildError>;
}

/// The most messages one SQS receive returns.
pub const MAX_RECEIVE_MESSAGES: usize = 10;
/// The longest long-poll wait SQS accepts.
pub const MAX_RECEIVE_WAIT: std::time::Duration = std::time::Duration::from_secs(20);
/// The longest visibility timeout SQS accepts, counted from the receive (12 hours).
pub const MAX_VISIBILITY: std::time::Duration = std::time::Duration::from_secs(43_200);

/// One message as a receive delivered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMessage {
    /// The queue's id of the message, the same on every delivery.
    pub id: String,
    /// The handle of this delivery: the only way to delete the message or change its
    /// visibility, valid until the message is received again.
    pub receipt: String,
    /// The body, exactly as it was sent.
    pub body: String,
    /// How many times the queue has delivered the message, this delivery included.
    pub receive_count: u32,
    /// When the message was first sent, if the queue said.
    pub sent_at: Option<DateTime<Utc>>,
}

/// What one receive asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Receive {
    /// At most this many messages (1 to [`MAX_RECEIVE_MESSAGES`]).
    pub max: usize,
    /// How long to wait for a first message when none is visible (0 to [`MAX_RECEIVE_WAIT`]).
    pub wait: std::time::Duration,
    /// How long the received messages stay invisible to other consumers (whole seconds, up to
    /// [`MAX_VISIBILITY`]).
    pub visibility: std::time::Duration,
}

/// A failure of a queue-consumer call.
#[derive(Debug, thiserror::Error)]
pub enum ConsumeError {
    /// The receipt handle is not one the queue issued (or is malformed).
    #[error("the receipt handle is not valid for this queue")]
    ReceiptInvalid,
    /// The message is not in flight: its visibility timeout ended, it was received again or
    /// it was deleted, so its visibility cannot be changed through this handle.
    #[error("the message is not in flight (its visibility timeout ended or it was deleted)")]
    NotInFlight,
    /// A parameter is outside what the queue accepts.
    #[error("invalid queue request: {0}")]
    Invalid(String),
    /// The body exceeds the queue's maximum message size.
    #[error("the message body is {size} bytes, more than the queue's maximum of {max}")]
    TooLarge {
        /// The body's size in bytes.
        size: usize,
        /// The queue's limit in bytes.
        max: usize,
    },
    /// The AWS call itself failed.
    #[error(transparent)]
    Aws(#[from] AwsError),
}

impl ConsumeError {
    /// Retryable for AWS outages and throttling; permanent otherwise.
    pub fn class(&self) -> ErrorClass {
        match self {
            Self::Aws(e) => e.class,
            Self::ReceiptInvalid | Self::NotInFlight | Self::Invalid(_) | Self::TooLarge { .. } => {
                ErrorClass::Permanent
            }
        }
    }
}

/// The consumer side of one queue (SQS semantics: at-least-once delivery, receipt handles per
/// delivery, visibility timeouts), plus sending a raw body to it for replay.
#[async_trait]
pub trait QueueConsumer: Send + Sync {
    /// Receives up to `request.max` messages, waiting up to `request.wait` for the first one;
    /// each is hidden from other receives for `request.visibility`.
    async fn receive(&self, request: Receive) -> Result<Vec<ReceivedMessage>, ConsumeError>;

    /// Deletes the message received with `receipt`. A handle of an earlier delivery is
    /// accepted but may leave the message in place, as SQS does.
    async fn delete(&self, receipt: &str) -> Result<(), ConsumeError>;

    /// Hides the in-flight message received with `receipt` for `timeout` from now (0 makes it
    /// visible at once). Fails once the message is no longer in flight.
    async fn change_visibility(
        &self,
        receipt: &str,
        timeout: std::time::Duration,
    ) -> Result<(), ConsumeError>;

    /// Sends `body` unchanged and returns the new message's id.
    async fn send(&self, body: &str) -> Result<String, ConsumeError>;
}

/// One build as CodeBuild reports it, from `BatchGetBuilds` or a "CodeBuild Build State
/// Change" event.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildReport {
    /// The build id (`project:uuid`), never the ARN.
    pub build_id: String,
    /// The deployment named by the build's `WHALERAY_DEPLOYMENT_ID` variable, if it has a
    /// readable one.
    pub deployment: Option<DeploymentId>,
    /// The build's status.
    pub state: BuildState,
    /// The first phase that did not succeed, if any.
    pub failed_phase: Option<String>,
    /// That phase's context message, as CodeBuild gives it.
    pub phase_message: Option<String>,
    /// The build's logs.
    pub logs: Option<BuildLogs>,
}

impl BuildReport {
    /// What a deployment keeps of the build's end.
    pub fn outcome(&self) -> BuildOutcome {
        BuildOutcome {
            state: self.state,
            failed_phase: self.failed_phase.clone(),
            logs: self.logs.clone(),
        }
    }
}

/// The build id inside a build ARN (`arn:aws:codebuild:<region>:<account>:build/<id>`), or
/// the value itself when it is already an id.
pub fn build_id_of(id_or_arn: &str) -> &str {
    match id_or_arn.split_once(":build/") {
        Some((prefix, id)) if prefix.starts_with("arn:") => id,
        _ => id_or_arn,
    }
}

/// What CodeBuild answered about a set of build ids.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BuildLookup {
    /// The builds it knows, in no particular order.
    pub found: Vec<BuildReport>,
    /// The ids it does not know (`buildsNotFound`).
    pub not_found: Vec<String>,
}

/// Reads the state of builds already started.
#[async_trait]
pub trait BuildTracker: Send + Sync {
    /// What CodeBuild knows of `ids` (any number: the adapter asks at most 100 at a time).
    async fn lookup(&self, ids: &[String]) -> Result<BuildLookup, BuildError>;
}

/// A build service with no record of any build: every id is not found. For wiring that
/// never reconciles builds (detection benches, budget tests).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoBuildRecords;

#[async_trait]
impl BuildTracker for NoBuildRecords {
    async fn lookup(&self, ids: &[String]) -> Result<BuildLookup, BuildError> {
        Ok(BuildLookup { found: Vec::new(), not_found: ids.to_vec() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_build_arn_and_a_build_id_name_the_same_build() {
        let arn = "arn:aws:codebuild:us-east-1:123456789012:build/whaleray-build:0c8e-11";
        assert_eq!(build_id_of(arn), "whaleray-build:0c8e-11");
        assert_eq!(build_id_of("whaleray-build:0c8e-11"), "whaleray-build:0c8e-11");
    }
}
