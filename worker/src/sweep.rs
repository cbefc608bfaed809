//! The stall sweep: no deployment stays INSPECTING forever.
//!
//! A deployment whose record has not changed for longer than the threshold has no live job
//! behind it (every attempt writes the record, and retries are delayed far less than the
//! threshold). The sweep re-queues its job a bounded number of times, then marks it FAILED.
//! Re-queuing is safe: a duplicate job is absorbed by the worker's conditional writes.

use std::time::Duration;

use whaleray_shared::error::{Chain, QueueError, StoreError};
use whaleray_shared::job::InspectionJob;
use whaleray_shared::ports::{DeploymentStore, JobQueue};
use whaleray_shared::{Deployment, DeploymentId, DeploymentStatus, StatusChange};

/// How the sweep behaves.
#[derive(Debug, Clone, Copy)]
pub struct SweepOptions {
    /// A deployment unchanged for longer than this is stalled.
    pub older_than: Duration,
    /// Re-queues before giving up and marking it FAILED.
    pub max_requeues: u32,
    /// The most deployments handled in one run.
    pub limit: usize,
}

impl Default for SweepOptions {
    fn default() -> Self {
        Self { older_than: Duration::from_secs(30 * 60), max_requeues: 2, limit: 500 }
    }
}

/// Why the sweep could not handle a deployment, or could not start.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// The stalled deployments could not be listed.
    #[error("listing stalled deployments failed")]
    List(#[source] StoreError),
    /// The store refused or failed a write or read for one deployment.
    #[error("deployment {id} could not be swept")]
    Store {
        /// The deployment.
        id: DeploymentId,
        /// The store's error.
        #[source]
        source: StoreError,
    },
    /// The re-queued job could not be sent; the record's new `updatedAt` makes the next sweep
    /// try again.
    #[error("the job of deployment {id} could not be re-queued")]
    Requeue {
        /// The deployment.
        id: DeploymentId,
        /// The queue's error.
        #[source]
        source: QueueError,
    },
}

/// What one sweep did (the scheduled Lambda event answers with it as JSON).
#[derive(Debug, Default, serde::Serialize)]
pub struct SweepReport {
    /// Deployments whose job was sent again.
    pub requeued: Vec<String>,
    /// Deployments marked FAILED.
    pub failed: Vec<String>,
    /// Deployments that moved on while the sweep looked at them.
    pub skipped: Vec<String>,
    /// What failed, each with its cause chain (one line each in JSON).
    #[serde(serialize_with = "chains")]
    pub errors: Vec<SweepError>,
}

/// Serializes errors as their one-line cause chains.
fn chains<S: serde::Serializer>(errors: &[SweepError], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(errors.iter().map(|e| Chain(e).to_string()))
}

/// Runs one sweep.
pub async fn sweep(
    store: &dyn DeploymentStore,
    queue: &dyn JobQueue,
    options: SweepOptions,
) -> SweepReport {
    let mut report = SweepReport::default();
    let older_than =
        chrono::Duration::from_std(options.older_than).unwrap_or(chrono::Duration::MAX);
    let cutoff = chrono::Utc::now() - older_than;
    let stalled = match store.list_stalled(cutoff, options.limit).await {
        Ok(stalled) => stalled,
        Err(e) => {
            let error = SweepError::List(e);
            tracing::error!(error = %Chain(&error), "sweep could not start");
            report.errors.push(error);
            return report;
        }
    };
    for deployment in stalled {
        let id = deployment.id.to_string();
        match handle(store, queue, &deployment, options).await {
            Ok(Action::Requeued) => report.requeued.push(id),
            Ok(Action::Failed) => report.failed.push(id),
            Err(SweepError::Store { source: StoreError::Conflict { .. }, .. }) => {
                report.skipped.push(id);
            }
            Err(error) => {
                tracing::error!(error = %Chain(&error), "sweep could not handle a deployment");
                report.errors.push(error);
            }
        }
    }
    tracing::info!(
        requeued = report.requeued.len(),
        failed = report.failed.len(),
        skipped = report.skipped.len(),
        errors = report.errors.len(),
        "sweep finished"
    );
    report
}

enum Action {
    Requeued,
    Failed,
}

async fn handle(
    store: &dyn DeploymentStore,
    queue: &dyn JobQueue,
    deployment: &Deployment,
    options: SweepOptions,
) -> Result<Action, SweepError> {
    let id = deployment.id;
    let store_error = |source| SweepError::Store { id, source };
    if deployment.requeues >= options.max_requeues {
        let reason = format!(
            "inspection stalled: no worker finished it after {} re-queues; deploy again or ask an operator",
            deployment.requeues
        );
        store
            .transition(id, DeploymentStatus::Inspecting, StatusChange::failed(reason))
            .await
            .map_err(store_error)?;
        return Ok(Action::Failed);
    }
    store.record_requeue(id, deployment.updated_at).await.map_err(store_error)?;
    let job = InspectionJob::for_deployment(deployment);
    // If this send fails, the record's new updatedAt makes the next sweep try again.
    queue.send(&job).await.map_err(|source| SweepError::Requeue { id, source })?;
    Ok(Action::Requeued)
}

#[cfg(test)]
mod tests {
    use super::*;
    use whaleray_shared::testing::{MemoryQueue, MemoryStore};
    use whaleray_shared::{InstallationId, RepoFullName, UserId};

    /// An INSPECTING deployment last changed `minutes_ago`, already re-queued `requeues` times.
    async fn inspecting(store: &MemoryStore, minutes_ago: i64, requeues: u32) -> Deployment {
        let mut d = Deployment::new(
            UserId::parse("u").unwrap(),
            RepoFullName::parse("a/b").unwrap(),
            None,
            InstallationId::new(1).unwrap(),
        );
        d.updated_at -= chrono::Duration::minutes(minutes_ago);
        d.requeues = requeues;
        store.create(&d).await.unwrap();
        d
    }

    #[tokio::test]
    async fn stalled_deployments_are_requeued_then_failed_and_fresh_ones_left_alone() {
        let (store, queue) = (MemoryStore::default(), MemoryQueue::default());
        let requeue = inspecting(&store, 120, 0).await;
        let give_up = inspecting(&store, 120, 2).await;
        let fresh = inspecting(&store, 1, 0).await;

        let report = sweep(&store, &queue, SweepOptions::default()).await;

        assert_eq!(report.requeued, [requeue.id.to_string()]);
        assert_eq!(report.failed, [give_up.id.to_string()]);
        assert!(report.errors.is_empty());
        let sent = queue.sent();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].deployment_id, requeue.id);
        let failed = store.get(give_up.id).await.unwrap().unwrap();
        assert_eq!(failed.status, DeploymentStatus::Failed);
        assert!(failed.reason.unwrap().contains("stalled"));
        let untouched = store.get(fresh.id).await.unwrap().unwrap();
        assert_eq!((untouched.status, untouched.requeues), (DeploymentStatus::Inspecting, 0));
        assert_eq!(store.get(requeue.id).await.unwrap().unwrap().requeues, 1);

        let again = sweep(&store, &queue, SweepOptions::default()).await;
        assert!(again.requeued.is_empty(), "a just re-queued deployment is not stalled: {again:?}");
    }

    #[tokio::test]
    async fn a_failed_requeue_is_reported_with_its_queue_error_as_source() {
        let (store, queue) = (MemoryStore::default(), MemoryQueue::default());
        let stalled = inspecting(&store, 120, 0).await;
        queue.set_failing(true);

        let report = sweep(&store, &queue, SweepOptions::default()).await;

        assert!(report.requeued.is_empty(), "{report:?}");
        let [SweepError::Requeue { id, source }] = report.errors.as_slice() else {
            panic!("{report:?}")
        };
        assert_eq!(*id, stalled.id);
        assert!(matches!(source, QueueError::Aws(_)), "{source:?}");
        // The JSON report keeps the whole chain, down to the injected outage.
        let json = serde_json::to_value(&report).unwrap();
        let expected = format!(
            "the job of deployment {id} could not be re-queued: sqs:SendMessage failed: \
             injected queue outage"
        );
        assert_eq!(json["errors"], serde_json::json!([expected]));
    }
}
