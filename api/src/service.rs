//! The API's use cases over the ports: create a deployment, read one, list a user's.
//!
//! The service takes domain values and answers domain values or a [`ServiceError`]; it knows
//! nothing of HTTP. `error.rs` decides what each failure looks like on the wire.

use chrono::Utc;
use whaleray_shared::error::{Chain, GuardError, QueueError, StoreError};
use whaleray_shared::job::InspectionJob;
use whaleray_shared::ports::{
    AppInstallations, DeploymentStore, InstallationDirectory, JobQueue, Page, PageCursor,
    RateLimitStore,
};
use whaleray_shared::rate_limit::{Decision, RateLimit};
use whaleray_shared::{
    Deployment, DeploymentId, DeploymentStatus, ErrorClass, GitRef, InstallationId,
    InstallationRefusal, RepoFullName, RootDirectory, StatusChange, UserId,
};

use crate::guards::rate_limit::installation_bucket;

/// A validated request to deploy.
#[derive(Debug, Clone)]
pub struct DeploymentRequest {
    /// The repository.
    pub repository: RepoFullName,
    /// The branch, if one was named.
    pub branch: Option<GitRef>,
    /// The app folder, if one was named.
    pub root_directory: Option<RootDirectory>,
}

/// Why a use case did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The repository's owner is not one of the caller's App installations.
    #[error("the WhaleRay GitHub App is not installed on {0}, or you have no access to it")]
    NotInstalled(RepoFullName),
    /// The caller's installation on the repository's owner exists, but GitHub reported it
    /// deleted or suspended, or not granting this repository.
    #[error("the WhaleRay GitHub App installation cannot deploy {repository}: {reason:?}")]
    Refused {
        /// The repository asked for.
        repository: RepoFullName,
        /// Why the installation does not permit it.
        reason: InstallationRefusal,
    },
    /// No such deployment, or not the caller's.
    #[error("deployment {0} not found")]
    NotFound(DeploymentId),
    /// The job could not be queued; the deployment was marked FAILED.
    #[error("the inspection of deployment {id} could not be queued")]
    NotQueued {
        /// The deployment, now FAILED.
        id: DeploymentId,
        /// Why the queue refused.
        #[source]
        source: QueueError,
    },
    /// The store failed.
    #[error("the deployment store failed")]
    Store(#[from] StoreError),
    /// The installation's rate limit refused the create.
    #[error("the installation's rate limit is reached")]
    RateLimited(Decision),
    /// The rate-limit store failed.
    #[error("the rate-limit store failed")]
    Guard(#[from] GuardError),
}

impl ServiceError {
    /// Whether trying again later can succeed.
    pub fn class(&self) -> ErrorClass {
        match self {
            Self::NotInstalled(_)
            | Self::Refused { .. }
            | Self::NotFound(_)
            | Self::RateLimited(_) => ErrorClass::Permanent,
            Self::Guard(e) => e.class(),
            Self::NotQueued { .. } => ErrorClass::Retryable,
            Self::Store(e) => e.class(),
        }
    }
}

/// Where creates are counted against their installation's limit.
pub struct InstallationLimit<'a> {
    /// The shared buckets.
    pub buckets: &'a dyn RateLimitStore,
    /// The limit per installation.
    pub limit: RateLimit,
}

/// The caller's installation that may deploy `repository`.
///
/// The caller's links (`whaleray-installations`) say which installations they may use; what
/// GitHub reported through webhooks (`whaleray-github-installations`) says whether each is
/// deleted, suspended or grants the repository, and carries the account's current login (a
/// rename reaches it, not the link). An installation GitHub has not reported yet is judged by
/// its link alone: the worker's installation token request still fails for one that is gone.
pub(crate) async fn installation_for(
    installations: &dyn InstallationDirectory,
    app_installations: &dyn AppInstallations,
    caller: &UserId,
    repository: &RepoFullName,
) -> Result<InstallationId, ServiceError> {
    let mut refusal = None;
    for link in installations.installations_of(caller).await? {
        let record = app_installations.get(link.installation_id).await?;
        let login = record.as_ref().map_or(link.account_login.as_str(), |r| &r.account_login);
        if !repository.is_owned_by(login) {
            continue;
        }
        match record.map(|r| r.permits(repository)) {
            None | Some(Ok(())) => return Ok(link.installation_id),
            Some(Err(reason)) => refusal = refusal.or(Some(reason)),
        }
    }
    Err(match refusal {
        Some(reason) => ServiceError::Refused { repository: repository.clone(), reason },
        None => ServiceError::NotInstalled(repository.clone()),
    })
}

/// Records a deployment as INSPECTING and queues its inspection, within the installation's
/// rate limit (all its users together).
///
/// If the job cannot be queued, the record must not stay INSPECTING with no job behind it:
/// it is moved to FAILED with the reason, and the caller is told to try again.
#[tracing::instrument(skip_all, fields(repository = %request.repository))]
pub async fn create_deployment(
    store: &dyn DeploymentStore,
    installations: &dyn InstallationDirectory,
    app_installations: &dyn AppInstallations,
    queue: &dyn JobQueue,
    limit: InstallationLimit<'_>,
    caller: UserId,
    request: DeploymentRequest,
) -> Result<Deployment, ServiceError> {
    let installation_id =
        installation_for(installations, app_installations, &caller, &request.repository).await?;
    let bucket = installation_bucket(installation_id.get());
    let decision = limit.buckets.take(&bucket, limit.limit, Utc::now()).await?;
    if let Decision::Limited { .. } = decision {
        return Err(ServiceError::RateLimited(decision));
    }

    let mut deployment =
        Deployment::new(caller, request.repository, request.branch, installation_id);
    deployment.root_directory = request.root_directory;
    store.create(&deployment).await?;

    let job = InspectionJob::for_deployment(&deployment);
    match queue.send(&job).await {
        Ok(message_id) => {
            tracing::info!(deployment_id = %deployment.id, message_id, "inspection queued");
            Ok(deployment)
        }
        Err(send_error) => {
            tracing::error!(deployment_id = %deployment.id, error = %Chain(&send_error), "could not queue inspection");
            let change = StatusChange::failed(format!(
                "the inspection job could not be queued ({send_error}); deploy again"
            ));
            if let Err(e) =
                store.transition(deployment.id, DeploymentStatus::Inspecting, change).await
            {
                tracing::error!(deployment_id = %deployment.id, error = %Chain(&e), "could not mark deployment FAILED");
            }
            Err(ServiceError::NotQueued { id: deployment.id, source: send_error })
        }
    }
}

/// Reads a deployment for its owner; anyone else gets the same answer as for a missing one.
#[tracing::instrument(skip_all, fields(deployment_id = %id))]
pub async fn get_deployment(
    store: &dyn DeploymentStore,
    caller: &UserId,
    id: DeploymentId,
) -> Result<Deployment, ServiceError> {
    match store.get(id).await? {
        Some(deployment) if &deployment.user_id == caller => Ok(deployment),
        _ => Err(ServiceError::NotFound(id)),
    }
}

/// One page of the caller's deployments, newest first, after `after` when given.
#[tracing::instrument(skip_all, fields(limit))]
pub async fn list_deployments(
    store: &dyn DeploymentStore,
    caller: &UserId,
    limit: u32,
    after: Option<&PageCursor>,
) -> Result<Page, ServiceError> {
    Ok(store.list_for_user(caller, limit, after).await?)
}

#[cfg(test)]
mod tests {
    use whaleray_shared::ports::Installation;
    use whaleray_shared::testing::{
        MemoryAppInstallations, MemoryInstallations, MemoryQueue, MemoryRateLimits, MemoryStore,
    };
    use whaleray_shared::{InstallationId, RepoFullName};

    use super::*;

    #[tokio::test]
    async fn creates_past_the_installations_limit_are_refused_for_every_user_of_it() {
        let reported = MemoryAppInstallations::default();
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
        let request = || DeploymentRequest {
            repository: RepoFullName::parse("acme/site").unwrap(),
            branch: None,
            root_directory: None,
        };
        let create = |user: &UserId| {
            create_deployment(
                &store,
                &installations,
                &reported,
                &queue,
                InstallationLimit { buckets: &buckets, limit },
                user.clone(),
                request(),
            )
        };
        assert!(create(&users[0]).await.is_ok());
        assert!(create(&users[1]).await.is_ok());
        let refused = create(&users[1]).await.unwrap_err();
        assert!(matches!(refused, ServiceError::RateLimited(_)), "{refused:?}");
        assert_eq!(store.all().len(), 2, "a refused create records nothing");
        assert_eq!(queue.sent().len(), 2);
    }
}
