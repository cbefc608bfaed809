//! The stall sweep: no deployment stays INSPECTING forever.
//!
//! A deployment whose record has not changed for longer than the threshold has no live job
//! behind it (every attempt writes the record, and retries are delayed far less than the
//! threshold). The sweep re-queues its job a bounded number of times, then marks it FAILED.
//! Re-queuing is safe: a duplicate job is absorbed by the worker's conditional writes.

use std::time::Duration;

use whaleray_shared::error::StoreError;
use whaleray_shared::job::InspectionJob;
use whaleray_shared::ports::{DeploymentStore, JobQueue};
use whaleray_shared::{Deployment, DeploymentStatus, StatusChange};

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

/// What one sweep did.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SweepReport {
    /// Deployments whose job was sent again.
    pub requeued: Vec<String>,
    /// Deployments marked FAILED.
    pub failed: Vec<String>,
    /// Deployments that moved on while the sweep looked at them.
    pub skipped: Vec<String>,
    /// Errors, one line each.
    pub errors: Vec<String>,
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
            report.errors.push(format!("listing stalled deployments: {e}"));
            return report;
        }
    };
    for deployment in stalled {
        let id = deployment.id.to_string();
        match handle(store, queue, &deployment, options).await {
            Ok(Action::Requeued) => report.requeued.push(id),
            Ok(Action::Failed) => report.failed.push(id),
            Err(StoreError::Conflict { .. }) => report.skipped.push(id),
            Err(e) => report.errors.push(format!("{id}: {e}")),
        }
    }
    tracing::info!(?report, "sweep finished");
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
) -> Result<Action, StoreError> {
    if deployment.requeues >= options.max_requeues {
        let reason = format!(
            "inspection stalled: no worker finished it after {} re-queues; deploy again or ask an operator",
            deployment.requeues
        );
        store
            .transition(deployment.id, DeploymentStatus::Inspecting, StatusChange::failed(reason))
            .await?;
        return Ok(Action::Failed);
    }
    store.record_requeue(deployment.id, deployment.updated_at).await?;
    let job = InspectionJob::for_deployment(deployment);
    // If this send fails, the record's new updatedAt makes the next sweep try again.
    queue
        .send(&job)
        .await
        .map_err(|e| StoreError::Corrupt(format!("re-queue of {} failed: {e}", deployment.id)))?;
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
}
