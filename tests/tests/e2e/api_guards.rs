//! Idempotency keys, rate limits and exposed CORS headers through the router, with the
//! DynamoDB stores on the emulator.

use axum::body::Body;
use http::{HeaderMap, Method, Request, StatusCode};
use serde_json::{Value, json};

use chrono::Utc;
use whaleray_api::guards::idempotency::fingerprint;
use whaleray_shared::dynamo::DynamoIdempotency;
use whaleray_shared::idempotency::{Claim, IdempotencyKey, IdempotencyScope};
use whaleray_shared::ports::IdempotencyStore;

use crate::helpers::{FRONTEND, TestApp, USER};

fn post(app: &TestApp, user: &str, key: Option<&str>, body: &Value) -> Request<Body> {
    let mut builder = Request::post("/deployments")
        .header("authorization", format!("Bearer {}", app.token(user)))
        .header("content-type", "application/json");
    if let Some(key) = key {
        builder = builder.header("idempotency-key", key);
    }
    builder.body(Body::from(body.to_string())).unwrap()
}

async fn send(app: &TestApp, request: Request<Body>) -> (StatusCode, HeaderMap, Value) {
    app.send(request).await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retried_create_with_the_same_key_returns_the_first_answer_and_creates_nothing() {
    let app = TestApp::spawn().await;
    let body = json!({"repository": "acme/site"});
    let (status, headers, first) = send(&app, post(&app, USER, Some("retry-1"), &body)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{first}");
    let location = headers["location"].clone();

    let (status, headers, again) = send(&app, post(&app, USER, Some("retry-1"), &body)).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(again, first);
    assert_eq!(headers["location"], location);
    assert_eq!(headers["idempotent-replayed"], "true");

    let (_, list) = app.call(Method::GET, "/deployments", Some(USER), None).await;
    assert_eq!(list["deployments"].as_array().unwrap().len(), 1, "{list}");
    app.receive_job().await;
    assert_eq!(app.emulator.queue_depth(&app.stack.queue_url).await.unwrap().0, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_key_is_the_callers_own_and_refuses_a_different_body() {
    let app = TestApp::spawn().await;
    let (status, _, first) =
        send(&app, post(&app, USER, Some("k"), &json!({"repository": "acme/site"}))).await;
    assert_eq!(status, StatusCode::ACCEPTED);

    let other_body = json!({"repository": "acme/site", "branch": "dev"});
    let (status, _, body) = send(&app, post(&app, USER, Some("k"), &other_body)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["code"], "idempotency_key_reused");

    // Another user with the same key is a different request (and is refused on its own merits).
    let (status, _, body) =
        send(&app, post(&app, "user-bob", Some("k"), &json!({"repository": "acme/site"}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_ne!(body, first);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retry_while_the_first_request_runs_is_409_and_creates_nothing() {
    let app = TestApp::spawn().await;
    let body = json!({"repository": "acme/site"});
    // Another API instance holds the key for the same request and has not answered yet.
    let store = DynamoIdempotency::new(app.emulator.dynamo.clone(), &app.stack.api_state_table);
    let key = IdempotencyKey::parse("running-1").unwrap();
    let scope = IdempotencyScope::new(USER, "POST", "/deployments", &key);
    let fingerprint = fingerprint(b"application/json", body.to_string().as_bytes());
    assert_eq!(store.claim(&scope, &fingerprint, Utc::now()).await.unwrap(), Claim::Acquired);

    let (status, headers, answer) = send(&app, post(&app, USER, Some("running-1"), &body)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    assert_eq!(answer["code"], "request_in_progress");
    assert_eq!(headers["retry-after"], "1");
    let (_, list) = app.call(Method::GET, "/deployments", Some(USER), None).await;
    assert_eq!(list["deployments"].as_array().unwrap().len(), 0, "{list}");
}

#[tokio::test(flavor = "multi_thread")]
async fn errors_are_replayed_too_and_malformed_keys_are_400() {
    let app = TestApp::spawn().await;
    let bad = json!({"repository": "not a repo"});
    let (status, _, first) = send(&app, post(&app, USER, Some("bad-1"), &bad)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, headers, again) = send(&app, post(&app, USER, Some("bad-1"), &bad)).await;
    assert_eq!((status, again), (StatusCode::BAD_REQUEST, first));
    assert_eq!(headers["idempotent-replayed"], "true");

    let body = json!({"repository": "acme/site"});
    let (status, _, answer) = send(&app, post(&app, USER, Some("has space"), &body)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["code"], "invalid_idempotency_key");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_ninth_post_in_a_burst_is_429_with_retry_after_and_rate_limit_headers() {
    let app = TestApp::spawn().await;
    let body = json!({"repository": "acme/site"});
    for n in 1..=8u32 {
        let (status, headers, answer) = send(&app, post(&app, USER, None, &body)).await;
        assert_eq!(status, StatusCode::ACCEPTED, "request {n}: {answer}");
        assert_eq!(headers["ratelimit-limit"], "8");
        assert_eq!(headers["ratelimit-remaining"], (8 - n).to_string().as_str());
    }
    let (status, headers, answer) = send(&app, post(&app, USER, None, &body)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(answer["code"], "rate_limited");
    let retry_after: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=20).contains(&retry_after), "one token takes 20 s at 0.05/s: {retry_after}");
    assert_eq!(headers["ratelimit-remaining"], "0");

    // Reads are not limited, and another user has a bucket of their own.
    let (status, _) = app.call(Method::GET, "/deployments", Some(USER), None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = send(&app, post(&app, "user-bob", None, &body)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "bob is limited only by his own bucket");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_browser_may_read_location_retry_after_and_the_rate_limit_headers() {
    let app = TestApp::spawn().await;
    let request = Request::post("/deployments")
        .header("origin", FRONTEND)
        .header("authorization", format!("Bearer {}", app.token(USER)))
        .header("content-type", "application/json")
        .body(Body::from(json!({"repository": "acme/site"}).to_string()))
        .unwrap();
    let (status, headers, _) = send(&app, request).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let exposed = headers["access-control-expose-headers"].to_str().unwrap().to_ascii_lowercase();
    for header in
        ["location", "retry-after", "ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"]
    {
        assert!(exposed.contains(header), "{header} not exposed: {exposed}");
    }

    let preflight = Request::builder()
        .method(Method::OPTIONS)
        .uri("/deployments")
        .header("origin", FRONTEND)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "authorization,content-type,idempotency-key")
        .body(Body::empty())
        .unwrap();
    let (_, headers, _) = send(&app, preflight).await;
    let allowed = headers["access-control-allow-headers"].to_str().unwrap().to_ascii_lowercase();
    assert!(allowed.contains("idempotency-key"), "{allowed}");
}
