//! The stall sweep: no deployment stays INSPECTING forever.
//!
//! A deployment whose record has not changed for longer than the threshold has no live job
//! behind it (every attempt writes the record, and retries are delayed far less than the
//! threshold). The sweep re-queues its job a bounded number of times, then marks it FAILED.
//! Re-queuing is safe: a duplicate job is absorbed by the worker's conditional writes.
//!
//! The same sweep reconciles builds: EventBridge delivers CodeBuild's state-change events on
//! a best-effort basis, so a deployment BUILDING for longer than
//! [`DEFAULT_RECONCILE_AFTER`] is looked up with `BatchGetBuilds` (at most 100 ids a call,
//! answers matched by id, never by order), and a finished build moves it to its outcome
//! through the same conditional write the events use ([`crate::outcome::record`]). A build
//! CodeBuild has no record of (`buildsNotFound`) ends the deployment BUILD_FAILED, since
//! nothing would ever report on it. Either way the build's clone token is deleted
//! ([`crate::outcome::release`]): a failed delete is logged and does not hold back the status.
//!
//! Leftover tokens are not listed by path: each reconciled or reported end deletes its own and a
//! repeated event of that build tries again, and a token whose delete failed for good is an
//! installation token GitHub expires within the hour, so what is left is a dead value under the
//! deployment's name, not a usable credential (and at most one per deployment).

use std::collections::HashMap;
use std::time::Duration;

use whaleray_shared::error::{Chain, QueueError, StoreError};
use whaleray_shared::job::InspectionJob;
use whaleray_shared::ports::{DeploymentStore, JobQueue};
use whaleray_shared::{Deployment, DeploymentId, DeploymentStatus, StatusChange};

use crate::outcome::{self, Ignored, Recorded};
use crate::ports::{BuildError, BuildTracker, ReleaseCredentials, build_id_of};

/// How long a deployment stays BUILDING before the sweep asks CodeBuild about its build:
/// EventBridge delivers state changes within seconds when it delivers them at all, so a
/// deployment still BUILDING after this has probably lost its event (or has a long build,
/// which the lookup leaves alone).
pub const DEFAULT_RECONCILE_AFTER: Duration = Duration::from_secs(10 * 60);

/// How the sweep behaves.
#[derive(Debug, Clone, Copy)]
pub struct SweepOptions {
    /// A deployment unchanged for longer than this is stalled.
    pub older_than: Duration,
    /// Re-queues before giving up and marking it FAILED.
    pub max_requeues: u32,
    /// The most deployments handled in one run (each, INSPECTING and BUILDING).
    pub limit: usize,
    /// A deployment BUILDING for longer than this has its build looked up.
    pub building_older_than: Duration,
}

impl Default for SweepOptions {
    fn default() -> Self {
        Self {
            older_than: Duration::from_secs(30 * 60),
            max_requeues: 2,
            limit: 500,
            building_older_than: DEFAULT_RECONCILE_AFTER,
        }
    }
}

/// What the reconciliation reads and releases.
#[derive(Clone, Copy)]
pub struct Builds<'a> {
    /// CodeBuild: the state of the builds.
    pub tracker: &'a dyn BuildTracker,
    /// Where the builds' clone tokens are deleted.
    pub credentials: &'a dyn ReleaseCredentials,
}

impl<'a> Builds<'a> {
    /// The worker's own tracker and credentials.
    pub fn of(deps: &'a crate::deps::Deps) -> Self {
        Self { tracker: deps.tracker.as_ref(), credentials: deps.credentials.as_ref() }
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
    /// The BUILDING deployments could not be listed.
    #[error("listing building deployments failed")]
    ListBuilding(#[source] StoreError),
    /// CodeBuild could not be asked about the builds.
    #[error("looking up {count} builds failed")]
    Lookup {
        /// How many build ids were asked about.
        count: usize,
        /// CodeBuild's error.
        #[source]
        source: BuildError,
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
    /// BUILDING deployments whose finished build the sweep recorded (`id: STATUS`).
    pub reconciled: Vec<String>,
    /// BUILDING deployments whose build is still running.
    pub still_building: Vec<String>,
    /// What failed, each with its cause chain (one line each in JSON).
    #[serde(serialize_with = "chains")]
    pub errors: Vec<SweepError>,
}

/// Serializes errors as their one-line cause chains.
fn chains<S: serde::Serializer>(errors: &[SweepError], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(errors.iter().map(|e| Chain(e).to_string()))
}

/// Runs one sweep: stalled INSPECTING deployments, then BUILDING ones (reconciliation, which
/// deletes the clone token of each build it finds ended from `credentials`).
pub async fn sweep(
    store: &dyn DeploymentStore,
    queue: &dyn JobQueue,
    builds: Builds<'_>,
    options: SweepOptions,
) -> SweepReport {
    let mut report = SweepReport::default();
    // A table that cannot even be listed fails the reconciliation's listing the same way.
    if sweep_stalled(store, queue, options, &mut report).await {
        reconcile(store, builds, options, &mut report).await;
    }
    tracing::info!(
        requeued = report.requeued.len(),
        failed = report.failed.len(),
        skipped = report.skipped.len(),
        reconciled = report.reconciled.len(),
        still_building = report.still_building.len(),
        errors = report.errors.len(),
        "sweep finished"
    );
    report
}

fn push_error(report: &mut SweepReport, error: SweepError) {
    tracing::error!(error = %Chain(&error), "sweep could not handle a deployment");
    report.errors.push(error);
}

/// Re-queues or fails the stalled deployments; `false` when they could not be listed.
async fn sweep_stalled(
    store: &dyn DeploymentStore,
    queue: &dyn JobQueue,
    options: SweepOptions,
    report: &mut SweepReport,
) -> bool {
    let older_than =
        chrono::Duration::from_std(options.older_than).unwrap_or(chrono::Duration::MAX);
    let cutoff = chrono::Utc::now() - older_than;
    let stalled = match store.list_stalled(cutoff, options.limit).await {
        Ok(stalled) => stalled,
        Err(e) => {
            let error = SweepError::List(e);
            tracing::error!(error = %Chain(&error), "sweep could not start");
            report.errors.push(error);
            return false;
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
            Err(error) => push_error(report, error),
        }
    }
    true
}

/// Looks up the builds of deployments BUILDING for longer than the threshold and records
/// those that ended.
async fn reconcile(
    store: &dyn DeploymentStore,
    Builds { tracker, credentials }: Builds<'_>,
    options: SweepOptions,
    report: &mut SweepReport,
) {
    let older_than =
        chrono::Duration::from_std(options.building_older_than).unwrap_or(chrono::Duration::MAX);
    let building = match store.list_building(chrono::Utc::now() - older_than, options.limit).await {
        Ok(building) => building,
        Err(e) => return push_error(report, SweepError::ListBuilding(e)),
    };
    // Each build id to its deployment: the answer is matched by id, and our own record says
    // which deployment a build is, whatever variables the build kept.
    let owners: HashMap<String, Deployment> = building
        .into_iter()
        .filter_map(|d| Some((build_id_of(d.build_id.as_deref()?).to_owned(), d)))
        .collect();
    if owners.is_empty() {
        return;
    }
    let ids: Vec<String> = owners.keys().cloned().collect();
    let lookup = match tracker.lookup(&ids).await {
        Ok(lookup) => lookup,
        Err(source) => return push_error(report, SweepError::Lookup { count: ids.len(), source }),
    };
    for mut build in lookup.found {
        let Some(owner) = owners.get(build_id_of(&build.build_id)) else { continue };
        let (id, name) = (owner.id, owner.id.to_string());
        build.deployment = Some(id);
        match outcome::record(store, credentials, &build).await {
            Ok(Recorded::Moved(status)) => report.reconciled.push(format!("{name}: {status}")),
            Ok(Recorded::Ignored(Ignored::StillRunning)) => report.still_building.push(name),
            Ok(Recorded::Ignored(_)) => report.skipped.push(name),
            Err(source) => push_error(report, SweepError::Store { id, source }),
        }
    }
    for missing in lookup.not_found {
        let Some(owner) = owners.get(build_id_of(&missing)) else { continue };
        let (id, name) = (owner.id, owner.id.to_string());
        let change = StatusChange {
            reason: Some(format!("CodeBuild has no record of build {missing}; deploy again")),
            ..StatusChange::to(DeploymentStatus::BuildFailed)
        };
        match store.transition(id, DeploymentStatus::Building, change).await {
            Ok(_) => {
                outcome::release(credentials, id).await;
                report.reconciled.push(format!("{name}: BUILD_FAILED"));
            }
            Err(StoreError::Conflict { .. }) => report.skipped.push(name),
            Err(source) => push_error(report, SweepError::Store { id, source }),
        }
    }
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
    use crate::credentials::{BuildCredentials, MemoryCredentials};
    use crate::ports::NoBuildRecords;

    /// A sweep's builds where CodeBuild knows none and no token is stored.
    fn no_builds() -> Builds<'static> {
        static TOKENS: std::sync::LazyLock<MemoryCredentials> =
            std::sync::LazyLock::new(MemoryCredentials::default);
        Builds { tracker: &NoBuildRecords, credentials: &*TOKENS }
    }
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

        let report = sweep(&store, &queue, no_builds(), SweepOptions::default()).await;

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

        let again = sweep(&store, &queue, no_builds(), SweepOptions::default()).await;
        assert!(again.requeued.is_empty(), "a just re-queued deployment is not stalled: {again:?}");
    }

    #[tokio::test]
    async fn a_failed_requeue_is_reported_with_its_queue_error_as_source() {
        let (store, queue) = (MemoryStore::default(), MemoryQueue::default());
        let stalled = inspecting(&store, 120, 0).await;
        queue.set_failing(true);

        let report = sweep(&store, &queue, no_builds(), SweepOptions::default()).await;

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

    /// A CodeBuild that knows some builds and reports them in reverse order of the ids asked.
    struct Known(Vec<crate::ports::BuildReport>);

    #[async_trait::async_trait]
    impl BuildTracker for Known {
        async fn lookup(
            &self,
            ids: &[String],
        ) -> Result<crate::ports::BuildLookup, crate::ports::BuildError> {
            let mut lookup = crate::ports::BuildLookup::default();
            for id in ids.iter().rev() {
                match self.0.iter().find(|b| &b.build_id == id) {
                    Some(build) => lookup.found.push(build.clone()),
                    None => lookup.not_found.push(id.clone()),
                }
            }
            Ok(lookup)
        }
    }

    async fn building(store: &MemoryStore, minutes_ago: i64, build_id: &str) -> Deployment {
        let mut d = inspecting(store, 0, 0).await;
        d.status = DeploymentStatus::Building;
        d.build_id = Some(build_id.into());
        d.updated_at = chrono::Utc::now() - chrono::Duration::minutes(minutes_ago);
        d.id = whaleray_shared::DeploymentId::generate();
        store.create(&d).await.unwrap();
        d
    }

    fn ended(build_id: &str, state: whaleray_shared::BuildState) -> crate::ports::BuildReport {
        crate::ports::BuildReport {
            build_id: build_id.into(),
            // The variables a build kept do not matter: the sweep knows its own builds.
            deployment: None,
            state,
            failed_phase: Some("INSTALL".into()).filter(|_| state != BuildState::Succeeded),
            phase_message: None,
            logs: None,
        }
    }

    use whaleray_shared::BuildState;

    #[tokio::test]
    async fn finished_builds_of_old_building_deployments_are_recorded_and_running_ones_left() {
        let (store, queue) = (MemoryStore::default(), MemoryQueue::default());
        let ok = building(&store, 60, "p:1").await;
        let failed = building(&store, 60, "p:2").await;
        let running = building(&store, 60, "p:3").await;
        let lost = building(&store, 60, "p:4").await;
        let fresh = building(&store, 1, "p:5").await;
        let tracker = Known(vec![
            ended("p:1", BuildState::Succeeded),
            ended("p:2", BuildState::TimedOut),
            ended("p:3", BuildState::InProgress),
            ended("p:5", BuildState::Succeeded),
        ]);

        let tokens = MemoryCredentials::default();
        let ids = [ok.id, failed.id, running.id, lost.id, fresh.id];
        for d in [&ok, &failed, &running, &lost, &fresh] {
            tokens.issue(d.id, d.installation_id, &d.repository).await.unwrap();
        }
        let builds = Builds { tracker: &tracker, credentials: &tokens };
        let report = sweep(&store, &queue, builds, SweepOptions::default()).await;

        assert!(report.errors.is_empty(), "{report:?}");
        let status = |d: &Deployment| {
            let store = &store;
            let id = d.id;
            async move { store.get(id).await.unwrap().unwrap() }
        };
        assert_eq!(status(&ok).await.status, DeploymentStatus::Succeeded);
        let failed = status(&failed).await;
        assert_eq!(failed.status, DeploymentStatus::BuildFailed);
        assert_eq!(failed.reason.as_deref(), Some("the build timed out in INSTALL"));
        assert_eq!(status(&running).await.status, DeploymentStatus::Building);
        assert_eq!(report.still_building, [running.id.to_string()]);
        let lost = status(&lost).await;
        assert_eq!(lost.status, DeploymentStatus::BuildFailed);
        assert!(lost.reason.unwrap().contains("no record of build p:4"));
        assert_eq!(status(&fresh).await.status, DeploymentStatus::Building, "under the threshold");
        assert_eq!(report.reconciled.len(), 3, "{report:?}");
        // The ended builds' tokens are gone; the running and the fresh ones keep theirs.
        let held: Vec<bool> = ids.iter().map(|id| tokens.holds(*id)).collect();
        assert_eq!(held, [false, false, true, false, true]);
        // A second sweep finds nothing more to end, and releasing again would be harmless.
        let again = sweep(&store, &queue, builds, SweepOptions::default()).await;
        assert!(again.reconciled.is_empty() && again.errors.is_empty(), "{again:?}");
        tokens.release(ok.id).await.unwrap();
    }

    #[tokio::test]
    async fn a_failed_token_delete_does_not_hold_back_reconciliation() {
        let (store, queue) = (MemoryStore::default(), MemoryQueue::default());
        let ok = building(&store, 60, "p:1").await;
        let tokens = MemoryCredentials::default();
        tokens.issue(ok.id, ok.installation_id, &ok.repository).await.unwrap();
        tokens.set_failing(true);
        let tracker = Known(vec![ended("p:1", BuildState::Succeeded)]);
        let builds = Builds { tracker: &tracker, credentials: &tokens };
        let report = sweep(&store, &queue, builds, SweepOptions::default()).await;
        assert_eq!(report.reconciled, [format!("{}: SUCCEEDED", ok.id)], "{report:?}");
        assert!(report.errors.is_empty(), "{report:?}");
        assert_eq!(store.get(ok.id).await.unwrap().unwrap().status, DeploymentStatus::Succeeded);
        assert_eq!((tokens.releases(), tokens.holds(ok.id)), (1, true));
    }
}
