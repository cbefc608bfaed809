//! The router driven in-process with `oneshot` over the in-memory fakes: every status and
//! `code` of the README's API tables, with no socket, no Lambda and no emulator.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use secrecy::SecretString;
use serde_json::Value;
use tower::ServiceExt;
use whaleray_api::auth::{Authenticator, mint_dev_token};
use whaleray_api::builds::MemoryBuilds;
use whaleray_api::{AppState, router};
use whaleray_shared::ports::{DeploymentStore, Installation};
use whaleray_shared::testing::{
    MemoryAppInstallations, MemoryDeliveryLog, MemoryInstallations, MemoryQueue, MemoryStore,
};
use whaleray_shared::{DeploymentId, DeploymentStatus, InstallationId, StatusChange, UserId};

const SECRET: &str = "a-test-secret-of-enough-length";

struct Api {
    app: Router,
    store: Arc<MemoryStore>,
    queue: Arc<MemoryQueue>,
    builds: Arc<MemoryBuilds>,
    token: String,
}

impl Api {
    /// A router whose caller `u-1` has the App installed on `acme`.
    fn new() -> Self {
        let store = Arc::new(MemoryStore::default());
        let queue = Arc::new(MemoryQueue::default());
        let builds = Arc::new(MemoryBuilds::default());
        let installations = Arc::new(MemoryInstallations::default());
        installations.add(
            &UserId::parse("u-1").unwrap(),
            Installation {
                installation_id: InstallationId::new(7).unwrap(),
                account_login: "acme".into(),
            },
        );
        let state = AppState {
            store: store.clone(),
            installations,
            app_installations: Arc::new(MemoryAppInstallations::default()),
            deliveries: Arc::new(MemoryDeliveryLog::default()),
            projects: Arc::new(whaleray_shared::testing::MemoryProjects::default()),
            webhook_secret: SecretString::from("router-test-webhook-secret"),
            github_users: None,
            queue: queue.clone(),
            builds: builds.clone(),
            idempotency: Arc::new(whaleray_shared::testing::MemoryIdempotency::default()),
            rate_limits: Arc::new(whaleray_shared::testing::MemoryRateLimits::default()),
            limits: whaleray_api::guards::rate_limit::Limits {
                per_user: whaleray_shared::rate_limit::RateLimit::parse("1000:100").unwrap(),
                per_installation: whaleray_shared::rate_limit::RateLimit::parse("1000:100")
                    .unwrap(),
            },
            auth: Authenticator::dev(&SecretString::from(SECRET)),
            allowed_origins: vec![],
        };
        let token = mint_dev_token(&SecretString::from(SECRET), "u-1", 600).unwrap();
        Self { app: router(Arc::new(state)), store, queue, builds, token }
    }

    fn token_for(&self, sub: &str) -> String {
        mint_dev_token(&SecretString::from(SECRET), sub, 600).unwrap()
    }

    async fn send(&self, request: Request<Body>) -> (StatusCode, Value, axum::http::HeaderMap) {
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, body, headers)
    }

    async fn get(&self, uri: &str) -> (StatusCode, Value) {
        let (status, body, _) = self.send(self.request(Method::GET, uri, &self.token)).await;
        (status, body)
    }

    async fn post(&self, body: &str) -> (StatusCode, Value, axum::http::HeaderMap) {
        let request = Request::builder()
            .method(Method::POST)
            .uri("/deployments")
            .header(header::AUTHORIZATION, format!("Bearer {}", self.token))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_owned()))
            .unwrap();
        self.send(request).await
    }

    fn request(&self, method: Method, uri: &str, token: &str) -> Request<Body> {
        Request::builder()
            .method(method)
            .uri(uri)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap()
    }
}

/// Asserts an error answer: its status, its stable `code` and a non-empty message.
fn check_error(answer: (StatusCode, Value), status: StatusCode, code: &str) {
    let (got, body) = answer;
    assert_eq!((got, body["code"].as_str()), (status, Some(code)), "{body}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
}

#[tokio::test]
async fn post_answers_202_with_location_and_queues_one_job() {
    let api = Api::new();
    let (status, body, headers) = api
        .post(r#"{"repository": "acme/web", "branch": "main", "rootDirectory": "apps/web"}"#)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["status"], "INSPECTING");
    let id = body["deploymentId"].as_str().unwrap();
    assert_eq!(headers[header::LOCATION], format!("/deployments/{id}").as_str());
    let sent = api.queue.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].deployment_id.to_string(), id);
    let stored = api.store.all();
    assert_eq!(stored[0].root_directory.as_ref().map(AsRef::as_ref), Some("apps/web"));
}

#[tokio::test]
async fn get_shows_the_deployment_to_its_owner_only() {
    let api = Api::new();
    let (_, created, _) = api.post(r#"{"repository": "acme/web"}"#).await;
    let id = created["deploymentId"].as_str().unwrap();

    let (status, body) = api.get(&format!("/deployments/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["deploymentId"].as_str(), body["status"].as_str()),
        (Some(id), Some("INSPECTING"))
    );
    assert_eq!(body["repository"], "acme/web");
    assert!(body["detection"].is_null());

    let stranger = api.token_for("u-2");
    let (status, body, _) =
        api.send(api.request(Method::GET, &format!("/deployments/{id}"), &stranger)).await;
    check_error((status, body), StatusCode::NOT_FOUND, "deployment_not_found");
    let unknown = DeploymentId::generate();
    check_error(
        api.get(&format!("/deployments/{unknown}")).await,
        StatusCode::NOT_FOUND,
        "deployment_not_found",
    );
}

#[tokio::test]
async fn the_list_goes_newest_first_and_pages_with_the_cursor() {
    let api = Api::new();
    for _ in 0..3 {
        let (status, ..) = api.post(r#"{"repository": "acme/web"}"#).await;
        assert_eq!(status, StatusCode::ACCEPTED);
    }
    let (status, first) = api.get("/deployments?limit=2").await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["deployments"].as_array().unwrap().len(), 2);
    let cursor = first["nextCursor"].as_str().unwrap();
    let (status, second) = api.get(&format!("/deployments?limit=2&cursor={cursor}")).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_eq!(second["deployments"].as_array().unwrap().len(), 1);
    assert!(second["nextCursor"].is_null());
    let mut seen: Vec<String> = [&first, &second]
        .iter()
        .flat_map(|page| page["deployments"].as_array().unwrap().clone())
        .map(|d| d["deploymentId"].as_str().unwrap().to_owned())
        .collect();
    let in_order = seen.clone();
    seen.sort_by(|a, b| b.cmp(a));
    assert_eq!(in_order, seen, "newest first");
}

#[tokio::test]
async fn every_malformed_request_gets_its_own_400_code() {
    let api = Api::new();
    let bodies = [
        ("{not json", "invalid_json"),
        (r#"{"repo": "acme/web"}"#, "invalid_request"),
        (r#"{"repository": "acme/web/x"}"#, "invalid_repository"),
        (r#"{"repository": "acme/web", "branch": "-x"}"#, "invalid_branch"),
        (r#"{"repository": "acme/web", "rootDirectory": "../etc"}"#, "invalid_root_directory"),
    ];
    for (body, code) in bodies {
        let (status, answer, _) = api.post(body).await;
        check_error((status, answer), StatusCode::BAD_REQUEST, code);
    }
    check_error(
        api.get("/deployments/nope").await,
        StatusCode::BAD_REQUEST,
        "invalid_deployment_id",
    );
    check_error(api.get("/deployments?limit=0").await, StatusCode::BAD_REQUEST, "invalid_query");
    check_error(api.get("/deployments?limit=101").await, StatusCode::BAD_REQUEST, "invalid_query");
    check_error(api.get("/deployments?color=red").await, StatusCode::BAD_REQUEST, "invalid_query");
    check_error(
        api.get("/deployments?cursor=bm9waXBl").await,
        StatusCode::BAD_REQUEST,
        "invalid_cursor",
    );
    assert!(api.queue.sent().is_empty(), "nothing malformed is queued");
    assert!(api.store.all().is_empty(), "nothing malformed is stored");
}

#[tokio::test]
async fn requests_without_a_valid_identity_are_401_with_a_challenge() {
    let api = Api::new();
    let no_header = Request::builder().uri("/deployments").body(Body::empty()).unwrap();
    let forged =
        mint_dev_token(&SecretString::from("another-secret-entirely"), "u-1", 600).unwrap();
    for request in [no_header, api.request(Method::GET, "/deployments", &forged)] {
        let (status, body, headers) = api.send(request).await;
        check_error((status, body), StatusCode::UNAUTHORIZED, "unauthenticated");
        assert_eq!(headers[header::WWW_AUTHENTICATE], "Bearer");
    }
}

#[tokio::test]
async fn a_repository_outside_the_callers_installations_is_403() {
    let api = Api::new();
    let (status, body, _) = api.post(r#"{"repository": "someone-else/web"}"#).await;
    check_error((status, body), StatusCode::FORBIDDEN, "repository_not_installed");
    assert!(api.store.all().is_empty());
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_json() {
    let api = Api::new();
    check_error(api.get("/nowhere").await, StatusCode::NOT_FOUND, "route_not_found");
    let (status, body, _) = api.send(api.request(Method::DELETE, "/deployments", &api.token)).await;
    check_error((status, body), StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
}

#[tokio::test]
async fn bodies_of_the_wrong_type_or_size_are_refused() {
    let api = Api::new();
    let text = Request::builder()
        .method(Method::POST)
        .uri("/deployments")
        .header(header::AUTHORIZATION, format!("Bearer {}", api.token))
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from(r#"{"repository": "acme/web"}"#))
        .unwrap();
    let (status, body, _) = api.send(text).await;
    check_error((status, body), StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");

    let padding = " ".repeat(2 * 1024 * 1024);
    let (status, body, _) = api.post(&format!(r#"{{"repository": "acme/web"}}{padding}"#)).await;
    check_error((status, body), StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    assert!(api.store.all().is_empty());
}

#[tokio::test]
async fn a_job_that_cannot_be_queued_is_503_and_the_deployment_failed() {
    let api = Api::new();
    api.queue.set_failing(true);
    let (status, body, headers) = api.post(r#"{"repository": "acme/web"}"#).await;
    check_error((status, body), StatusCode::SERVICE_UNAVAILABLE, "service_unavailable");
    assert_eq!(headers[header::RETRY_AFTER], "5");
    let stored = api.store.all();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].status, DeploymentStatus::Failed);
    assert!(stored[0].reason.as_deref().is_some_and(|r| r.contains("could not be queued")));
    let reread = api.store.get(stored[0].id).await.unwrap().unwrap();
    assert_eq!(reread.status, DeploymentStatus::Failed);
}

impl Api {
    /// A new deployment of `acme/web`, INSPECTING.
    async fn created(&self) -> DeploymentId {
        let (status, body, _) = self.post(r#"{"repository": "acme/web"}"#).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        DeploymentId::parse(body["deploymentId"].as_str().unwrap()).unwrap()
    }

    /// Moves `id` from INSPECTING to BUILDING with build `build_id`.
    async fn building(&self, id: DeploymentId, build_id: &str) {
        let change = StatusChange {
            build_id: Some(build_id.to_owned()),
            ..StatusChange::to(DeploymentStatus::Building)
        };
        self.store.transition(id, DeploymentStatus::Inspecting, change).await.unwrap();
    }

    async fn cancel_as(&self, id: &str, token: &str) -> (StatusCode, Value) {
        let uri = format!("/deployments/{id}/cancel");
        let (status, body, _) = self.send(self.request(Method::POST, &uri, token)).await;
        (status, body)
    }

    async fn cancel(&self, id: DeploymentId) -> (StatusCode, Value) {
        self.cancel_as(&id.to_string(), &self.token).await
    }

    async fn status_of(&self, id: DeploymentId) -> DeploymentStatus {
        self.store.get(id).await.unwrap().unwrap().status
    }
}

#[tokio::test]
async fn cancel_of_an_inspecting_deployment_answers_it_canceled() {
    let api = Api::new();
    let id = api.created().await;
    let (status, body) = api.cancel(id).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "CANCELED");
    assert_eq!(body["deploymentId"], id.to_string());
    assert!(body["reason"].as_str().is_some_and(|r| r.contains("canceled")), "{body}");
    assert_eq!(api.status_of(id).await, DeploymentStatus::Canceled);
    assert!(api.builds.stopped().is_empty(), "no build to stop");
}

#[tokio::test]
async fn cancel_of_a_building_deployment_stops_its_build_first() {
    let api = Api::new();
    let id = api.created().await;
    api.building(id, "whaleray-build:7").await;
    api.builds.run("whaleray-build:7");
    let (status, body) = api.cancel(id).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "CANCELED");
    assert_eq!(api.builds.stopped(), ["whaleray-build:7"]);
    assert_eq!(api.status_of(id).await, DeploymentStatus::Canceled);
}

#[tokio::test]
async fn a_build_that_already_ended_keeps_its_outcome_and_the_cancel_is_409() {
    let api = Api::new();
    let id = api.created().await;
    api.building(id, "whaleray-build:8").await;
    api.builds.end("whaleray-build:8");
    let (status, body) = api.cancel(id).await;
    check_error((status, body.clone()), StatusCode::CONFLICT, "build_already_ended");
    assert_eq!(body["status"], "BUILDING", "{body}");
    assert_eq!(api.status_of(id).await, DeploymentStatus::Building, "nothing written");

    // Once the outcome is recorded, a cancel says the deployment is final, with its status.
    let change = StatusChange::to(DeploymentStatus::Succeeded);
    api.store.transition(id, DeploymentStatus::Building, change).await.unwrap();
    let (status, body) = api.cancel(id).await;
    check_error((status, body.clone()), StatusCode::CONFLICT, "deployment_final");
    assert_eq!(body["status"], "SUCCEEDED", "{body}");
    assert!(api.builds.stopped().is_empty());
}

#[tokio::test]
async fn a_final_deployment_is_not_canceled_and_a_failed_one_is() {
    let api = Api::new();
    for end in [DeploymentStatus::NotSupported, DeploymentStatus::Canceled] {
        let id = api.created().await;
        api.store
            .transition(id, DeploymentStatus::Inspecting, StatusChange::to(end))
            .await
            .unwrap();
        let (status, body) = api.cancel(id).await;
        check_error((status, body.clone()), StatusCode::CONFLICT, "deployment_final");
        assert_eq!(body["status"], end.as_str(), "{body}");
        assert_eq!(api.status_of(id).await, end);
    }
    let failed = api.created().await;
    let change = StatusChange::failed("GitHub could not find acme/web");
    api.store.transition(failed, DeploymentStatus::Inspecting, change).await.unwrap();
    let (status, body) = api.cancel(failed).await;
    assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("CANCELED")), "{body}");
}

#[tokio::test]
async fn cancel_of_someone_elses_or_an_unknown_deployment_is_404() {
    let api = Api::new();
    let id = api.created().await;
    let stranger = api.token_for("u-2");
    check_error(
        api.cancel_as(&id.to_string(), &stranger).await,
        StatusCode::NOT_FOUND,
        "deployment_not_found",
    );
    assert_eq!(api.status_of(id).await, DeploymentStatus::Inspecting);
    check_error(
        api.cancel(DeploymentId::generate()).await,
        StatusCode::NOT_FOUND,
        "deployment_not_found",
    );
    check_error(
        api.cancel_as("nope", &api.token).await,
        StatusCode::BAD_REQUEST,
        "invalid_deployment_id",
    );
}
