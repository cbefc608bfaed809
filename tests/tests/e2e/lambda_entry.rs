//! Both Lambda entry points fed with real API Gateway v2 and SQS event JSON.

use std::sync::Arc;

use aws_lambda_events::event::sqs::SqsEvent;
use axum::body::Body;
use http::StatusCode;
use secrecy::SecretString;
use tower::ServiceExt;
use whaleray_api::auth::Authenticator;
use whaleray_api::{AppState, router};
use whaleray_shared::dynamo::{
    DynamoAppInstallations, DynamoDeliveryLog, DynamoIdempotency, DynamoInstallations,
    DynamoRateLimits,
};
use whaleray_shared::sqs::SqsJobQueue;
use whaleray_worker::batch::{BatchOptions, handle_batch};

use crate::helpers::{FRONTEND, TestApp, USER, WEBHOOK_SECRET, test_limits, vite_repo};

/// A batch with a minute to run, as a fresh invocation of the 60 s function has.
fn batch_options(retries: Option<&whaleray_worker::visibility::Retries>) -> BatchOptions<'_> {
    BatchOptions {
        retries,
        deadline: tokio::time::Instant::now() + std::time::Duration::from_secs(55),
        per_message: std::time::Duration::from_secs(50),
        concurrency: 10,
    }
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(whaleray_tests::fixtures_dir().join("events").join(name)).unwrap()
}

/// The API router as the Lambda binary builds it: identity from API Gateway's authorizer.
fn lambda_router(app: &TestApp) -> axum::Router {
    router(Arc::new(AppState {
        store: app.store.clone(),
        installations: Arc::new(DynamoInstallations::new(
            app.emulator.dynamo.clone(),
            &app.stack.installations_table,
        )),
        app_installations: Arc::new(DynamoAppInstallations::new(
            app.emulator.dynamo.clone(),
            &app.stack.app_installations_table,
        )),
        deliveries: Arc::new(DynamoDeliveryLog::new(
            app.emulator.dynamo.clone(),
            &app.stack.deliveries_table,
        )),
        projects: Arc::new(whaleray_shared::dynamo::DynamoProjects::new(
            app.emulator.dynamo.clone(),
            &app.stack.projects_table,
        )),
        webhook_secret: SecretString::from(WEBHOOK_SECRET),
        github_users: None,
        queue: Arc::new(SqsJobQueue::new(app.emulator.sqs.clone(), &app.stack.queue_url)),
        builds: Arc::new(whaleray_api::builds::CodeBuildStopper::new(app.codebuild_client.clone())),
        idempotency: Arc::new(DynamoIdempotency::new(
            app.emulator.dynamo.clone(),
            &app.stack.api_state_table,
        )),
        rate_limits: Arc::new(DynamoRateLimits::new(
            app.emulator.dynamo.clone(),
            &app.stack.api_state_table,
        )),
        limits: test_limits(),
        auth: Authenticator::ApiGateway,
        allowed_origins: vec![FRONTEND.parse().unwrap()],
    }))
}

async fn invoke(router: axum::Router, event: &str) -> (StatusCode, serde_json::Value) {
    let request = lambda_http::request::from_str(event).expect("API Gateway v2 event");
    let request = request.map(|body| Body::from(body.to_vec()));
    let response = router.oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
    (status, serde_json::from_slice(&bytes).unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn an_api_gateway_v2_event_is_served_as_the_authorizers_subject() {
    let app = TestApp::spawn().await;
    let (status, body) =
        invoke(lambda_router(&app), &fixture("apigw-v2-post-deployments.json")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["status"], "INSPECTING");
    let id = body["deploymentId"].as_str().unwrap();
    let stored = app.deployment(id).await;
    assert_eq!(stored["repository"], "acme/site", "stored for {USER}, the JWT subject");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_api_gateway_event_without_authorizer_claims_is_401() {
    let app = TestApp::spawn().await;
    let mut event: serde_json::Value =
        serde_json::from_str(&fixture("apigw-v2-post-deployments.json")).unwrap();
    event["requestContext"].as_object_mut().unwrap().remove("authorizer");
    let (status, body) = invoke(lambda_router(&app), &event.to_string()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "unauthenticated");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_sqs_event_reports_only_the_poison_message_as_failed() {
    let app = TestApp::spawn().await;
    app.github.add_repo(vite_repo("acme/site"));
    let id = app.deploy("acme/site", None).await;
    let message = app.receive_job().await;
    let job_body = message.body().unwrap();

    let mut event: serde_json::Value = serde_json::from_str(&fixture("sqs-batch.json")).unwrap();
    event["Records"][0]["body"] = serde_json::Value::String(job_body.to_owned());
    let event: SqsEvent = serde_json::from_value(event).unwrap();
    let response = handle_batch(&app.deps, event, batch_options(None)).await;

    let failed: Vec<_> =
        response.batch_item_failures.iter().map(|f| f.item_identifier.clone()).collect();
    assert_eq!(failed, ["2e1424d4-f796-459a-8184-9c92662be6da"]);
    let body = app.deployment(&id).await;
    assert_eq!(body["status"], "BUILDING", "{body}");
    let json = serde_json::to_value(&response).unwrap();
    assert_eq!(
        json["batchItemFailures"][0]["itemIdentifier"],
        "2e1424d4-f796-459a-8184-9c92662be6da"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lambda_retry_is_delayed_like_the_pollers_then_builds() {
    let app = TestApp::spawn().await;
    app.github.add_repo(vite_repo("acme/site"));
    app.github.inject(whaleray_tests::github::Fault {
        endpoint: "tree",
        status: 502,
        times: 1,
        headers: vec![],
    });
    let id = app.deploy("acme/site", None).await;
    let message = app.receive_job().await;
    let record = serde_json::json!({
        "messageId": message.message_id().unwrap(),
        "receiptHandle": message.receipt_handle().unwrap(),
        "body": message.body().unwrap(),
        "attributes": { "ApproximateReceiveCount": "1" },
        "messageAttributes": {},
        "eventSource": "aws:sqs",
    });
    let event: SqsEvent =
        serde_json::from_value(serde_json::json!({ "Records": [record] })).unwrap();
    let retries = whaleray_worker::visibility::Retries {
        queue: std::sync::Arc::new(whaleray_worker::queue::SqsConsumer::new(
            app.emulator.sqs.clone(),
            &app.stack.queue_url,
        )),
        base_backoff: std::time::Duration::from_secs(3),
    };

    let response = handle_batch(&app.deps, event, batch_options(Some(&retries))).await;
    assert_eq!(response.batch_item_failures.len(), 1);
    // Hidden for the backoff (3 to 4.5 s), not the queue's 30 s visibility timeout.
    assert_eq!(app.depth(&app.stack.queue_url).await, (0, 1));
    let started = std::time::Instant::now();
    crate::helpers::eventually(|| async { app.depth(&app.stack.queue_url).await.0 == 1 }).await;
    let hidden = started.elapsed();
    assert!(hidden < std::time::Duration::from_secs(10), "came back after {hidden:?}");
    let (body, _) = app.run_worker_until_settled(&id).await;
    assert_eq!(body["status"], "BUILDING", "{body}");
    assert_eq!(body["attempts"], 1);
}
