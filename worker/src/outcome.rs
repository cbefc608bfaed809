//! A build's end, recorded on its deployment: the one place both sources of build states (the
//! "CodeBuild Build State Change" events and the sweep's reconciliation) go through.
//!
//! The write is conditional on BUILDING, so a late, repeated or reordered report can never
//! move a deployment backwards or change an outcome already recorded: whichever report of a
//! finished build arrives first wins, and every later one is acknowledged and ignored.
//!
//! A finished build no longer needs its clone token: the deployment's SSM parameter is
//! deleted ([`ReleaseCredentials::release`]) once the status is written, and again on any
//! later report of that build finding the deployment settled (a delete that failed is retried
//! by the next duplicate event or sweep; one already gone is no error). A failed delete never
//! holds back the status: it is logged, and the token, an installation token, lapses on its
//! own within the hour GitHub gives it.

use whaleray_shared::error::{Chain, StoreError};
use whaleray_shared::ports::DeploymentStore;
use whaleray_shared::{DeploymentId, DeploymentStatus, StatusChange};

use crate::ports::{BuildReport, ReleaseCredentials, build_id_of};

/// What recording a build report did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// The deployment moved from BUILDING to this status.
    Moved(DeploymentStatus),
    /// Nothing changed, and nothing will on a retry.
    Ignored(Ignored),
}

/// Why a report changed nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ignored {
    /// The build names no deployment (not one of ours), or one the table does not hold.
    UnknownBuild,
    /// The deployment records another build (a stray build of the same deployment).
    OtherBuild,
    /// The build is still running.
    StillRunning,
    /// The deployment is not BUILDING: already settled (final), or not yet recorded as
    /// BUILDING (the reconciliation pass will look again later).
    NotBuilding(DeploymentStatus),
}

/// Records `report` on its deployment if it ends the deployment's build, then releases the
/// build's clone token from `credentials` (see the module's documentation).
#[tracing::instrument(skip_all, fields(build_id = %report.build_id, state = report.state.as_str()))]
pub async fn record(
    store: &dyn DeploymentStore,
    credentials: &dyn ReleaseCredentials,
    report: &BuildReport,
) -> Result<Recorded, StoreError> {
    let recorded = record_status(store, report).await?;
    let ended = match recorded {
        Recorded::Moved(_) => true,
        // A finished build of this deployment, reported again: its token may still be there
        // if the first release failed. A deployment not yet recorded BUILDING keeps its token
        // (its worker may yet start the build under the same idempotency token).
        Recorded::Ignored(Ignored::NotBuilding(status)) => {
            status.is_final() || status == DeploymentStatus::Failed
        }
        Recorded::Ignored(_) => false,
    };
    if let (true, Some(id)) = (ended, report.deployment) {
        release(credentials, id).await;
    }
    Ok(recorded)
}

/// Releases `deployment`'s clone token, logging a failure (never returned: the status a
/// caller is writing does not wait on SSM).
pub async fn release(credentials: &dyn ReleaseCredentials, deployment: DeploymentId) {
    if let Err(e) = credentials.release(deployment).await {
        tracing::warn!(
            deployment_id = %deployment,
            error = %Chain(&e),
            "could not delete the build's clone token; a later report retries, and the token lapses within the hour"
        );
    }
}

/// The status half of [`record`].
async fn record_status(
    store: &dyn DeploymentStore,
    report: &BuildReport,
) -> Result<Recorded, StoreError> {
    let ignored = |why| Ok(Recorded::Ignored(why));
    let Some(id) = report.deployment else { return ignored(Ignored::UnknownBuild) };
    let Some(deployment) = store.get(id).await? else { return ignored(Ignored::UnknownBuild) };
    let reported = build_id_of(&report.build_id);
    if deployment.build_id.as_deref().is_some_and(|own| build_id_of(own) != reported) {
        return ignored(Ignored::OtherBuild);
    }
    let Some(to) = report.state.deployment_status() else {
        return ignored(Ignored::StillRunning);
    };
    if deployment.status != DeploymentStatus::Building {
        return ignored(Ignored::NotBuilding(deployment.status));
    }
    let outcome = report.outcome();
    let change = StatusChange {
        reason: outcome.reason(report.phase_message.as_deref()),
        outcome: Some(outcome),
        ..StatusChange::to(to)
    };
    match store.transition(id, DeploymentStatus::Building, change).await {
        Ok(_) => {
            tracing::info!(deployment_id = %id, status = %to, "build outcome recorded");
            Ok(Recorded::Moved(to))
        }
        // Another report, or a cancel, settled it first.
        Err(StoreError::Conflict { actual, .. }) => ignored(Ignored::NotBuilding(actual)),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::{BuildCredentials, MemoryCredentials};
    use whaleray_shared::testing::MemoryStore;
    use whaleray_shared::{
        BuildLogs, BuildState, Deployment, DeploymentId, InstallationId, RepoFullName, UserId,
    };

    async fn building(store: &MemoryStore, build_id: &str) -> Deployment {
        let mut d = Deployment::new(
            UserId::parse("u").unwrap(),
            RepoFullName::parse("a/b").unwrap(),
            None,
            InstallationId::new(1).unwrap(),
        );
        d.status = DeploymentStatus::Building;
        d.build_id = Some(build_id.into());
        store.create(&d).await.unwrap();
        d
    }

    fn report(d: Option<DeploymentId>, build_id: &str, state: BuildState) -> BuildReport {
        BuildReport {
            build_id: build_id.into(),
            deployment: d,
            state,
            failed_phase: (state == BuildState::Failed).then(|| "BUILD".into()),
            phase_message: Some("COMMAND_EXECUTION_ERROR: exit status 1".into()),
            logs: Some(BuildLogs { group: "g".into(), stream: "s".into(), link: None }),
        }
    }

    #[tokio::test]
    async fn a_failed_build_moves_the_deployment_with_phase_logs_and_reason() {
        let (store, tokens) = (MemoryStore::default(), MemoryCredentials::default());
        let d = building(&store, "p:1").await;
        let arn = "arn:aws:codebuild:us-east-1:1:build/p:1";
        let recorded = record(&store, &tokens, &report(Some(d.id), arn, BuildState::Failed)).await;
        assert_eq!(recorded.unwrap(), Recorded::Moved(DeploymentStatus::BuildFailed));
        let stored = store.get(d.id).await.unwrap().unwrap();
        assert_eq!(stored.status, DeploymentStatus::BuildFailed);
        let outcome = stored.outcome.unwrap();
        assert_eq!(outcome.failed_phase.as_deref(), Some("BUILD"));
        assert_eq!(outcome.logs.unwrap().group, "g");
        assert_eq!(
            stored.reason.as_deref(),
            Some("the build failed in BUILD: COMMAND_EXECUTION_ERROR: exit status 1")
        );
    }

    #[tokio::test]
    async fn late_repeated_and_foreign_reports_change_nothing() {
        let (store, tokens) = (MemoryStore::default(), MemoryCredentials::default());
        let d = building(&store, "p:1").await;
        let done = report(Some(d.id), "p:1", BuildState::Succeeded);
        assert_eq!(
            record(&store, &tokens, &done).await.unwrap(),
            Recorded::Moved(DeploymentStatus::Succeeded)
        );
        let cases = [
            (done.clone(), Ignored::NotBuilding(DeploymentStatus::Succeeded)),
            (
                report(Some(d.id), "p:1", BuildState::Failed),
                Ignored::NotBuilding(DeploymentStatus::Succeeded),
            ),
            (report(Some(d.id), "p:1", BuildState::InProgress), Ignored::StillRunning),
            (report(Some(d.id), "p:2", BuildState::Failed), Ignored::OtherBuild),
            (report(None, "p:1", BuildState::Failed), Ignored::UnknownBuild),
            (
                report(Some(DeploymentId::generate()), "p:1", BuildState::Failed),
                Ignored::UnknownBuild,
            ),
        ];
        for (report, why) in cases {
            assert_eq!(
                record(&store, &tokens, &report).await.unwrap(),
                Recorded::Ignored(why),
                "{report:?}"
            );
        }
        let stored = store.get(d.id).await.unwrap().unwrap();
        assert_eq!((stored.status, stored.reason), (DeploymentStatus::Succeeded, None));
    }

    #[tokio::test]
    async fn an_in_progress_report_before_the_end_leaves_it_building() {
        let (store, tokens) = (MemoryStore::default(), MemoryCredentials::default());
        let d = building(&store, "p:1").await;
        let running = report(Some(d.id), "p:1", BuildState::InProgress);
        assert_eq!(
            record(&store, &tokens, &running).await.unwrap(),
            Recorded::Ignored(Ignored::StillRunning)
        );
        let stopped = report(Some(d.id), "p:1", BuildState::Stopped);
        assert_eq!(
            record(&store, &tokens, &stopped).await.unwrap(),
            Recorded::Moved(DeploymentStatus::Canceled)
        );
    }

    /// Stores a token for `d`, as the worker did before StartBuild.
    async fn issued(tokens: &MemoryCredentials, d: &Deployment) {
        tokens.issue(d.id, d.installation_id, &d.repository).await.unwrap();
        assert!(tokens.holds(d.id));
    }

    #[tokio::test]
    async fn a_finished_build_deletes_its_token_and_a_repeated_report_deletes_harmlessly() {
        let (store, tokens) = (MemoryStore::default(), MemoryCredentials::default());
        let d = building(&store, "p:1").await;
        issued(&tokens, &d).await;
        let done = report(Some(d.id), "p:1", BuildState::Succeeded);
        assert_eq!(
            record(&store, &tokens, &done).await.unwrap(),
            Recorded::Moved(DeploymentStatus::Succeeded)
        );
        assert!(!tokens.holds(d.id), "the ended build's token is deleted");
        assert_eq!(
            record(&store, &tokens, &done).await.unwrap(),
            Recorded::Ignored(Ignored::NotBuilding(DeploymentStatus::Succeeded))
        );
        assert_eq!(tokens.releases(), 2, "the duplicate released again, without error");
    }

    #[tokio::test]
    async fn a_failed_delete_does_not_hold_back_the_status_and_a_later_report_retries_it() {
        let (store, tokens) = (MemoryStore::default(), MemoryCredentials::default());
        let d = building(&store, "p:1").await;
        issued(&tokens, &d).await;
        tokens.set_failing(true);
        let failed = report(Some(d.id), "p:1", BuildState::Failed);
        assert_eq!(
            record(&store, &tokens, &failed).await.unwrap(),
            Recorded::Moved(DeploymentStatus::BuildFailed)
        );
        assert_eq!(store.get(d.id).await.unwrap().unwrap().status, DeploymentStatus::BuildFailed);
        assert!(tokens.holds(d.id), "the outage kept it");
        tokens.set_failing(false);
        record(&store, &tokens, &failed).await.unwrap();
        assert!(!tokens.holds(d.id), "the repeated report deleted it");
    }

    #[tokio::test]
    async fn running_foreign_and_not_yet_recorded_builds_keep_the_token() {
        let (store, tokens) = (MemoryStore::default(), MemoryCredentials::default());
        let d = building(&store, "p:1").await;
        issued(&tokens, &d).await;
        let mut inspecting = Deployment::new(
            UserId::parse("u").unwrap(),
            RepoFullName::parse("a/c").unwrap(),
            None,
            InstallationId::new(1).unwrap(),
        );
        inspecting.id = DeploymentId::generate();
        store.create(&inspecting).await.unwrap();
        issued(&tokens, &inspecting).await;
        for report in [
            report(Some(d.id), "p:1", BuildState::InProgress),
            report(Some(d.id), "p:2", BuildState::Failed),
            // Its worker has not yet recorded BUILDING: it may still need the token.
            report(Some(inspecting.id), "p:9", BuildState::Succeeded),
        ] {
            record(&store, &tokens, &report).await.unwrap();
        }
        assert!(tokens.holds(d.id) && tokens.holds(inspecting.id));
        assert_eq!(tokens.releases(), 0);
    }
}
