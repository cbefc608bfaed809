//! Why one attempt at a job stopped: the error behind it, kept whole for the logs, and the
//! stable text stored as the deployment's `reason` or `lastError` for the user.

use whaleray_shared::ErrorClass;
use whaleray_shared::error::StoreError;

use crate::budget::Exceeded;
use crate::github::GitHubError;
use crate::plan::PlanError;
use crate::ports::BuildError;

/// What stopped one attempt. `Display` and `source()` form the cause chain for the logs;
/// [`JobError::reason`] is the text a user reads.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Reading the repository from GitHub failed.
    #[error("reading the repository from GitHub failed")]
    GitHub(#[from] GitHubError),
    /// The inspection ran out of one of its budgets.
    #[error("the inspection ran out of its budget")]
    Budget(#[from] Exceeded),
    /// The deployment store failed.
    #[error("the deployment store failed")]
    Store(#[from] StoreError),
    /// CodeBuild did not start the build.
    #[error("the build could not be started")]
    Build(#[from] BuildError),
    /// Detection's verdict does not make a plan a build could follow.
    #[error("the build plan was refused")]
    Plan(#[from] PlanError),
    /// Detection kept asking for files beyond its rounds (a bug, never input-driven).
    #[error("detection did not settle")]
    Unsettled,
    /// The blocking task running detection panicked or was cancelled.
    #[error("detection stopped")]
    DetectionStopped(#[source] tokio::task::JoinError),
    /// Another worker holds the claim to start this build.
    #[error("another worker is starting this build")]
    Busy,
    /// The attempt failed for good, but FAILED could not be written.
    #[error("could not record the failure")]
    RecordFailure(#[source] StoreError),
}

impl JobError {
    /// The text stored on the deployment (`reason` when it fails, `lastError` for a retried
    /// attempt). Its wording is stable: the front end and the operators read it.
    pub fn reason(&self) -> String {
        match self {
            Self::GitHub(e) => e.to_string(),
            Self::Budget(e) => e.to_string(),
            Self::Store(e) if e.class() == ErrorClass::Retryable => e.to_string(),
            Self::Store(e) => format!("internal error: {e}"),
            Self::Build(e) => format!("the build could not be started: {e}"),
            Self::Plan(e) => format!("{e}: {}", e.0),
            Self::Unsettled => "detection did not settle; please report this repository".into(),
            Self::DetectionStopped(e) => format!("internal error: detection stopped: {e}"),
            Self::Busy => "another worker is starting this build".into(),
            Self::RecordFailure(e) => format!("could not record the failure: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error;

    use whaleray_shared::DeploymentId;

    use super::*;

    #[test]
    fn a_permanent_store_error_keeps_its_source_and_reads_as_internal() {
        let id = DeploymentId::generate();
        let error = JobError::from(StoreError::NotFound(id));
        assert_eq!(error.reason(), format!("internal error: deployment {id} does not exist"));
        let source = error.source().expect("the store error is kept");
        assert!(source.downcast_ref::<StoreError>().is_some(), "{source:?}");
    }

    #[test]
    fn a_budget_reason_is_the_budgets_own_sentence() {
        let error = JobError::from(Exceeded::Requests(100));
        assert_eq!(
            error.reason(),
            "inspecting the repository needs more than the budget of 100 GitHub requests"
        );
        assert!(error.source().is_some());
    }
}
