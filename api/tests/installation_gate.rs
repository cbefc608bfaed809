//! `POST /deployments` answers 403 at once, with a code that says why, when GitHub reported
//! the caller's installation deleted, suspended or not granting the repository; and follows an
//! account rename GitHub reported. Driven with `oneshot` over the in-memory fakes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use secrecy::SecretString;
use serde_json::Value;
use tower::ServiceExt;
use whaleray_api::auth::{Authenticator, mint_dev_token};
use whaleray_api::{AppState, router};
use whaleray_shared::domain::{InstallationUpdate, RepositoriesChange, SelectionKind};
use whaleray_shared::ports::{AppInstallations, Installation};
use whaleray_shared::testing::{
    MemoryAppInstallations, MemoryDeliveryLog, MemoryInstallations, MemoryQueue, MemoryStore,
};
use whaleray_shared::{InstallationId, UserId};

const SECRET: &str = "a-test-secret-of-enough-length";
const ACME: u64 = 7;

struct Api {
    app: Router,
    store: Arc<MemoryStore>,
    queue: Arc<MemoryQueue>,
    reported: Arc<MemoryAppInstallations>,
    token: String,
}

impl Api {
    /// A router whose caller `u-1` is linked to installation 7 on `acme`, which GitHub has not
    /// reported yet.
    fn new() -> Self {
        let store = Arc::new(MemoryStore::default());
        let queue = Arc::new(MemoryQueue::default());
        let reported = Arc::new(MemoryAppInstallations::default());
        let installations = Arc::new(MemoryInstallations::default());
        installations.add(
            &UserId::parse("u-1").unwrap(),
            Installation {
                installation_id: InstallationId::new(ACME).unwrap(),
                account_login: "acme".into(),
            },
        );
        let state = AppState {
            store: store.clone(),
            installations,
            app_installations: reported.clone(),
            deliveries: Arc::new(MemoryDeliveryLog::default()),
            projects: Arc::new(whaleray_shared::testing::MemoryProjects::default()),
            webhook_secret: SecretString::from("gate-test-webhook-secret"),
            github_users: None,
            queue: queue.clone(),
            builds: Arc::new(whaleray_api::builds::MemoryBuilds::default()),
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
        Self { app: router(Arc::new(state)), store, queue, reported, token }
    }

    /// What GitHub reports about installation 7 (as a webhook would record it).
    async fn report(&self, update: InstallationUpdate) {
        let id = InstallationId::new(ACME).unwrap();
        assert!(self.reported.apply(id, &update).await.unwrap());
    }

    async fn deploy(&self, repository: &str) -> (StatusCode, Value) {
        let request = Request::builder()
            .method(Method::POST)
            .uri("/deployments")
            .header(header::AUTHORIZATION, format!("Bearer {}", self.token))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(format!(r#"{{"repository": "{repository}"}}"#)))
            .unwrap();
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    /// Asserts a 403 with `code` and a message, and that nothing was stored or queued.
    async fn refused(&self, repository: &str, code: &str) {
        let (status, body) = self.deploy(repository).await;
        assert_eq!((status, body["code"].as_str()), (StatusCode::FORBIDDEN, Some(code)), "{body}");
        assert!(body["message"].as_str().is_some_and(|m| m.contains(repository)), "{body}");
        assert!(self.store.all().is_empty());
        assert!(self.queue.sent().is_empty());
    }
}

fn selected(names: &[&str]) -> InstallationUpdate {
    let mut update = InstallationUpdate::account(42, "acme");
    update.selection = Some(SelectionKind::Selected);
    update.repositories =
        RepositoriesChange::Exactly(names.iter().map(|n| (*n).to_owned()).collect());
    update
}

#[tokio::test]
async fn a_suspended_installation_is_403_installation_suspended() {
    let api = Api::new();
    api.report(selected(&["web"])).await;
    let mut suspend = InstallationUpdate::account(42, "acme");
    suspend.suspended = Some(true);
    api.report(suspend).await;
    api.refused("acme/web", "installation_suspended").await;
}

#[tokio::test]
async fn a_deleted_installation_is_403_installation_deleted() {
    let api = Api::new();
    api.report(selected(&["web"])).await;
    let mut delete = InstallationUpdate::account(42, "acme");
    delete.deleted = true;
    api.report(delete).await;
    api.refused("acme/web", "installation_deleted").await;
}

#[tokio::test]
async fn a_repository_outside_the_selection_is_403_repository_not_selected() {
    let api = Api::new();
    api.report(selected(&["web"])).await;
    api.refused("acme/api", "repository_not_selected").await;
    let (status, body) = api.deploy("acme/WEB").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(api.queue.sent().len(), 1);
}

#[tokio::test]
async fn an_unsuspended_installation_deploys_again() {
    let api = Api::new();
    let mut suspend = selected(&["web"]);
    suspend.suspended = Some(true);
    api.report(suspend).await;
    api.refused("acme/web", "installation_suspended").await;
    let mut unsuspend = InstallationUpdate::account(42, "acme");
    unsuspend.suspended = Some(false);
    api.report(unsuspend).await;
    assert_eq!(api.deploy("acme/web").await.0, StatusCode::ACCEPTED);
}

#[tokio::test]
async fn a_renamed_account_is_matched_on_its_reported_login() {
    let api = Api::new();
    let mut all = InstallationUpdate::account(42, "acme-inc");
    all.selection = Some(SelectionKind::All);
    api.report(all).await;
    api.refused("acme/web", "repository_not_installed").await;
    let (status, body) = api.deploy("acme-inc/web").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(api.store.all()[0].installation_id, InstallationId::new(ACME).unwrap());
}

#[tokio::test]
async fn an_installation_github_has_not_reported_is_judged_by_the_link() {
    let api = Api::new();
    api.refused("other/web", "repository_not_installed").await;
    let (status, body) = api.deploy("acme/web").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(api.queue.sent().len(), 1);
}
