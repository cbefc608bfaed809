//! The API's use cases over the ports: create a deployment, read one, list a user's.

use whaleray_shared::job::InspectionJob;
use whaleray_shared::ports::{DeploymentStore, InstallationDirectory, JobQueue};
use whaleray_shared::{Deployment, DeploymentId, DeploymentStatus, StatusChange, UserId};

use crate::dto::CreateDeployment;
use crate::error::ApiError;

/// Records a deployment as INSPECTING and queues its inspection.
///
/// If the job cannot be queued, the record must not stay INSPECTING with no job behind it:
/// it is moved to FAILED with the reason, and the caller gets a 503 to try again.
pub async fn create_deployment(
    store: &dyn DeploymentStore,
    installations: &dyn InstallationDirectory,
    queue: &dyn JobQueue,
    caller: UserId,
    request: CreateDeployment,
) -> Result<Deployment, ApiError> {
    let installation = installations
        .installations_of(&caller)
        .await?
        .into_iter()
        .find(|i| request.repository.is_owned_by(&i.account_login))
        .ok_or_else(|| ApiError::NotInstalled(request.repository.to_string()))?;

    let mut deployment =
        Deployment::new(caller, request.repository, request.branch, installation.installation_id);
    deployment.root_directory = request.root_directory;
    store.create(&deployment).await?;

    let job = InspectionJob::for_deployment(&deployment);
    match queue.send(&job).await {
        Ok(message_id) => {
            tracing::info!(deployment_id = %deployment.id, message_id, "inspection queued");
            Ok(deployment)
        }
        Err(send_error) => {
            tracing::error!(deployment_id = %deployment.id, error = ?send_error, "could not queue inspection");
            let change = StatusChange::failed(format!(
                "the inspection job could not be queued ({send_error}); deploy again"
            ));
            if let Err(e) =
                store.transition(deployment.id, DeploymentStatus::Inspecting, change).await
            {
                tracing::error!(deployment_id = %deployment.id, error = ?e, "could not mark deployment FAILED");
            }
            Err(ApiError::Unavailable(
                "the deployment could not be queued; it was marked FAILED, please deploy again"
                    .into(),
            ))
        }
    }
}

/// Reads a deployment for its owner; anyone else gets the same answer as for a missing one.
pub async fn get_deployment(
    store: &dyn DeploymentStore,
    caller: &UserId,
    id: DeploymentId,
) -> Result<Deployment, ApiError> {
    match store.get(id).await? {
        Some(deployment) if &deployment.user_id == caller => Ok(deployment),
        _ => Err(ApiError::DeploymentNotFound(id.to_string())),
    }
}
