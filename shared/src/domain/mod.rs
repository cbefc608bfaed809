//! Domain types: validated identifiers, the status state machine and the deployment record.
//!
//! Nothing here does IO; every type validates on construction, so a value that exists is valid.

mod build_outcome;
mod build_plan;
mod deployment;
mod deployment_id;
mod git_ref;
mod ids;
mod installation;
mod origin;
mod project;
mod repo;
mod root_dir;
mod status;

pub use build_outcome::{BuildLogs, BuildOutcome, BuildState};
pub use build_plan::{
    BuildPlan, ExceededBudget, Framework, NodeVersion, OtherTool, OutputDirectory, PackageManager,
    Runtime, ShellCommand,
};
pub use deployment::{Deployment, StatusChange};
pub use deployment_id::{DeploymentId, ProjectId};
pub use git_ref::{CommitSha, GitRef};
pub use ids::{InstallationId, UserId};
pub use installation::{
    AppInstallation, InstallationRefusal, InstallationUpdate, RepositoriesChange,
    RepositorySelection, SelectionKind,
};
pub use origin::{CommitDetails, Trigger};
pub use project::Project;
pub use repo::RepoFullName;
pub use root_dir::RootDirectory;
pub use status::DeploymentStatus;

/// A value that failed validation, with a message a user can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// The deployment id is not a ULID.
    #[error("invalid deployment id {0:?}: expected a 26-character ULID")]
    DeploymentId(String),
    /// The project id is not a ULID.
    #[error("invalid project id {0:?}: expected a 26-character ULID")]
    ProjectId(String),
    /// A trigger string that is not one of the known values.
    #[error("unknown trigger {0:?}: expected manual, push or redeploy")]
    Trigger(String),
    /// The repository full name breaks GitHub's naming rules.
    #[error("invalid repository {value:?}: {why}")]
    Repository {
        /// The rejected input.
        value: String,
        /// Which rule it broke.
        why: &'static str,
    },
    /// The branch name breaks git's ref-name rules.
    #[error("invalid branch {value:?}: {why}")]
    GitRef {
        /// The rejected input.
        value: String,
        /// Which rule it broke.
        why: &'static str,
    },
    /// A root directory that is not a plain relative folder path.
    #[error("invalid root directory {value:?}: {why}")]
    RootDirectory {
        /// The rejected input.
        value: String,
        /// Which rule it broke.
        why: &'static str,
    },
    /// A commit SHA that is not 40 lowercase hex digits.
    #[error("invalid commit sha {0:?}: expected 40 hexadecimal digits")]
    CommitSha(String),
    /// A user id that is empty, too long or has control characters.
    #[error("invalid user id: {0}")]
    UserId(&'static str),
    /// An installation id that is not a positive integer.
    #[error("invalid installation id {0:?}: expected a positive integer")]
    InstallationId(String),
    /// An `Idempotency-Key` header that is empty, too long or not visible ASCII.
    #[error("invalid Idempotency-Key: {0}")]
    IdempotencyKey(&'static str),
    /// A framework slug that is not a lowercase word.
    #[error("invalid framework {0:?}: expected a lowercase slug")]
    Framework(String),
    /// A runtime slug that is not a lowercase word.
    #[error("invalid runtime {0:?}: expected a lowercase slug")]
    Runtime(String),
    /// A package manager slug that is not a lowercase word.
    #[error("invalid package manager {0:?}: expected a lowercase slug")]
    PackageManager(String),
    /// A build or install command the build cannot run.
    #[error("invalid command {value:?}: {why}")]
    Command {
        /// The rejected input.
        value: String,
        /// Which rule it broke.
        why: &'static str,
    },
    /// An output directory that is not a plain relative folder path.
    #[error("invalid output directory {value:?}: {why}")]
    OutputDirectory {
        /// The rejected input.
        value: String,
        /// Which rule it broke.
        why: &'static str,
    },
    /// A Node.js version that is not `major[.minor[.patch]]`.
    #[error("invalid node version {0:?}: expected major[.minor[.patch]]")]
    NodeVersion(String),
    /// A status string that is not one of the known values.
    #[error("unknown deployment status {0:?}")]
    Status(String),
    /// A transition the state machine does not allow.
    #[error("a deployment cannot move from {from} to {to}")]
    Transition {
        /// The current status.
        from: DeploymentStatus,
        /// The requested status.
        to: DeploymentStatus,
    },
}
