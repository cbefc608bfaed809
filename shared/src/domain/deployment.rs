//! The deployment record and the changes a status transition carries.

use super::{
    BuildOutcome, BuildPlan, CommitDetails, CommitSha, DeploymentId, DeploymentStatus, GitRef,
    InstallationId, ProjectId, RepoFullName, RootDirectory, Trigger, UserId,
};
use chrono::{DateTime, Utc};

/// One press of "Deploy": what was asked for, and how far it got.
#[derive(Debug, Clone, PartialEq)]
pub struct Deployment {
    /// The deployment's id.
    pub id: DeploymentId,
    /// Who asked for it.
    pub user_id: UserId,
    /// The repository to deploy.
    pub repository: RepoFullName,
    /// The branch asked for; `None` means the repository's default branch.
    pub branch: Option<GitRef>,
    /// The GitHub App installation that grants access to the repository.
    pub installation_id: InstallationId,
    /// The app's folder in a monorepo, when the user named one.
    pub root_directory: Option<RootDirectory>,
    /// The current status.
    pub status: DeploymentStatus,
    /// When the deployment was created.
    pub created_at: DateTime<Utc>,
    /// When the record last changed.
    pub updated_at: DateTime<Utc>,
    /// The commit the build uses: resolved from the branch by inspection, or pinned when the
    /// deployment was created (a push's head commit, a redeploy's original commit), in which
    /// case inspection reads that commit and never resolves the branch.
    pub commit_sha: Option<CommitSha>,
    /// What created it.
    pub trigger: Trigger,
    /// The project it belongs to, for deployments a push created.
    pub project_id: Option<ProjectId>,
    /// The deployment this one redeploys.
    pub redeploy_of: Option<DeploymentId>,
    /// The pushed head commit's message and author.
    pub commit_details: Option<CommitDetails>,
    /// What inspection found and how to build it, with its evidence.
    pub plan: Option<BuildPlan>,
    /// The CodeBuild build id, once a build was started.
    pub build_id: Option<String>,
    /// Why the deployment is NOT_SUPPORTED, FAILED, BUILD_FAILED or CANCELED, in words a
    /// user can act on.
    pub reason: Option<String>,
    /// How the build ended (status, failing phase, logs), once it did.
    pub outcome: Option<BuildOutcome>,
    /// How many inspection attempts have run.
    pub attempts: u32,
    /// The error of the last failed attempt, while retries go on.
    pub last_error: Option<String>,
    /// How many times the stall sweep has re-queued the job.
    pub requeues: u32,
}

impl Deployment {
    /// A new deployment in INSPECTING, created now.
    pub fn new(
        user_id: UserId,
        repository: RepoFullName,
        branch: Option<GitRef>,
        installation_id: InstallationId,
    ) -> Self {
        let now = Utc::now();
        Self {
            id: DeploymentId::generate(),
            user_id,
            repository,
            branch,
            installation_id,
            root_directory: None,
            status: DeploymentStatus::Inspecting,
            created_at: now,
            updated_at: now,
            commit_sha: None,
            trigger: Trigger::Manual,
            project_id: None,
            redeploy_of: None,
            commit_details: None,
            plan: None,
            build_id: None,
            reason: None,
            outcome: None,
            attempts: 0,
            last_error: None,
            requeues: 0,
        }
    }

    /// The same deployment, pinned to `commit`: inspection reads that commit and the build
    /// uses it, whatever the branch points at by then.
    pub fn pinned_to(mut self, commit: CommitSha) -> Self {
        self.commit_sha = Some(commit);
        self
    }
}

/// A status transition and the facts recorded with it. Fields left `None` are not changed.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusChange {
    /// The status to move to.
    pub to: DeploymentStatus,
    /// Why, for NOT_SUPPORTED and FAILED.
    pub reason: Option<String>,
    /// The commit inspection resolved.
    pub commit_sha: Option<CommitSha>,
    /// What inspection found and how to build it.
    pub plan: Option<BuildPlan>,
    /// The CodeBuild build id.
    pub build_id: Option<String>,
    /// How the build ended.
    pub outcome: Option<BuildOutcome>,
}

impl StatusChange {
    /// A bare move to `to`.
    pub fn to(to: DeploymentStatus) -> Self {
        Self { to, reason: None, commit_sha: None, plan: None, build_id: None, outcome: None }
    }

    /// A move to FAILED with a reason.
    pub fn failed(reason: impl Into<String>) -> Self {
        Self { reason: Some(reason.into()), ..Self::to(DeploymentStatus::Failed) }
    }

    /// Applies the change to a record in memory (the store does the same conditionally).
    pub fn apply(&self, deployment: &mut Deployment, now: DateTime<Utc>) {
        deployment.status = self.to;
        deployment.updated_at = now;
        if self.to == DeploymentStatus::Inspecting {
            // A replay starts afresh: the old failure no longer describes the deployment.
            deployment.reason = None;
            deployment.last_error = None;
            deployment.attempts = 0;
            deployment.requeues = 0;
        }
        if let Some(reason) = &self.reason {
            deployment.reason = Some(reason.clone());
        }
        if let Some(sha) = &self.commit_sha {
            deployment.commit_sha = Some(sha.clone());
        }
        if let Some(plan) = &self.plan {
            deployment.plan = Some(plan.clone());
        }
        if let Some(build_id) = &self.build_id {
            deployment.build_id = Some(build_id.clone());
        }
        if let Some(outcome) = &self.outcome {
            deployment.outcome = Some(outcome.clone());
        }
    }
}
