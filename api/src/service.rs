//! The API's use cases over the ports: create a deployment, read one, list a user's.

use chrono::Utc;
use whaleray_shared::job::InspectionJob;
use whaleray_shared::ports::{DeploymentStore, InstallationDirectory, JobQueue, RateLimitStore};
use whaleray_shared::rate_limit::{Decision, RateLimit};
use whaleray_shared::{Deployment, DeploymentId, DeploymentStatus, StatusChange, UserId};

use crate::dto::CreateDeployment;
use crate::error::ApiError;
use crate::guards::rate_limit::installation_bucket;

/// Where creates are counted against their installation's limit.
pub struct InstallationLimit<'a> {
    /// The shared buckets.
    pub buckets: &'a dyn RateLimitStore,
    /// The limit per installation.
    pub limit: RateLimit,
}

/// Records a deployment as INSPECTING and queues its inspection, within the installation's
/// rate limit (all its users together).
///
/// If the job cannot be queued, the record must not stay INSPECTING with no job behind it:
/// it is moved to FAILED with the reason, and the caller gets a 503 to try again.
pub async fn create_deployment(
    store: &dyn DeploymentStore,
    installations: &dyn InstallationDirectory,
    queue: &dyn JobQueue,
    limit: InstallationLimit<'_>,
    caller: UserId,
    request: CreateDeployment,
) -> Result<Deployment, ApiError> {
    let installation = installations
        .installations_of(&caller)
        .await?
        .into_iter()
        .find(|i| request.repository.is_owned_by(&i.account_login))
        .ok_or_else(|| ApiError::NotInstalled(request.repository.to_string()))?;
    let bucket = installation_bucket(installation.installation_id.get());
    let decision = limit.buckets.take(&bucket, limit.limit, Utc::now()).await?;
    if let Decision::Limited { .. } = decision {
        return Err(ApiError::RateLimited(decision));
    }

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

#[cfg(test)]
mod tests {
    use whaleray_shared::ports::Installation;
    use whaleray_shared::testing::{
        MemoryInstallations, MemoryQueue, MemoryRateLimits, MemoryStore,
    };
    use whaleray_shared::{InstallationId, RepoFullName};

    use super::*;

    #[tokio::test]
    async fn creates_past_the_installations_limit_are_refused_for_every_user_of_it() {
        let (store, installations, queue, buckets) = (
            MemoryStore::default(),
            MemoryInstallations::default(),
            MemoryQueue::default(),
            MemoryRateLimits::default(),
        );
        let limit = RateLimit::parse("2:0.001").unwrap();
        let users = [UserId::parse("alice").unwrap(), UserId::parse("bob").unwrap()];
        for user in &users {
            let installation_id = InstallationId::new(7).unwrap();
            installations.add(user, Installation { installation_id, account_login: "acme".into() });
        }
        let request = || CreateDeployment {
            repository: RepoFullName::parse("acme/site").unwrap(),
            branch: None,
            root_directory: None,
        };
        let create = |user: &UserId| {
            create_deployment(
                &store,
                &installations,
                &queue,
                InstallationLimit { buckets: &buckets, limit },
                user.clone(),
                request(),
            )
        };
        assert!(create(&users[0]).await.is_ok());
        assert!(create(&users[1]).await.is_ok());
        let refused = create(&users[1]).await.unwrap_err();
        assert_eq!(refused.code_and_status().0, "rate_limited");
        assert_eq!(store.all().len(), 2, "a refused create records nothing");
        assert_eq!(queue.sent().len(), 2);
    }
}
