//! `/github/installations` over the in-memory fakes: GitHub's list replaces the caller's links,
//! each shown with what the webhooks reported; without an OAuth client linking is 501.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use secrecy::SecretString;
use serde_json::Value;
use tower::ServiceExt;
use whaleray_api::auth::{Authenticator, mint_dev_token};
use whaleray_api::github::oauth::{OAuthError, UserInstallation, UserInstallations};
use whaleray_api::{AppState, router};
use whaleray_shared::InstallationId;
use whaleray_shared::domain::{InstallationUpdate, RepositoriesChange, SelectionKind};
use whaleray_shared::ports::AppInstallations;
use whaleray_shared::testing::{
    MemoryAppInstallations, MemoryDeliveryLog, MemoryInstallations, MemoryQueue, MemoryStore,
};

const SECRET: &str = "a-test-secret-of-enough-length";

/// GitHub's user side in memory: one good code, used once.
struct OneCode {
    code: &'static str,
    used: Mutex<bool>,
    listed: Vec<UserInstallation>,
}

#[async_trait]
impl UserInstallations for OneCode {
    async fn installations_for_code(
        &self,
        code: &str,
    ) -> Result<Vec<UserInstallation>, OAuthError> {
        let mut used = self.used.lock().unwrap();
        if code != self.code || *used {
            return Err(OAuthError::BadCode);
        }
        *used = true;
        Ok(self.listed.clone())
    }
}

fn listed(id: u64, login: &str) -> UserInstallation {
    UserInstallation {
        id: InstallationId::new(id).unwrap(),
        account_id: id + 1,
        account_login: login.into(),
    }
}

fn app(
    github: Option<Arc<dyn UserInstallations>>,
    reported: Arc<MemoryAppInstallations>,
) -> axum::Router {
    let state = AppState {
        store: Arc::new(MemoryStore::default()),
        installations: Arc::new(MemoryInstallations::default()),
        app_installations: reported,
        deliveries: Arc::new(MemoryDeliveryLog::default()),
        projects: Arc::new(whaleray_shared::testing::MemoryProjects::default()),
        webhook_secret: SecretString::from("linking-test-webhook-secret"),
        github_users: github,
        queue: Arc::new(MemoryQueue::default()),
        builds: Arc::new(whaleray_api::builds::MemoryBuilds::default()),
        idempotency: Arc::new(whaleray_shared::testing::MemoryIdempotency::default()),
        rate_limits: Arc::new(whaleray_shared::testing::MemoryRateLimits::default()),
        limits: whaleray_api::guards::rate_limit::Limits {
            per_user: whaleray_shared::rate_limit::RateLimit::parse("1000:100").unwrap(),
            per_installation: whaleray_shared::rate_limit::RateLimit::parse("1000:100").unwrap(),
        },
        auth: Authenticator::dev(&SecretString::from(SECRET)),
        allowed_origins: vec![],
    };
    router(Arc::new(state))
}

async fn call(
    app: &axum::Router,
    method: Method,
    uri: &str,
    body: Option<&str>,
) -> (StatusCode, Value) {
    let token = mint_dev_token(&SecretString::from(SECRET), "u-1", 600).unwrap();
    let mut request = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"));
    if body.is_some() {
        request = request.header(header::CONTENT_TYPE, "application/json");
    }
    let request = request.body(Body::from(body.unwrap_or_default().to_owned())).unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

#[tokio::test]
async fn linked_installations_show_what_github_reported() {
    let reported = Arc::new(MemoryAppInstallations::default());
    let mut update = InstallationUpdate::account(8, "Acme-Renamed");
    update.selection = Some(SelectionKind::Selected);
    update.repositories = RepositoriesChange::Exactly(["web".to_owned()].into());
    update.suspended = Some(true);
    reported.apply(InstallationId::new(7).unwrap(), &update).await.unwrap();
    let github = OneCode {
        code: "abc123",
        used: Mutex::new(false),
        listed: vec![listed(7, "acme"), listed(9, "globex")],
    };
    let app = app(Some(Arc::new(github)), reported);

    let (status, body) =
        call(&app, Method::POST, "/github/installations", Some(r#"{"code": "abc123"}"#)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let first = &body["installations"][0];
    assert_eq!(first["installationId"], 7);
    assert_eq!(first["accountLogin"], "Acme-Renamed");
    assert_eq!(first["repositorySelection"], "selected");
    assert_eq!(first["repositories"], serde_json::json!(["web"]));
    assert_eq!(
        (first["suspended"].as_bool(), first["reported"].as_bool()),
        (Some(true), Some(true))
    );
    let second = &body["installations"][1];
    assert_eq!(
        (second["installationId"].as_u64(), second["reported"].as_bool()),
        (Some(9), Some(false))
    );
    assert!(second["repositorySelection"].is_null());

    let (status, body) =
        call(&app, Method::POST, "/github/installations", Some(r#"{"code": "abc123"}"#)).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_code")));
    let (_, body) = call(&app, Method::GET, "/github/installations", None).await;
    assert_eq!(body["installations"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn without_an_oauth_client_linking_is_501_and_listing_still_works() {
    let app = app(None, Arc::new(MemoryAppInstallations::default()));
    let (status, body) =
        call(&app, Method::POST, "/github/installations", Some(r#"{"code": "abc"}"#)).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::NOT_IMPLEMENTED, Some("linking_unavailable"))
    );
    let (status, body) = call(&app, Method::GET, "/github/installations", None).await;
    assert_eq!((status, body["installations"].as_array().map(Vec::len)), (StatusCode::OK, Some(0)));
}
