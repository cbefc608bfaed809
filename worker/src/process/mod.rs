//! One inspection job, start to finish: read the repository, detect, move the deployment on,
//! start the build.
//!
//! Every status change is conditional on INSPECTING, the deployment id is CodeBuild's
//! idempotency token, and the first build claim pins commit and plan, so a duplicate,
//! concurrent or much later delivery of the same job never moves a deployment backwards, never
//! sends different parameters under the token, and finds an earlier attempt's build rather
//! than starting a second one.

use std::time::Duration;

use whaleray_shared::error::{Chain, StoreError};
use whaleray_shared::job::InspectionJob;
use whaleray_shared::ports::BuildInputs;
use whaleray_shared::{Deployment, DeploymentStatus, ErrorClass, StatusChange};

use crate::budget::Exceeded;
use crate::deps::Deps;
use crate::github::GitHubError;
use crate::plan::build_plan;
use crate::ports::{BuildError, BuildRequest};

mod claim;
mod error;
mod paths;
mod remote;

pub use error::JobError;

pub use claim::{BUILD_CLAIM_LEASE, CLAIM_LAPSE_WAIT, CLAIM_RETRY_WAIT, CLAIM_WATCH};
use claim::{claim_retry_wait, watch_claim};
use remote::Inspected;

/// How a job ended, when it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A build was started and recorded.
    Building {
        /// The CodeBuild build id.
        build_id: String,
    },
    /// Detection found nothing WhaleRay builds.
    NotSupported {
        /// Why, for the user.
        reason: String,
    },
    /// The job failed for good; the deployment is FAILED.
    Failed {
        /// Why, for the user.
        reason: String,
    },
    /// The last attempt failed too: the deployment is FAILED and the message goes on to the
    /// dead-letter queue, where an operator can replay it.
    GaveUp {
        /// Why, for the user.
        reason: String,
    },
    /// The deployment had already left INSPECTING (a duplicate or stale delivery).
    AlreadySettled {
        /// The status it had.
        status: DeploymentStatus,
    },
    /// The deployment does not exist; the message has nothing to act on.
    Missing,
}

/// The job should run again later.
#[derive(Debug)]
pub struct Retry {
    /// What went wrong this time, with its cause chain; [`JobError::reason`] is what the
    /// deployment's `lastError` says.
    pub error: JobError,
    /// The wait a dependency asked for, if any.
    pub wait: Option<Duration>,
}

/// Why one attempt stopped early.
#[derive(Debug)]
enum Failure {
    Retryable {
        error: JobError,
        wait: Option<Duration>,
    },
    Permanent(JobError),
    Settled(DeploymentStatus),
    /// Another worker holds the claim to start this build. Not a failure of this job: it
    /// never counts as an attempt and never gives up, or a duplicate's last delivery could
    /// mark FAILED a deployment whose build the claim holder is starting.
    Busy,
}

impl Failure {
    /// Retryable or permanent by `class`.
    fn classed(class: ErrorClass, error: JobError, wait: Option<Duration>) -> Self {
        match class {
            ErrorClass::Retryable => Self::Retryable { error, wait },
            ErrorClass::Permanent => Self::Permanent(error),
        }
    }
}

impl From<GitHubError> for Failure {
    fn from(e: GitHubError) -> Self {
        let (class, wait) = (e.class(), e.retry_after());
        Self::classed(class, JobError::GitHub(e), wait)
    }
}

impl From<Exceeded> for Failure {
    /// The same repository would exceed the budget again: a verdict, not a retry.
    fn from(e: Exceeded) -> Self {
        Self::Permanent(e.into())
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict { actual, .. } => Self::Settled(actual),
            e => Self::classed(e.class(), e.into(), None),
        }
    }
}

impl From<BuildError> for Failure {
    fn from(e: BuildError) -> Self {
        Self::classed(e.class(), e.into(), None)
    }
}

/// Runs one delivery of `job`. `receive_count` is how many times the queue has delivered
/// it; the delivery that reaches `deps.max_receive_count` is the last, and a retryable failure
/// then marks the deployment FAILED before the message moves to the dead-letter queue.
pub async fn inspect(
    deps: &Deps,
    job: &InspectionJob,
    receive_count: u32,
) -> Result<Outcome, Retry> {
    let id = job.deployment_id;
    let deployment = match deps.store.get(id).await {
        Ok(Some(d)) => d,
        Ok(None) => return Ok(Outcome::Missing),
        Err(e) if e.class() == ErrorClass::Retryable => {
            return Err(Retry { error: e.into(), wait: None });
        }
        Err(e) => {
            let error = Chain(&e);
            tracing::error!(%error, "the deployment record cannot be read; dropping the job");
            return Ok(Outcome::Missing);
        }
    };
    if deployment.status == DeploymentStatus::Canceled && deployment.plan.is_some() {
        // Canceled after a build claim pinned its inputs: the claim holder may have started a
        // build and died before recording it. It must not run on.
        stop_unrecorded_build(deps, &deployment).await?;
    }
    if deployment.status != DeploymentStatus::Inspecting {
        // Canceled or failed after an earlier attempt stored a clone token: no build of ours
        // will use it (a build that did start reports its end, which releases it too).
        if matches!(deployment.status, DeploymentStatus::Canceled | DeploymentStatus::Failed)
            && may_hold_token(&deployment, None)
        {
            crate::outcome::release(deps.credentials.as_ref(), id).await;
        }
        return Ok(Outcome::AlreadySettled { status: deployment.status });
    }
    settle(deps, &deployment, receive_count).await
}

/// Whether `deployment` may hold a clone token: a claim pinned its inputs (an earlier attempt
/// reached the build step), or `error` is this attempt's failure at that step.
fn may_hold_token(deployment: &Deployment, error: Option<&JobError>) -> bool {
    deployment.plan.is_some() || matches!(error, Some(JobError::Build(_)))
}

/// Runs the attempt and settles what it ended with (FAILED for a permanent failure or the
/// last attempt's); a build-step failure releases the clone token it may have stored.
async fn settle(
    deps: &Deps,
    deployment: &Deployment,
    receive_count: u32,
) -> Result<Outcome, Retry> {
    let id = deployment.id;
    match run(deps, deployment).await {
        Ok(outcome) => Ok(outcome),
        Err(Failure::Settled(status)) => Ok(Outcome::AlreadySettled { status }),
        Err(Failure::Busy) => match watch_claim(deps, id).await {
            Some(status) => Ok(Outcome::AlreadySettled { status }),
            None => {
                Err(Retry { error: JobError::Busy, wait: Some(claim_retry_wait(receive_count)) })
            }
        },
        Err(Failure::Permanent(error)) => {
            tracing::warn!(error = %Chain(&error), "the job failed for good");
            let holds = may_hold_token(deployment, Some(&error));
            fail(deps, deployment, error.reason(), holds).await
        }
        Err(Failure::Retryable { error, .. }) if receive_count >= deps.max_receive_count => {
            tracing::warn!(error = %Chain(&error), "the last attempt failed");
            let reason = format!(
                "gave up after {receive_count} attempts: {}; an operator can replay it",
                error.reason()
            );
            let holds = may_hold_token(deployment, Some(&error));
            match fail(deps, deployment, reason, holds).await? {
                Outcome::Failed { reason } => Ok(Outcome::GaveUp { reason }),
                other => Ok(other),
            }
        }
        Err(Failure::Retryable { error, wait }) => {
            let last_error = error.reason();
            if let Err(e) =
                deps.store.record_attempt(id, DeploymentStatus::Inspecting, Some(&last_error)).await
            {
                tracing::warn!(error = %Chain(&e), "could not record the failed attempt");
            }
            Err(Retry { error, wait })
        }
    }
}

async fn run(deps: &Deps, deployment: &Deployment) -> Result<Outcome, Failure> {
    // An earlier attempt's claim pinned commit and plan: reuse them without reading GitHub,
    // so the branch moving in between cannot change what is built.
    if let (Some(commit), Some(plan)) = (&deployment.commit_sha, &deployment.plan) {
        let inputs = BuildInputs { commit: commit.clone(), plan: plan.clone() };
        return start_and_record(deps, deployment, inputs).await;
    }
    let deadline = deps.budgets.deadline;
    let inspected = tokio::time::timeout(deadline, remote::inspect(deps, deployment))
        .await
        .map_err(|_| Exceeded::Deadline(deadline))??;
    let Inspected { commit, detection, refusal } = inspected;

    // A verdict over a detection budget is refused for that budget (its values are cut);
    // otherwise unbuildable directories, then the support policy.
    let unsupported =
        || (!deps.support.allows(&detection)).then(|| deps.support.reason(&detection));
    let refused = if detection.exceeded.is_some() {
        unsupported()
    } else {
        refusal.map(|r| r.to_string()).or_else(unsupported)
    };
    if let Some(reason) = refused {
        // A refused verdict keeps its plan when the plan is well-formed; one with values no
        // plan can hold (a directory escaping the repository) is stored without one.
        let plan = build_plan(detection).ok();
        let change = StatusChange {
            reason: Some(reason.clone()),
            commit_sha: Some(commit),
            plan,
            ..StatusChange::to(DeploymentStatus::NotSupported)
        };
        deps.store.transition(deployment.id, DeploymentStatus::Inspecting, change).await?;
        return Ok(Outcome::NotSupported { reason });
    }
    let plan = build_plan(detection).map_err(|e| Failure::Permanent(e.into()))?;
    start_and_record(deps, deployment, BuildInputs { commit, plan }).await
}

async fn start_and_record(
    deps: &Deps,
    deployment: &Deployment,
    inputs: BuildInputs,
) -> Result<Outcome, Failure> {
    let (build_id, inputs) = start_build(deps, deployment, inputs).await?;
    let change = StatusChange {
        commit_sha: Some(inputs.commit),
        plan: Some(inputs.plan),
        build_id: Some(build_id.clone()),
        ..StatusChange::to(DeploymentStatus::Building)
    };
    match deps.store.transition(deployment.id, DeploymentStatus::Inspecting, change).await {
        Ok(_) => Ok(Outcome::Building { build_id }),
        Err(StoreError::Conflict { actual: DeploymentStatus::Canceled, .. }) => {
            // The owner canceled while this build was being started (the cancel's write won
            // the race against this one): stop it rather than leave it running unrecorded.
            tracing::warn!(%build_id, "the deployment was canceled while its build started; stopping it");
            deps.builds.stop(&build_id).await?;
            Err(Failure::Settled(DeploymentStatus::Canceled))
        }
        Err(e) => Err(e.into()),
    }
}

/// Stops the build a canceled deployment's claim holder may have started without recording
/// it. A failure to look or to stop keeps the message for another try.
async fn stop_unrecorded_build(deps: &Deps, deployment: &Deployment) -> Result<(), Retry> {
    let retry = |e: BuildError| Retry { error: e.into(), wait: None };
    let since = deployment.created_at - chrono::Duration::minutes(1);
    let found = deps.builds.find_started(deployment.id, since).await.map_err(retry)?;
    if let Some(build_id) = found {
        tracing::warn!(%build_id, "stopping the build of a canceled deployment");
        deps.builds.stop(&build_id).await.map_err(retry)?;
    }
    Ok(())
}

/// Claims the deployment, then starts its build. Only the claim holder calls StartBuild, so
/// concurrent duplicates start one build. The first claim pins commit and plan, so every
/// StartBuild of a deployment carries identical parameters under its idempotency token (the
/// deployment id). When an earlier claim existed, its holder may have started a build (and
/// died, or never got the answer) possibly longer ago than the token's 5 minutes: the project's
/// builds are searched for it first.
async fn start_build(
    deps: &Deps,
    deployment: &Deployment,
    inputs: BuildInputs,
) -> Result<(String, BuildInputs), Failure> {
    let claimant = ulid::Ulid::new().to_string();
    let until = chrono::Utc::now() + BUILD_CLAIM_LEASE;
    let claim = match deps.store.claim_build(deployment.id, &claimant, until, &inputs).await {
        Ok(claim) => claim,
        Err(StoreError::Conflict { actual: DeploymentStatus::Inspecting, .. }) => {
            return Err(Failure::Busy);
        }
        Err(e) => return Err(e.into()),
    };
    if claim.earlier {
        // No build of this deployment can predate the deployment (a minute for clock skew).
        let since = deployment.created_at - chrono::Duration::minutes(1);
        if let Some(build_id) = deps.builds.find_started(deployment.id, since).await? {
            tracing::warn!(%build_id, "recovered a build an earlier attempt started");
            return Ok((build_id, claim.inputs));
        }
    }
    let started = issue_and_start(deps, deployment, &claim.inputs).await;
    if started.is_err()
        && let Err(e) = deps.store.release_build_claim(deployment.id, &claimant).await
    {
        let error = Chain(&e);
        tracing::warn!(%error, "could not release the build claim; it lapses on its own");
    }
    Ok((started?, claim.inputs))
}

/// Mints and stores the build's clone token (right before StartBuild, so it has its whole
/// hour ahead of it; under the same parameter name on every attempt), then starts the build.
async fn issue_and_start(
    deps: &Deps,
    deployment: &Deployment,
    inputs: &BuildInputs,
) -> Result<String, BuildError> {
    let token_parameter = deps
        .credentials
        .issue(deployment.id, deployment.installation_id, &deployment.repository)
        .await?;
    let request = BuildRequest {
        deployment_id: deployment.id,
        repository: &deployment.repository,
        commit: &inputs.commit,
        plan: &inputs.plan,
        token_parameter: &token_parameter,
    };
    deps.builds.start(&request).await
}

/// Moves the deployment to FAILED with `reason`, then deletes its clone token if it `holds`
/// one (no build will use it). A lost race leaves it as the winner set it; a store outage keeps
/// the message for another try, so no deployment is left INSPECTING.
async fn fail(
    deps: &Deps,
    deployment: &Deployment,
    reason: String,
    holds: bool,
) -> Result<Outcome, Retry> {
    let change = StatusChange::failed(reason.clone());
    match deps.store.transition(deployment.id, DeploymentStatus::Inspecting, change).await {
        Ok(_) => {
            if holds {
                crate::outcome::release(deps.credentials.as_ref(), deployment.id).await;
            }
            Ok(Outcome::Failed { reason })
        }
        Err(StoreError::Conflict { actual, .. }) => Ok(Outcome::AlreadySettled { status: actual }),
        Err(e) => {
            tracing::error!(error = %Chain(&e), %reason, "could not mark the deployment FAILED");
            Err(Retry { error: JobError::RecordFailure(e), wait: None })
        }
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error;

    use super::*;

    #[test]
    fn a_permanent_failure_keeps_its_source_and_a_readable_reason() {
        let failure = Failure::from(GitHubError::NotFound("acme/web".into()));
        let Failure::Permanent(error) = failure else { panic!("{failure:?}") };
        assert!(error.reason().starts_with("GitHub could not find acme/web"), "{}", error.reason());
        let source = error.source().expect("the GitHub error is kept");
        assert!(
            matches!(source.downcast_ref::<GitHubError>(), Some(GitHubError::NotFound(_))),
            "{source:?}"
        );
    }

    #[test]
    fn a_retryable_failure_keeps_the_wait_its_dependency_asked_for() {
        let wait = Duration::from_secs(42);
        let failure = Failure::from(GitHubError::RateLimited { wait });
        let Failure::Retryable { error, wait: Some(asked) } = failure else {
            panic!("{failure:?}")
        };
        assert_eq!(asked, wait);
        assert!(matches!(error, JobError::GitHub(_)), "{error:?}");
    }

    #[test]
    fn a_lost_race_is_settled_not_failed() {
        let id = whaleray_shared::DeploymentId::generate();
        let conflict = StoreError::Conflict {
            id,
            expected: DeploymentStatus::Inspecting,
            actual: DeploymentStatus::Building,
        };
        assert!(matches!(Failure::from(conflict), Failure::Settled(DeploymentStatus::Building)));
    }
}
