//! `/projects` driven in-process over the in-memory fakes: create, the one-per-identity rule,
//! owner-only reads and writes, PATCH semantics, the installation gate and every 4xx code.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use secrecy::SecretString;
use serde_json::{Value, json};
use tower::ServiceExt;
use whaleray_api::auth::{Authenticator, mint_dev_token};
use whaleray_api::guards::rate_limit::Limits;
use whaleray_api::{AppState, router};
use whaleray_shared::domain::{InstallationUpdate, RepositoriesChange, SelectionKind};
use whaleray_shared::ports::{AppInstallations, Installation};
use whaleray_shared::rate_limit::RateLimit;
use whaleray_shared::testing::{
    MemoryAppInstallations, MemoryDeliveryLog, MemoryIdempotency, MemoryInstallations,
    MemoryProjects, MemoryQueue, MemoryRateLimits, MemoryStore,
};
use whaleray_shared::{InstallationId, UserId};

const SECRET: &str = "a-test-secret-of-enough-length";

struct Api {
    app: Router,
    projects: Arc<MemoryProjects>,
    reported: Arc<MemoryAppInstallations>,
}

impl Api {
    /// Callers `alice` and `bob` both have installation 7 on `acme` linked.
    fn new() -> Self {
        let installations = Arc::new(MemoryInstallations::default());
        for user in ["alice", "bob"] {
            installations.add(
                &UserId::parse(user).unwrap(),
                Installation {
                    installation_id: InstallationId::new(7).unwrap(),
                    account_login: "acme".into(),
                },
            );
        }
        let projects = Arc::new(MemoryProjects::default());
        let reported = Arc::new(MemoryAppInstallations::default());
        let generous = RateLimit::parse("1000:100").unwrap();
        let state = AppState {
            store: Arc::new(MemoryStore::default()),
            installations,
            app_installations: reported.clone(),
            deliveries: Arc::new(MemoryDeliveryLog::default()),
            projects: projects.clone(),
            webhook_secret: SecretString::from("projects-test-webhook-secret"),
            github_users: None,
            queue: Arc::new(MemoryQueue::default()),
            builds: Arc::new(whaleray_api::builds::MemoryBuilds::default()),
            idempotency: Arc::new(MemoryIdempotency::default()),
            rate_limits: Arc::new(MemoryRateLimits::default()),
            limits: Limits { per_user: generous, per_installation: generous },
            auth: Authenticator::dev(&SecretString::from(SECRET)),
            allowed_origins: vec![],
        };
        Self { app: router(Arc::new(state)), projects, reported }
    }

    async fn call(
        &self,
        user: &str,
        method: Method,
        uri: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value, HeaderMap) {
        let token = mint_dev_token(&SecretString::from(SECRET), user, 600).unwrap();
        let mut request = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::AUTHORIZATION, format!("Bearer {token}"));
        let body = match body {
            Some(value) => {
                request = request.header(header::CONTENT_TYPE, "application/json");
                Body::from(value.to_string())
            }
            None => Body::empty(),
        };
        let response = self.app.clone().oneshot(request.body(body).unwrap()).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null), headers)
    }

    async fn create(&self, user: &str, body: Value) -> (StatusCode, Value, HeaderMap) {
        self.call(user, Method::POST, "/projects", Some(body)).await
    }
}

fn check_error(answer: (StatusCode, Value, HeaderMap), status: StatusCode, code: &str) -> Value {
    let (got, body, _) = answer;
    assert_eq!((got, body["code"].as_str()), (status, Some(code)), "{body}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
    body
}

#[tokio::test]
async fn create_answers_201_with_location_and_defaults() {
    let api = Api::new();
    let (status, body, headers) = api.create("alice", json!({"repository": "acme/web"})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["projectId"].as_str().unwrap();
    assert_eq!(headers[header::LOCATION], format!("/projects/{id}").as_str());
    assert_eq!(body["repository"], "acme/web");
    assert_eq!(body["rootDirectory"], ".");
    assert_eq!(body["productionBranch"], Value::Null);
    let (status, read, _) = api.call("alice", Method::GET, &format!("/projects/{id}"), None).await;
    assert_eq!((status, &read), (StatusCode::OK, &body));
}

#[tokio::test]
async fn a_second_project_on_the_same_identity_is_409_naming_the_first() {
    let api = Api::new();
    let (_, first, _) =
        api.create("alice", json!({"repository": "acme/web", "rootDirectory": "apps/site"})).await;
    let id = first["projectId"].as_str().unwrap();
    let again = api
        .create(
            "alice",
            json!({"repository": "ACME/Web", "rootDirectory": "./apps/site/", "productionBranch": "x"}),
        )
        .await;
    let location = again.2.get(header::LOCATION).cloned();
    let body = check_error(again, StatusCode::CONFLICT, "project_exists");
    assert_eq!(body["projectId"], id);
    assert_eq!(location.unwrap(), format!("/projects/{id}").as_str());
    // Another folder, or another user, is another project.
    let (status, _, _) = api.create("alice", json!({"repository": "acme/web"})).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _, _) =
        api.create("bob", json!({"repository": "acme/web", "rootDirectory": "apps/site"})).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(api.projects.all().len(), 3);
}

#[tokio::test]
async fn someone_elses_project_is_404_for_every_method_and_left_alone() {
    let api = Api::new();
    let (_, body, _) = api.create("alice", json!({"repository": "acme/web"})).await;
    let uri = format!("/projects/{}", body["projectId"].as_str().unwrap());
    check_error(
        api.call("bob", Method::GET, &uri, None).await,
        StatusCode::NOT_FOUND,
        "project_not_found",
    );
    let patch = Some(json!({"productionBranch": "evil"}));
    check_error(
        api.call("bob", Method::PATCH, &uri, patch).await,
        StatusCode::NOT_FOUND,
        "project_not_found",
    );
    check_error(
        api.call("bob", Method::DELETE, &uri, None).await,
        StatusCode::NOT_FOUND,
        "project_not_found",
    );
    let (_, listed, _) = api.call("bob", Method::GET, "/projects", None).await;
    assert_eq!(listed["projects"], json!([]));
    let stored = api.projects.all();
    assert_eq!((stored.len(), stored[0].production_branch.clone()), (1, None));
}

#[tokio::test]
async fn patch_sets_and_clears_the_production_branch_and_delete_frees_the_identity() {
    let api = Api::new();
    let (_, body, _) = api.create("alice", json!({"repository": "acme/web"})).await;
    let uri = format!("/projects/{}", body["projectId"].as_str().unwrap());
    let (status, patched, _) =
        api.call("alice", Method::PATCH, &uri, Some(json!({"productionBranch": "release"}))).await;
    assert_eq!((status, &patched["productionBranch"]), (StatusCode::OK, &json!("release")));
    let (_, cleared, _) =
        api.call("alice", Method::PATCH, &uri, Some(json!({"productionBranch": null}))).await;
    assert_eq!(cleared["productionBranch"], Value::Null);
    check_error(
        api.call("alice", Method::PATCH, &uri, Some(json!({}))).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    check_error(
        api.call("alice", Method::PATCH, &uri, Some(json!({"rootDirectory": "x"}))).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    check_error(
        api.call("alice", Method::PATCH, &uri, Some(json!({"productionBranch": "a..b"}))).await,
        StatusCode::BAD_REQUEST,
        "invalid_branch",
    );
    let (_, listed, _) = api.call("alice", Method::GET, "/projects", None).await;
    assert_eq!(listed["projects"].as_array().unwrap().len(), 1);
    let (status, _, _) = api.call("alice", Method::DELETE, &uri, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    check_error(
        api.call("alice", Method::GET, &uri, None).await,
        StatusCode::NOT_FOUND,
        "project_not_found",
    );
    let (status, _, _) = api.create("alice", json!({"repository": "acme/web"})).await;
    assert_eq!(status, StatusCode::CREATED, "a deleted project's identity is free again");
}

#[tokio::test]
async fn bad_input_gets_typed_400s_and_nothing_is_stored() {
    let api = Api::new();
    let cases = [
        (json!({"repository": "not a repo"}), "invalid_repository"),
        (json!({"repository": "acme/web", "productionBranch": "bad..branch"}), "invalid_branch"),
        (json!({"repository": "acme/web", "rootDirectory": "../etc"}), "invalid_root_directory"),
        (json!({"repository": "acme/web", "extra": 1}), "invalid_request"),
        (json!({"productionBranch": "main"}), "invalid_request"),
    ];
    for (body, code) in cases {
        check_error(api.create("alice", body).await, StatusCode::BAD_REQUEST, code);
    }
    check_error(
        api.call("alice", Method::GET, "/projects/not-a-ulid", None).await,
        StatusCode::BAD_REQUEST,
        "invalid_project_id",
    );
    assert!(api.projects.all().is_empty());
}

#[tokio::test]
async fn the_installation_gate_answers_403_as_for_deployments() {
    let api = Api::new();
    check_error(
        api.create("alice", json!({"repository": "other/web"})).await,
        StatusCode::FORBIDDEN,
        "repository_not_installed",
    );
    let id = InstallationId::new(7).unwrap();
    let mut selected = InstallationUpdate::account(42, "acme");
    selected.selection = Some(SelectionKind::Selected);
    selected.repositories = RepositoriesChange::Exactly(["site".to_owned()].into());
    api.reported.apply(id, &selected).await.unwrap();
    check_error(
        api.create("alice", json!({"repository": "acme/web"})).await,
        StatusCode::FORBIDDEN,
        "repository_not_selected",
    );
    let (status, _, _) = api.create("alice", json!({"repository": "acme/site"})).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(api.projects.all().len(), 1);
}
