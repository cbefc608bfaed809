//! The ports both binaries use: small async traits, one adapter each for AWS and for tests.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::domain::{
    AppInstallation, BuildPlan, CommitSha, Deployment, DeploymentId, DeploymentStatus, GitRef,
    InstallationId, InstallationUpdate, Project, ProjectId, RepoFullName, StatusChange, UserId,
};
use crate::error::{GuardError, QueueError, StoreError};
use crate::idempotency::{Claim, IdempotencyScope, StoredResponse};
use crate::job::InspectionJob;
use crate::rate_limit::{Decision, RateLimit};

/// The `deployments` table.
#[async_trait]
pub trait DeploymentStore: Send + Sync {
    /// Stores a new deployment; fails with `AlreadyExists` rather than overwrite one.
    async fn create(&self, deployment: &Deployment) -> Result<(), StoreError>;

    /// Reads one deployment.
    async fn get(&self, id: DeploymentId) -> Result<Option<Deployment>, StoreError>;

    /// Moves a deployment from `expected` to `change.to` if, and only if, it is still in
    /// `expected` (a conditional write). Returns the record as written; `Conflict` when the
    /// status was not `expected`, with the status it had.
    async fn transition(
        &self,
        id: DeploymentId,
        expected: DeploymentStatus,
        change: StatusChange,
    ) -> Result<Deployment, StoreError>;

    /// Counts one more inspection attempt and its error, while the deployment is in `expected`.
    async fn record_attempt(
        &self,
        id: DeploymentId,
        expected: DeploymentStatus,
        error: Option<&str>,
    ) -> Result<Deployment, StoreError>;

    /// Claims the right to start the deployment's build until `until`, while it is INSPECTING
    /// and unclaimed (or its claim is `claimant`'s own, or has lapsed). Two workers holding
    /// duplicate deliveries of one job cannot both start a build. `Conflict` with
    /// `actual: INSPECTING` means another worker holds a live claim.
    ///
    /// The first claim stores `inputs` (commit and plan) with the deployment; every later claim
    /// gets those stored inputs back instead of its own, so every StartBuild for a deployment
    /// carries identical parameters under its idempotency token.
    async fn claim_build(
        &self,
        id: DeploymentId,
        claimant: &str,
        until: DateTime<Utc>,
        inputs: &BuildInputs,
    ) -> Result<BuildClaim, StoreError>;

    /// Gives up `claimant`'s claim (after a failed build start), so a retry need not wait for
    /// it to lapse. Releasing a claim one does not hold changes nothing.
    async fn release_build_claim(&self, id: DeploymentId, claimant: &str)
    -> Result<(), StoreError>;

    /// Deployments still INSPECTING whose record has not changed since `cutoff`, at most
    /// `limit`, oldest change first. A full scan with a filter: the sweep runs every few
    /// minutes over a table whose INSPECTING share is small.
    async fn list_stalled(
        &self,
        cutoff: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Deployment>, StoreError>;

    /// Deployments BUILDING whose record has not changed since `cutoff` (their build started
    /// before it), at most `limit`, oldest change first: the reconciliation pass asks CodeBuild
    /// about them in case their build's state-change event was lost. A scan with a filter,
    /// like [`DeploymentStore::list_stalled`].
    async fn list_building(
        &self,
        cutoff: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Deployment>, StoreError>;

    /// Counts one re-queue by the stall sweep, if the record is still INSPECTING and unchanged
    /// since `seen` (so two sweeps cannot both re-queue it).
    async fn record_requeue(
        &self,
        id: DeploymentId,
        seen: DateTime<Utc>,
    ) -> Result<Deployment, StoreError>;

    /// A user's deployments, newest first, at most `limit`, starting after `after` (the
    /// last deployment of the previous page). `next` is set when more may follow.
    async fn list_for_user(
        &self,
        user: &UserId,
        limit: u32,
        after: Option<&PageCursor>,
    ) -> Result<Page, StoreError>;

    /// The user's deployments of `project`, newest first, paged like
    /// [`DeploymentStore::list_for_user`]: a filtered query of the user's index. A page may
    /// hold fewer than `limit` (even none) with `next` set, when the user's other deployments
    /// between them are many.
    async fn list_for_project(
        &self,
        user: &UserId,
        project: ProjectId,
        limit: u32,
        after: Option<&PageCursor>,
    ) -> Result<Page, StoreError>;
}

/// What a build is started with: stored once, with the first build claim.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildInputs {
    /// The exact commit to build.
    pub commit: CommitSha,
    /// The build plan detected at that commit.
    pub plan: BuildPlan,
}

/// A granted build claim.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildClaim {
    /// The inputs to build with: the first claim's, whichever worker made it.
    pub inputs: BuildInputs,
    /// An earlier claim existed (held by a worker that died, or released after a failed or
    /// unanswered StartBuild): a build of this deployment may already exist.
    pub earlier: bool,
}

/// Where a page of a user's deployments ended: the last deployment it held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageCursor {
    /// The last deployment's id.
    pub deployment_id: DeploymentId,
    /// Its creation time, the index's sort key.
    pub created_at: DateTime<Utc>,
}

/// One page of a user's deployments.
#[derive(Debug, Clone, Default)]
pub struct Page {
    /// Newest first.
    pub deployments: Vec<Deployment>,
    /// Where the next page starts, when there may be one.
    pub next: Option<PageCursor>,
}

/// One GitHub App installation of a user, as the `whaleray-installations` table holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installation {
    /// The installation id.
    pub installation_id: InstallationId,
    /// The login of the account (user or organisation) the App is installed on.
    pub account_login: String,
}

/// The `whaleray-installations` table: the one record of which installations each user may
/// deploy from. Linking (`POST /github/installations`) writes it from what GitHub lists for
/// the user; `POST /deployments` reads it.
#[async_trait]
pub trait InstallationDirectory: Send + Sync {
    /// Every installation the user can deploy from.
    async fn installations_of(&self, user: &UserId) -> Result<Vec<Installation>, StoreError>;

    /// Records that `user` may deploy from `installation` (an idempotent put: linking again
    /// refreshes the login).
    async fn link(&self, user: &UserId, installation: &Installation) -> Result<(), StoreError>;

    /// Removes the link; `false`, changing nothing, when there was none (a conditional delete).
    async fn unlink(&self, user: &UserId, id: InstallationId) -> Result<bool, StoreError>;
}

/// The App installations GitHub reported through webhooks (`whaleray-github-installations`),
/// keyed on GitHub's installation id.
#[async_trait]
pub trait AppInstallations: Send + Sync {
    /// The installation's last reported state, if GitHub ever reported it.
    async fn get(&self, id: InstallationId) -> Result<Option<AppInstallation>, StoreError>;

    /// Applies one reported change in a single conditional write, creating the record if
    /// needed. Returns `false`, writing nothing, when the installation is already deleted and
    /// the update is not a deletion (a late event cannot revive an uninstalled App).
    async fn apply(
        &self,
        id: InstallationId,
        update: &InstallationUpdate,
    ) -> Result<bool, StoreError>;
}

/// The webhook deliveries already acted on (`whaleray-webhook-deliveries`), so a redelivery
/// changes nothing.
#[async_trait]
pub trait DeliveryLog: Send + Sync {
    /// Records delivery `id` until `expires_at` with a conditional write. `false` when it is
    /// already recorded and not yet expired: a redelivery, to be acknowledged and dropped.
    async fn record_first(&self, id: &str, expires_at: DateTime<Utc>) -> Result<bool, StoreError>;

    /// Forgets delivery `id` after acting on it failed, so that a redelivery is acted on.
    async fn forget(&self, id: &str) -> Result<(), StoreError>;
}

/// What a project create did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProjectCreate {
    /// The project was stored.
    Created,
    /// The owner already has a project on this repository and root directory: this one.
    Exists(ProjectId),
}

/// The projects table (`whaleray-projects`): the repositories users connected, found by id,
/// by owner, and by repository (for pushes).
#[async_trait]
pub trait ProjectStore: Send + Sync {
    /// Stores a new project, unless its owner already has one on the same repository and root
    /// directory (a conditional write on [`Project::identity`]).
    async fn create(&self, project: &Project) -> Result<ProjectCreate, StoreError>;

    /// Reads one project (a strongly consistent read).
    async fn get(&self, id: ProjectId) -> Result<Option<Project>, StoreError>;

    /// Every project of `user`, oldest first.
    async fn list_for_user(&self, user: &UserId) -> Result<Vec<Project>, StoreError>;

    /// Every project (of any user) on `repository`, ignoring case.
    async fn for_repository(&self, repository: &RepoFullName) -> Result<Vec<Project>, StoreError>;

    /// Sets the production branch (`None`: follow the default branch) if the project exists
    /// and is `owner`'s (a conditional write). Returns the project as written, or `None`.
    async fn set_production_branch(
        &self,
        id: ProjectId,
        owner: &UserId,
        branch: Option<&GitRef>,
    ) -> Result<Option<Project>, StoreError>;

    /// Deletes the project if it exists and is `owner`'s; `false`, changing nothing, otherwise.
    async fn delete(&self, id: ProjectId, owner: &UserId) -> Result<bool, StoreError>;
}

/// Where inspection jobs go.
#[async_trait]
pub trait JobQueue: Send + Sync {
    /// Sends one job and returns the queue's message id.
    async fn send(&self, job: &InspectionJob) -> Result<String, QueueError>;
}

/// Idempotency keys and the answers stored with them, shared by every API instance.
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Claims `scope` for a request whose body hashes to `fingerprint` (a conditional write:
    /// of two instances claiming one key at once, exactly one gets `Acquired`).
    async fn claim(
        &self,
        scope: &IdempotencyScope,
        fingerprint: &str,
        now: DateTime<Utc>,
    ) -> Result<Claim, GuardError>;

    /// Stores the answer of the request that holds the claim, for replay until the key
    /// expires. Does nothing if the claim was taken over meanwhile.
    async fn complete(
        &self,
        scope: &IdempotencyScope,
        fingerprint: &str,
        response: &StoredResponse,
    ) -> Result<(), GuardError>;

    /// Gives the claim up without an answer (the request failed in a way worth retrying), so
    /// the next request with the key runs afresh.
    async fn release(&self, scope: &IdempotencyScope, fingerprint: &str) -> Result<(), GuardError>;
}

/// Token buckets, shared by every API instance.
#[async_trait]
pub trait RateLimitStore: Send + Sync {
    /// Takes one token from the bucket named `bucket` under `limit` at `now`; the bucket is
    /// written only if no other instance changed it meanwhile.
    async fn take(
        &self,
        bucket: &str,
        limit: RateLimit,
        now: DateTime<Utc>,
    ) -> Result<Decision, GuardError>;
}
