//! `POST /deployments/{id}/cancel` against the emulator and the fake CodeBuild: a cancel while
//! INSPECTING means no build ever starts, a cancel while BUILDING stops the build (STOPPED in
//! CodeBuild) and ends CANCELED, and a build that already ended keeps its outcome.

use http::{Method, StatusCode};
use serde_json::Value;
use whaleray_tests::codebuild::Verdict;

use crate::helpers::{TestApp, USER, eventually, vite_repo};

async fn cancel(app: &TestApp, id: &str, user: &str) -> (StatusCode, Value) {
    app.call(Method::POST, &format!("/deployments/{id}/cancel"), Some(user), None).await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cancel_while_inspecting_ends_canceled_and_no_build_ever_starts() {
    let app = TestApp::spawn().await;
    app.github.add_repo(vite_repo("acme/site"));
    let id = app.deploy("acme/site", None).await;

    let (status, body) = cancel(&app, &id, "someone-else").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("deployment_not_found"))
    );
    let (status, body) = cancel(&app, &id, USER).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "CANCELED", "{body}");

    // The job is still queued: the worker meets a CANCELED deployment and drops it.
    app.drain_queue().await;
    assert_eq!(app.deployment(&id).await["status"], "CANCELED");
    assert!(app.builds().await.is_empty(), "no build for a canceled deployment");

    let (status, body) = cancel(&app, &id, USER).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(
        (body["code"].as_str(), body["status"].as_str()),
        (Some("deployment_final"), Some("CANCELED"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cancel_while_building_stops_the_build_and_ends_canceled() {
    let app = TestApp::spawn().await;
    app.github.add_repo(vite_repo("acme/slow"));
    // The build runs until its timeout unless stopped.
    app.codebuild.set_verdict("acme/slow", Verdict::TimeOut);
    let id = app.deploy("acme/slow", None).await;
    let (building, _) = app.run_worker_until_settled(&id).await;
    assert_eq!(building["status"], "BUILDING", "{building}");
    let build_id = building["buildId"].as_str().unwrap().to_owned();

    let (status, body) = cancel(&app, &id, USER).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "CANCELED", "{body}");
    assert!(body["reason"].as_str().unwrap().contains("stopped"), "{body}");
    eventually(|| async { app.codebuild.status(&build_id) == Some("STOPPED") }).await;
    assert_eq!(app.codebuild.status(&build_id), Some("STOPPED"));

    // The build's events, its STOPPED one included, reach the worker and change nothing.
    let events = app.codebuild.take_events();
    let stopped = |e: &Value| e["detail"]["build-status"] == "STOPPED";
    assert!(events.iter().any(stopped), "{events:?}");
    let credentials = app.deps.credentials.as_ref();
    whaleray_worker::event_feed::deliver(app.store.as_ref(), credentials, events).await;
    assert_eq!(app.deployment(&id).await["status"], "CANCELED");
    assert_eq!(app.builds().await, [build_id], "one build, stopped");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_build_that_already_ended_keeps_its_outcome() {
    let app = TestApp::spawn().await;
    app.github.add_repo(vite_repo("acme/quick"));
    let id = app.deploy("acme/quick", None).await;
    let (building, _) = app.run_worker_until_settled(&id).await;
    let build_id = building["buildId"].as_str().unwrap().to_owned();
    eventually(|| async { app.codebuild.status(&build_id) == Some("SUCCEEDED") }).await;

    // No event has been recorded yet: the deployment is still BUILDING, CodeBuild refuses
    // to stop a completed build, and nothing is written.
    let (status, body) = cancel(&app, &id, USER).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(
        (body["code"].as_str(), body["status"].as_str()),
        (Some("build_already_ended"), Some("BUILDING"))
    );
    assert_eq!(app.codebuild.status(&build_id), Some("SUCCEEDED"));

    let (credentials, events) = (app.deps.credentials.as_ref(), app.codebuild.take_events());
    whaleray_worker::event_feed::deliver(app.store.as_ref(), credentials, events).await;
    assert_eq!(app.deployment(&id).await["status"], "SUCCEEDED");
    let (status, body) = cancel(&app, &id, USER).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(
        (body["code"].as_str(), body["status"].as_str()),
        (Some("deployment_final"), Some("SUCCEEDED"))
    );
}
