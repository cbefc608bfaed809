//! A deployment canceled while its build is being started: the build must be stopped, never
//! left running for a deployment that is CANCELED.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::atomic::Ordering;

use chrono::Utc;
use common::{pinned_inputs, world};
use whaleray_shared::ports::DeploymentStore;
use whaleray_shared::{DeploymentStatus, StatusChange};
use whaleray_worker::process::{Outcome, inspect};

#[tokio::test]
async fn a_cancel_between_the_build_claim_and_the_building_write_stops_the_build() {
    let w = world(0, false).await;
    *w.builds.cancel_on_start.lock().unwrap() = Some(w.store.clone());
    let outcome = inspect(&w.deps, &w.job, 1).await.unwrap();
    assert_eq!(outcome, Outcome::AlreadySettled { status: DeploymentStatus::Canceled });
    assert_eq!(w.builds.starts.load(Ordering::SeqCst), 1);
    assert_eq!(*w.builds.stopped.lock().unwrap(), ["whaleray-build:1"]);
    let stored = w.stored().await;
    assert_eq!(stored.status, DeploymentStatus::Canceled);
    assert_eq!(stored.build_id, None, "the stopped build is not recorded as the deployment's");
}

#[tokio::test]
async fn a_redelivery_stops_the_build_a_dead_claim_holder_started_before_the_cancel() {
    let w = world(0, false).await;
    let id = w.job.deployment_id;
    // A worker claimed, started build 9 and died before recording BUILDING; then the owner
    // canceled.
    let until = Utc::now() + chrono::Duration::seconds(60);
    w.store.claim_build(id, "dead-worker", until, &pinned_inputs()).await.unwrap();
    w.builds.started.lock().unwrap().insert(id, "whaleray-build:9".to_owned());
    let cancel = StatusChange::to(DeploymentStatus::Canceled);
    w.store.transition(id, DeploymentStatus::Inspecting, cancel).await.unwrap();

    let outcome = inspect(&w.deps, &w.job, 2).await.unwrap();
    assert_eq!(outcome, Outcome::AlreadySettled { status: DeploymentStatus::Canceled });
    assert_eq!(*w.builds.stopped.lock().unwrap(), ["whaleray-build:9"]);
    assert_eq!(w.builds.starts.load(Ordering::SeqCst), 0, "nothing new is started");
}

#[tokio::test]
async fn a_deployment_canceled_before_any_claim_is_dropped_without_a_build() {
    let w = world(0, false).await;
    let cancel = StatusChange::to(DeploymentStatus::Canceled);
    w.store.transition(w.job.deployment_id, DeploymentStatus::Inspecting, cancel).await.unwrap();
    let outcome = inspect(&w.deps, &w.job, 1).await.unwrap();
    assert_eq!(outcome, Outcome::AlreadySettled { status: DeploymentStatus::Canceled });
    assert_eq!(w.builds.starts.load(Ordering::SeqCst), 0);
    assert!(w.builds.stopped.lock().unwrap().is_empty());
}
