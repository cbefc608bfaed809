//! Inspection over in-memory ports: the retry, last-attempt, duplicate and recovery rules,
//! proven without the emulator.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::atomic::Ordering;

use chrono::Utc;
use common::{pinned_inputs, world};
use whaleray_shared::job::InspectionJob;
use whaleray_shared::ports::DeploymentStore;
use whaleray_shared::{
    CommitSha, Deployment, DeploymentId, DeploymentStatus, GitRef, InstallationId, RepoFullName,
    StatusChange, UserId,
};
use whaleray_worker::process::{Outcome, inspect};

#[tokio::test]
async fn a_retryable_failure_keeps_inspecting_and_records_the_attempt() {
    let w = world(1, false).await;
    let retry = inspect(&w.deps, &w.job, 1).await.unwrap_err();
    assert!(retry.error.reason().contains("502"), "{retry:?}");
    let stored = w.stored().await;
    assert_eq!(stored.status, DeploymentStatus::Inspecting);
    assert_eq!(stored.attempts, 1);
    assert!(stored.last_error.unwrap().contains("502"));

    let outcome = inspect(&w.deps, &w.job, 2).await.unwrap();
    assert!(matches!(outcome, Outcome::Building { .. }), "{outcome:?}");
}

#[tokio::test]
async fn the_last_attempt_marks_failed_and_sends_the_message_on_to_the_dead_letter_queue() {
    let w = world(10, false).await;
    let outcome = inspect(&w.deps, &w.job, 3).await.unwrap();
    let Outcome::GaveUp { reason } = outcome else { panic!("{outcome:?}") };
    assert!(reason.contains("gave up after 3 attempts"), "{reason}");
    let stored = w.stored().await;
    assert_eq!(stored.status, DeploymentStatus::Failed);
    assert_eq!(stored.reason.as_deref(), Some(reason.as_str()));
}

#[tokio::test]
async fn a_permanent_failure_fails_at_once_with_a_readable_reason() {
    let w = world(0, true).await;
    let outcome = inspect(&w.deps, &w.job, 1).await.unwrap();
    let Outcome::Failed { reason } = outcome else { panic!("{outcome:?}") };
    assert!(reason.contains("could not find"), "{reason}");
    assert_eq!(w.stored().await.status, DeploymentStatus::Failed);
    assert_eq!(w.builds.starts.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_commit_pinned_at_creation_is_built_without_resolving_the_branch() {
    // This GitHub cannot resolve a branch: only a deployment pinned to a commit gets past it.
    let w = world(0, true).await;
    let pinned = CommitSha::parse(&"c".repeat(40)).unwrap();
    let deployment = Deployment::new(
        UserId::parse("u").unwrap(),
        RepoFullName::parse("acme/site").unwrap(),
        Some(GitRef::parse("main").unwrap()),
        InstallationId::new(1).unwrap(),
    )
    .pinned_to(pinned.clone());
    w.store.create(&deployment).await.unwrap();
    let outcome = inspect(&w.deps, &InspectionJob::for_deployment(&deployment), 1).await.unwrap();
    assert!(matches!(outcome, Outcome::Building { .. }), "{outcome:?}");
    let stored = w.store.get(deployment.id).await.unwrap().unwrap();
    assert_eq!(stored.commit_sha, Some(pinned));
    assert_eq!(stored.status, DeploymentStatus::Building);
}

#[tokio::test]
async fn concurrent_duplicates_start_exactly_one_build() {
    let w = world(0, false).await;
    let outcomes = futures::future::join_all((0..8).map(|_| inspect(&w.deps, &w.job, 1))).await;
    assert_eq!(w.builds.starts.load(Ordering::SeqCst), 1, "{outcomes:?}");
    let building = outcomes.iter().filter(|o| matches!(o, Ok(Outcome::Building { .. }))).count();
    assert_eq!(building, 1, "{outcomes:?}");
    assert_eq!(w.stored().await.status, DeploymentStatus::Building);
    // A late duplicate is absorbed.
    let late = inspect(&w.deps, &w.job, 1).await.unwrap();
    assert_eq!(late, Outcome::AlreadySettled { status: DeploymentStatus::Building });
}

#[tokio::test]
async fn each_start_names_the_deployments_own_token_parameter_minted_right_before_it() {
    let w = world(1, false).await;
    // The first attempt fails at GitHub, before any build: no token is minted for it.
    inspect(&w.deps, &w.job, 1).await.unwrap_err();
    assert!(w.credentials.issued.lock().unwrap().is_empty());
    let outcome = inspect(&w.deps, &w.job, 2).await.unwrap();
    assert!(matches!(outcome, Outcome::Building { .. }), "{outcome:?}");
    assert_eq!(*w.credentials.issued.lock().unwrap(), vec![w.job.deployment_id]);
    let named = w.builds.token_parameters.lock().unwrap().clone();
    assert_eq!(named, vec![format!("/test/build-tokens/{}", w.job.deployment_id)]);
}

#[tokio::test]
async fn a_build_started_by_a_worker_that_died_is_recovered_not_started_again() {
    let w = world(0, false).await;
    // A worker claimed the deployment, started the build, and died before recording it.
    let lapsed = Utc::now() - chrono::Duration::minutes(1);
    w.store
        .claim_build(w.job.deployment_id, "dead-worker", lapsed, &pinned_inputs())
        .await
        .unwrap();
    w.builds.started.lock().unwrap().insert(w.job.deployment_id, "whaleray-build:lost".into());

    let outcome = inspect(&w.deps, &w.job, 2).await.unwrap();
    assert_eq!(outcome, Outcome::Building { build_id: "whaleray-build:lost".into() });
    assert_eq!(w.builds.starts.load(Ordering::SeqCst), 0, "no second StartBuild");
    assert_eq!(w.stored().await.build_id.as_deref(), Some("whaleray-build:lost"));
}

#[tokio::test]
async fn a_live_claim_makes_a_duplicate_wait_instead_of_building() {
    let w = world(0, false).await;
    let until = Utc::now() + chrono::Duration::minutes(2);
    w.store.claim_build(w.job.deployment_id, "busy-worker", until, &pinned_inputs()).await.unwrap();
    let retry = inspect(&w.deps, &w.job, 1).await.unwrap_err();
    assert!(retry.wait.is_some(), "{retry:?}");
    assert_eq!(w.builds.starts.load(Ordering::SeqCst), 0);
    assert_eq!(w.stored().await.status, DeploymentStatus::Inspecting);
}

#[tokio::test]
async fn a_duplicate_whose_claim_holder_records_building_meanwhile_is_absorbed_in_place() {
    let w = world(0, false).await;
    let id = w.job.deployment_id;
    let until = Utc::now() + chrono::Duration::minutes(2);
    w.store.claim_build(id, "live-worker", until, &pinned_inputs()).await.unwrap();
    let holder = {
        let store = w.store.clone();
        async move {
            tokio::time::sleep(std::time::Duration::from_millis(600)).await;
            let change = StatusChange {
                build_id: Some("whaleray-build:holder".into()),
                ..StatusChange::to(DeploymentStatus::Building)
            };
            store.transition(id, DeploymentStatus::Inspecting, change).await.unwrap();
        }
    };
    // A later delivery (receive count 2): before, it went back to the queue for 65 s.
    let (outcome, ()) = tokio::join!(inspect(&w.deps, &w.job, 2), holder);
    assert_eq!(outcome.unwrap(), Outcome::AlreadySettled { status: DeploymentStatus::Building });
    assert_eq!(w.builds.starts.load(Ordering::SeqCst), 0, "the duplicate started nothing");
}

#[tokio::test]
async fn a_duplicates_last_delivery_never_fails_a_deployment_another_worker_is_building() {
    let w = world(0, false).await;
    let until = Utc::now() + chrono::Duration::minutes(2);
    w.store.claim_build(w.job.deployment_id, "busy-worker", until, &pinned_inputs()).await.unwrap();
    let last = w.deps.max_receive_count;
    let retry = inspect(&w.deps, &w.job, last).await.unwrap_err();
    assert!(retry.error.reason().contains("another worker"), "{retry:?}");
    let stored = w.stored().await;
    assert_eq!(stored.status, DeploymentStatus::Inspecting);
    assert_eq!(stored.attempts, 0, "waiting for a claim is not a failed attempt");
}

#[tokio::test]
async fn a_build_refused_for_good_after_its_token_was_stored_releases_the_token() {
    let w = world(0, false).await;
    w.builds.refuse.store(true, Ordering::SeqCst);
    let outcome = inspect(&w.deps, &w.job, 1).await.unwrap();
    let Outcome::Failed { reason } = outcome else { panic!("{outcome:?}") };
    assert!(reason.contains("the build could not be started"), "{reason}");
    assert_eq!(*w.credentials.issued.lock().unwrap(), vec![w.job.deployment_id]);
    assert_eq!(*w.credentials.released.lock().unwrap(), vec![w.job.deployment_id]);
}

#[tokio::test]
async fn a_deployment_failed_before_any_build_step_releases_nothing() {
    let w = world(0, true).await;
    let outcome = inspect(&w.deps, &w.job, 1).await.unwrap();
    assert!(matches!(outcome, Outcome::Failed { .. }), "{outcome:?}");
    assert!(w.credentials.released.lock().unwrap().is_empty(), "no token was ever stored");
}

#[tokio::test]
async fn a_canceled_deployment_that_held_a_claim_releases_its_token_when_its_job_meets_it() {
    let w = world(0, false).await;
    let lapsed = Utc::now() - chrono::Duration::minutes(1);
    w.store
        .claim_build(w.job.deployment_id, "dead-worker", lapsed, &pinned_inputs())
        .await
        .unwrap();
    let canceled = whaleray_shared::StatusChange::to(DeploymentStatus::Canceled);
    w.store.transition(w.job.deployment_id, DeploymentStatus::Inspecting, canceled).await.unwrap();
    let outcome = inspect(&w.deps, &w.job, 2).await.unwrap();
    assert_eq!(outcome, Outcome::AlreadySettled { status: DeploymentStatus::Canceled });
    assert_eq!(*w.credentials.released.lock().unwrap(), vec![w.job.deployment_id]);
    assert_eq!(w.builds.starts.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_message_for_a_missing_deployment_is_dropped() {
    let w = world(0, false).await;
    let mut job = w.job.clone();
    job.deployment_id = DeploymentId::generate();
    assert_eq!(inspect(&w.deps, &job, 1).await.unwrap(), Outcome::Missing);
}
