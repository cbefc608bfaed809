//! Builds to their end: the fake CodeBuild's state-change events (repeated, reordered, or all
//! lost) reach the worker's event handler, and the sweep's reconciliation records what the
//! events did not. Either way the build's clone token (an SSM parameter in the emulator) is
//! deleted when its end is recorded.

use std::time::Duration;

use whaleray_shared::ports::DeploymentStore;
use whaleray_tests::codebuild::{EventFaults, FakeCodeBuildOptions, Verdict};
use whaleray_worker::sweep::{SweepOptions, sweep};

use crate::helpers::{TestApp, eventually, vite_repo};

/// Deploys one passing and one failing repository with a worker running, and waits until
/// both are BUILDING or further.
async fn deploy_pass_and_fail(app: &TestApp) -> (String, String) {
    app.github.add_repo(vite_repo("acme/passes"));
    app.github.add_repo(vite_repo("acme/breaks"));
    app.codebuild.set_verdict(
        "acme/breaks",
        Verdict::Fail {
            phase: "BUILD",
            message: "Error while executing command: npm run build. Reason: exit status 1".into(),
        },
    );
    let worker = app.start_worker();
    let passes = app.deploy("acme/passes", None).await;
    let breaks = app.deploy("acme/breaks", None).await;
    eventually(|| async {
        app.deployment(&passes).await["status"] != "INSPECTING"
            && app.deployment(&breaks).await["status"] != "INSPECTING"
    })
    .await;
    worker.stop().await;
    (passes, breaks)
}

/// Whether the emulator's SSM still holds `deployment`'s clone token.
async fn token_stored(app: &TestApp, deployment: &str) -> bool {
    let name = format!("{}/{deployment}", app.stack.token_prefix);
    match app.emulator.ssm.get_parameter().name(&name).with_decryption(true).send().await {
        Ok(found) => found.parameter.is_some(),
        Err(e) if e.as_service_error().is_some_and(|e| e.is_parameter_not_found()) => false,
        Err(e) => panic!("ssm:GetParameter {name}: {e:?}"),
    }
}

/// A second release of an ended build's token (SSM answers `ParameterNotFound`) is no error.
async fn release_again(app: &TestApp, deployment: &str) {
    let id = deployment.parse().unwrap();
    whaleray_worker::credentials::ReleaseCredentials::release(app.deps.credentials.as_ref(), id)
        .await
        .unwrap();
}

fn assert_failed_in_build(body: &serde_json::Value) {
    assert_eq!(body["status"], "BUILD_FAILED", "{body}");
    let outcome = &body["buildOutcome"];
    assert_eq!(outcome["buildStatus"], "FAILED", "{body}");
    assert_eq!(outcome["failedPhase"], "BUILD", "{body}");
    assert!(outcome["logs"]["group"].as_str().unwrap().starts_with("/aws/codebuild/"), "{body}");
    assert!(!outcome["logs"]["stream"].as_str().unwrap().is_empty(), "{body}");
    assert!(outcome["logs"]["link"].as_str().unwrap().starts_with("https://"), "{body}");
    assert!(body["reason"].as_str().unwrap().contains("exit status 1"), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn repeated_and_reordered_events_end_each_deployment_once_with_its_outcome() {
    let faults = EventFaults { duplicate_every: Some(2), reorder_every: Some(3), drop_every: None };
    let app = TestApp::spawn_with_codebuild(FakeCodeBuildOptions {
        event_faults: faults,
        ..FakeCodeBuildOptions::default()
    })
    .await;
    let feed = app.start_event_feed();
    let (passes, breaks) = deploy_pass_and_fail(&app).await;

    // Four events (two builds, IN_PROGRESS then final): the third is held back and
    // delivered after the fourth, every second one twice.
    eventually(|| async {
        app.deployment(&passes).await["status"] == "SUCCEEDED"
            && app.deployment(&breaks).await["status"] == "BUILD_FAILED"
    })
    .await;
    feed.abort();

    let ok = app.deployment(&passes).await;
    assert_eq!(ok["status"], "SUCCEEDED", "{ok}");
    assert_eq!(ok["buildOutcome"]["buildStatus"], "SUCCEEDED", "{ok}");
    assert_eq!(ok["reason"], serde_json::Value::Null);
    assert_failed_in_build(&app.deployment(&breaks).await);
    assert_eq!(app.builds().await.len(), 2, "one build per deployment");
    // The event path deleted both tokens (right after writing the status).
    eventually(|| async {
        !token_stored(&app, &passes).await && !token_stored(&app, &breaks).await
    })
    .await;
    release_again(&app, &passes).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn with_every_event_lost_the_sweep_still_ends_every_build() {
    let faults = EventFaults { drop_every: Some(1), ..EventFaults::default() };
    let app = TestApp::spawn_with_codebuild(FakeCodeBuildOptions {
        event_faults: faults,
        ..FakeCodeBuildOptions::default()
    })
    .await;
    let feed = app.start_event_feed();
    let (passes, breaks) = deploy_pass_and_fail(&app).await;
    let builds = app.builds().await;
    eventually(|| async {
        builds.iter().all(|b| app.codebuild.status(b).is_some_and(|s| s != "IN_PROGRESS"))
    })
    .await;
    assert_eq!(app.deployment(&passes).await["status"], "BUILDING", "no event reached it");
    assert!(app.codebuild.dropped_events() > 0);
    assert!(token_stored(&app, &passes).await && token_stored(&app, &breaks).await);

    let options = SweepOptions { building_older_than: Duration::ZERO, ..SweepOptions::default() };
    let queue =
        whaleray_shared::sqs::SqsJobQueue::new(app.emulator.sqs.clone(), &app.stack.queue_url);
    let report =
        sweep(app.store.as_ref(), &queue, whaleray_worker::sweep::Builds::of(&app.deps), options)
            .await;
    feed.abort();

    assert!(report.errors.is_empty(), "{report:?}");
    assert_eq!(report.reconciled.len(), 2, "{report:?}");
    assert_eq!(app.deployment(&passes).await["status"], "SUCCEEDED");
    assert_failed_in_build(&app.deployment(&breaks).await);
    let still = app.store.list_building(chrono::Utc::now(), 100).await.unwrap();
    assert!(still.is_empty(), "left BUILDING: {still:?}");
    // The reconciliation deleted both tokens before it returned.
    assert!(!token_stored(&app, &passes).await && !token_stored(&app, &breaks).await);
    release_again(&app, &breaks).await;

    let again =
        sweep(app.store.as_ref(), &queue, whaleray_worker::sweep::Builds::of(&app.deps), options)
            .await;
    assert!(again.reconciled.is_empty() && again.errors.is_empty(), "{again:?}");
}
