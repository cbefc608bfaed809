//! Canceling a deployment for its owner.
//!
//! - INSPECTING (or FAILED) → CANCELED with a write conditional on that status. A worker that
//!   meets the deployment afterwards drops its job; one that had already claimed the build and
//!   starts it loses its INSPECTING → BUILDING write to this one and stops the build it
//!   started (`worker/src/process`).
//! - BUILDING → the API calls StopBuild, then writes CANCELED conditional on BUILDING. A
//!   build that already completed keeps its outcome: StopBuild refuses it, nothing is written,
//!   and the owner is told so.
//! - NOT_SUPPORTED, SUCCEEDED, BUILD_FAILED, CANCELED: final; nothing changes.
//!
//! FAILED is not final (an operator's replay moves it back to INSPECTING), but nothing runs
//! for it; canceling it makes it final, so a later replay drops it instead of building it.

use whaleray_shared::error::StoreError;
use whaleray_shared::ports::DeploymentStore;
use whaleray_shared::{
    Deployment, DeploymentId, DeploymentStatus, ErrorClass, StatusChange, UserId,
};

use crate::builds::{BuildStopper, StopAnswer, StopError};

/// Why a cancel did not happen.
#[derive(Debug, thiserror::Error)]
pub enum CancelError {
    /// No such deployment, or not the caller's.
    #[error("deployment {0} not found")]
    NotFound(DeploymentId),
    /// The deployment is final; nothing was changed.
    #[error("deployment {id} is already {status}; there is nothing to cancel")]
    Final {
        /// The deployment.
        id: DeploymentId,
        /// Its current status.
        status: DeploymentStatus,
    },
    /// The build completed before it could be stopped: its outcome stands, and is recorded on
    /// the deployment from the build's state-change event or the reconciliation.
    #[error("the build of deployment {id} already ended; its outcome is being recorded")]
    BuildEnded {
        /// The deployment.
        id: DeploymentId,
        /// Its current status (BUILDING until the outcome is recorded).
        status: DeploymentStatus,
    },
    /// The store failed.
    #[error("the deployment store failed")]
    Store(#[from] StoreError),
    /// CodeBuild did not take the stop request.
    #[error("the build could not be stopped")]
    Stop(#[from] StopError),
}

impl CancelError {
    /// Whether trying again later can succeed.
    pub fn class(&self) -> ErrorClass {
        match self {
            Self::NotFound(_) | Self::Final { .. } | Self::BuildEnded { .. } => {
                ErrorClass::Permanent
            }
            Self::Store(e) => e.class(),
            Self::Stop(e) => e.class(),
        }
    }
}

/// How many times a cancel re-reads a deployment whose status changed under it (INSPECTING
/// to BUILDING, then BUILDING to an end, at most).
const ATTEMPTS: usize = 3;

/// Cancels the caller's deployment `id` and returns it as written.
#[tracing::instrument(skip_all, fields(deployment_id = %id))]
pub async fn cancel_deployment(
    store: &dyn DeploymentStore,
    builds: &dyn BuildStopper,
    caller: &UserId,
    id: DeploymentId,
) -> Result<Deployment, CancelError> {
    let mut deployment = owned(store, caller, id).await?;
    for _ in 0..ATTEMPTS {
        let status = deployment.status;
        let reason = match status {
            DeploymentStatus::Inspecting | DeploymentStatus::Failed => {
                "canceled by its owner before a build started".to_owned()
            }
            DeploymentStatus::Building => match stop_build(builds, &deployment).await? {
                Some(reason) => reason,
                None => return Err(ended(store, caller, id).await?),
            },
            final_status => return Err(CancelError::Final { id, status: final_status }),
        };
        let change =
            StatusChange { reason: Some(reason), ..StatusChange::to(DeploymentStatus::Canceled) };
        match store.transition(id, status, change).await {
            Ok(canceled) => {
                tracing::info!(from = %status, "deployment canceled");
                return Ok(canceled);
            }
            // It moved meanwhile (the worker started the build, the build's end was recorded,
            // or its STOPPED event already canceled it): act on what it is now.
            Err(StoreError::Conflict { .. }) => deployment = owned(store, caller, id).await?,
            Err(e) => return Err(e.into()),
        }
        if deployment.status == DeploymentStatus::Canceled && status == DeploymentStatus::Building {
            return Ok(deployment);
        }
    }
    Err(CancelError::Final { id, status: deployment.status })
}

/// Stops the deployment's build. `Some(reason)` when nothing runs any more; `None` when the
/// build had already completed, so its outcome stands.
async fn stop_build(
    builds: &dyn BuildStopper,
    deployment: &Deployment,
) -> Result<Option<String>, StopError> {
    let Some(build_id) = deployment.build_id.as_deref() else {
        return Ok(Some("canceled by its owner; no build was recorded".to_owned()));
    };
    Ok(match builds.stop(build_id).await? {
        StopAnswer::Stopping => {
            Some(format!("canceled by its owner; build {build_id} was stopped"))
        }
        StopAnswer::NoSuchBuild => {
            Some(format!("canceled by its owner; CodeBuild has no build {build_id}"))
        }
        StopAnswer::AlreadyEnded => None,
    })
}

/// The answer for a build that completed before it could be stopped: the deployment's outcome
/// if it is recorded already, else that it is being recorded.
async fn ended(
    store: &dyn DeploymentStore,
    caller: &UserId,
    id: DeploymentId,
) -> Result<CancelError, CancelError> {
    let status = owned(store, caller, id).await?.status;
    Ok(if status.is_final() {
        CancelError::Final { id, status }
    } else {
        CancelError::BuildEnded { id, status }
    })
}

/// The deployment, if it is the caller's; anyone else's is answered as missing.
async fn owned(
    store: &dyn DeploymentStore,
    caller: &UserId,
    id: DeploymentId,
) -> Result<Deployment, CancelError> {
    match store.get(id).await? {
        Some(deployment) if &deployment.user_id == caller => Ok(deployment),
        _ => Err(CancelError::NotFound(id)),
    }
}
