//! `POST /github/webhook` through the router, on in-memory tables: the forged, replayed and
//! malformed delivery matrix, and every installation event.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use secrecy::SecretString;
use serde_json::{Value, json};
use tower::ServiceExt;
use whaleray_api::auth::{Authenticator, mint_dev_token};
use whaleray_api::github::signature::sign;
use whaleray_api::guards::rate_limit::Limits;
use whaleray_api::{AppState, router};
use whaleray_shared::domain::RepositorySelection;
use whaleray_shared::rate_limit::RateLimit;
use whaleray_shared::testing::{
    MemoryAppInstallations, MemoryDeliveryLog, MemoryIdempotency, MemoryInstallations, MemoryQueue,
    MemoryRateLimits, MemoryStore,
};

const SECRET: &str = "webhook-secret-for-tests";
const DEV_SECRET: &str = "dev-secret-long-enough";

struct Harness {
    router: Router,
    installations: Arc<MemoryAppInstallations>,
    deliveries: Arc<MemoryDeliveryLog>,
    idempotency: Arc<MemoryIdempotency>,
}

fn harness() -> Harness {
    let installations = Arc::new(MemoryAppInstallations::default());
    let deliveries = Arc::new(MemoryDeliveryLog::default());
    let idempotency = Arc::new(MemoryIdempotency::default());
    // One request per user, barely refilled: any POST the guards counted would be refused.
    let tight = RateLimit::new(1, 0.001).unwrap();
    let state = AppState {
        store: Arc::new(MemoryStore::default()),
        installations: Arc::new(MemoryInstallations::default()),
        app_installations: installations.clone(),
        deliveries: deliveries.clone(),
        projects: Arc::new(whaleray_shared::testing::MemoryProjects::default()),
        webhook_secret: SecretString::from(SECRET),
        github_users: None,
        queue: Arc::new(MemoryQueue::default()),
        builds: Arc::new(whaleray_api::builds::MemoryBuilds::default()),
        idempotency: idempotency.clone(),
        rate_limits: Arc::new(MemoryRateLimits::default()),
        limits: Limits { per_user: tight, per_installation: tight },
        auth: Authenticator::dev(&SecretString::from(DEV_SECRET)),
        allowed_origins: Vec::new(),
    };
    Harness { router: router(Arc::new(state)), installations, deliveries, idempotency }
}

struct Delivery {
    event: Option<&'static str>,
    id: Option<String>,
    signature: Option<String>,
    body: Vec<u8>,
}

impl Delivery {
    fn signed(event: &'static str, id: &str, payload: &Value) -> Self {
        let body = payload.to_string().into_bytes();
        let signature = sign(&SecretString::from(SECRET), &body);
        Self { event: Some(event), id: Some(id.to_owned()), signature: Some(signature), body }
    }
}

async fn send(h: &Harness, d: Delivery) -> (StatusCode, Value) {
    let mut request = Request::post("/github/webhook").header("content-type", "application/json");
    if let Some(event) = d.event {
        request = request.header("x-github-event", event);
    }
    if let Some(id) = d.id {
        request = request.header("x-github-delivery", id);
    }
    if let Some(signature) = d.signature {
        request = request.header("x-hub-signature-256", signature);
    }
    let response =
        h.router.clone().oneshot(request.body(Body::from(d.body)).unwrap()).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

fn installation(selection: &str) -> Value {
    json!({
        "id": 77, "account": {"id": 9001, "login": "acme", "type": "Organization"},
        "repository_selection": selection, "suspended_at": null, "app_id": 1,
        "target_type": "Organization", "permissions": {"contents": "read", "metadata": "read"},
        "events": ["push"]
    })
}

fn created() -> Value {
    json!({
        "action": "created", "installation": installation("selected"),
        "repositories": [{"id": 1, "name": "web", "full_name": "acme/web", "private": false}],
        "requester": null, "sender": {"id": 5, "login": "alice"}
    })
}

fn assert_untouched(h: &Harness) {
    assert!(h.installations.all().is_empty(), "an installation was written");
    assert!(h.deliveries.is_empty(), "a delivery was recorded");
}

#[tokio::test]
async fn forged_unsigned_and_malformed_deliveries_change_nothing() {
    let h = harness();
    let good = Delivery::signed("installation", "d-1", &created());
    let cases: Vec<(&str, Delivery, StatusCode, &str)> = vec![
        (
            "wrong signature",
            Delivery {
                signature: Some(format!("sha256={}", "0".repeat(64))),
                ..Delivery::signed("installation", "d-1", &created())
            },
            StatusCode::UNAUTHORIZED,
            "invalid_signature",
        ),
        (
            "body altered after signing",
            Delivery {
                body: created().to_string().replace("web", "api").into_bytes(),
                ..Delivery::signed("installation", "d-1", &created())
            },
            StatusCode::UNAUTHORIZED,
            "invalid_signature",
        ),
        (
            "signed with another secret",
            Delivery {
                signature: Some(sign(&SecretString::from("other"), &good.body)),
                ..Delivery::signed("installation", "d-1", &created())
            },
            StatusCode::UNAUTHORIZED,
            "invalid_signature",
        ),
        (
            "sha1 only",
            Delivery { signature: None, ..Delivery::signed("installation", "d-1", &created()) },
            StatusCode::UNAUTHORIZED,
            "invalid_signature",
        ),
        (
            "sha1 value in the sha256 header",
            Delivery {
                signature: Some(format!("sha1={}", "a".repeat(40))),
                ..Delivery::signed("installation", "d-1", &created())
            },
            StatusCode::UNAUTHORIZED,
            "invalid_signature",
        ),
        (
            "empty body with the signature of another",
            Delivery { body: Vec::new(), ..Delivery::signed("installation", "d-1", &created()) },
            StatusCode::UNAUTHORIZED,
            "invalid_signature",
        ),
        (
            "empty body, correctly signed",
            Delivery {
                signature: Some(sign(&SecretString::from(SECRET), b"")),
                body: Vec::new(),
                ..Delivery::signed("installation", "d-1", &created())
            },
            StatusCode::BAD_REQUEST,
            "invalid_payload",
        ),
        (
            "signed garbage",
            Delivery {
                signature: Some(sign(&SecretString::from(SECRET), b"{not json")),
                body: b"{not json".to_vec(),
                ..Delivery::signed("installation", "d-1", &created())
            },
            StatusCode::BAD_REQUEST,
            "invalid_payload",
        ),
        (
            "no event header",
            Delivery { event: None, ..Delivery::signed("installation", "d-1", &created()) },
            StatusCode::BAD_REQUEST,
            "missing_header",
        ),
        (
            "no delivery header",
            Delivery { id: None, ..Delivery::signed("installation", "d-1", &created()) },
            StatusCode::BAD_REQUEST,
            "missing_header",
        ),
        (
            "an over-long delivery id",
            Delivery::signed("installation", &"d".repeat(129), &created()),
            StatusCode::BAD_REQUEST,
            "missing_header",
        ),
        (
            "unknown event",
            Delivery::signed("issues", "d-2", &json!({"action": "opened"})),
            StatusCode::ACCEPTED,
            "",
        ),
        (
            "unknown installation action",
            Delivery::signed(
                "installation",
                "d-3",
                &json!({"action": "transferred", "installation": installation("all")}),
            ),
            StatusCode::ACCEPTED,
            "",
        ),
    ];
    for (name, delivery, status, code) in cases {
        let (got, body) = send(&h, delivery).await;
        assert_eq!(got, status, "{name}: {body}");
        if !code.is_empty() {
            assert_eq!(body["code"], code, "{name}: {body}");
            assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{name}");
        } else {
            assert_eq!(body["result"], "ignored", "{name}: {body}");
        }
        assert_untouched(&h);
    }
}

#[tokio::test]
async fn a_body_over_githubs_25_mb_cap_is_refused_before_anything_is_written() {
    let h = harness();
    let body = vec![b' '; 30 * 1024 * 1024];
    let signature = sign(&SecretString::from(SECRET), &body);
    let delivery = Delivery {
        event: Some("installation"),
        id: Some("big".into()),
        signature: Some(signature),
        body,
    };
    let (status, body) = send(&h, delivery).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["code"], "payload_too_large");
    assert_untouched(&h);
}

#[tokio::test]
async fn ping_answers_200_and_writes_nothing() {
    let h = harness();
    let (status, body) = send(
        &h,
        Delivery::signed("ping", "p-1", &json!({"zen": "Design for failure.", "hook_id": 1})),
    )
    .await;
    assert_eq!((status, body["result"].as_str()), (StatusCode::OK, Some("pong")));
    assert_untouched(&h);
}

#[tokio::test]
async fn a_replayed_delivery_answers_200_and_changes_nothing() {
    let h = harness();
    let (status, body) = send(&h, Delivery::signed("installation", "d-1", &created())).await;
    assert_eq!((status, body["result"].as_str()), (StatusCode::OK, Some("processed")));
    let before = h.installations.all();
    // The same delivery id again, even with another (validly signed) body: nothing changes.
    let mut suspend = created();
    suspend["action"] = json!("suspend");
    let (status, body) = send(&h, Delivery::signed("installation", "d-1", &suspend)).await;
    assert_eq!((status, body["result"].as_str()), (StatusCode::OK, Some("duplicate")));
    assert_eq!(h.installations.all(), before);
    assert!(!before[0].suspended);
}

#[tokio::test]
async fn the_installation_lifecycle_is_recorded_from_webhooks_alone() {
    let h = harness();
    let record = || h.installations.all().into_iter().next().unwrap();
    let event = |action: &str, selection: &str| json!({"action": action, "installation": installation(selection), "sender": {"id": 5, "login": "alice"}});

    send(&h, Delivery::signed("installation", "d-1", &created())).await;
    let r = record();
    assert_eq!(
        (r.installation_id.get(), r.account_id, r.account_login.as_str()),
        (77, 9001, "acme")
    );
    assert_eq!(r.repositories, RepositorySelection::selected(["web"]));

    let added = json!({"action": "added", "installation": installation("selected"),
        "repository_selection": "selected", "repositories_added": [{"id": 2, "name": "api", "full_name": "acme/api"}],
        "repositories_removed": [], "sender": {"id": 5, "login": "alice"}});
    send(&h, Delivery::signed("installation_repositories", "d-2", &added)).await;
    assert_eq!(record().repositories, RepositorySelection::selected(["web", "api"]));

    let removed = json!({"action": "removed", "installation": installation("selected"),
        "repository_selection": "selected", "repositories_added": [],
        "repositories_removed": [{"id": 1, "name": "web", "full_name": "acme/web"}], "sender": {"id": 5, "login": "alice"}});
    send(&h, Delivery::signed("installation_repositories", "d-3", &removed)).await;
    assert_eq!(record().repositories, RepositorySelection::selected(["api"]));

    send(&h, Delivery::signed("installation", "d-4", &event("suspend", "selected"))).await;
    assert!(record().suspended);
    send(&h, Delivery::signed("installation", "d-5", &event("unsuspend", "selected"))).await;
    assert!(!record().suspended);

    send(&h, Delivery::signed("installation", "d-6", &event("new_permissions_accepted", "all")))
        .await;
    assert_eq!(record().repositories, RepositorySelection::All);

    let renamed = json!({"action": "renamed", "target_type": "Organization",
        "account": {"id": 9001, "login": "acme-inc"}, "changes": {"login": {"from": "acme"}},
        "installation": {"id": 77}, "sender": {"id": 5, "login": "alice"}});
    send(&h, Delivery::signed("installation_target", "d-7", &renamed)).await;
    assert_eq!((record().account_id, record().account_login), (9001, "acme-inc".to_owned()));

    let (status, body) =
        send(&h, Delivery::signed("installation", "d-8", &event("deleted", "all"))).await;
    assert_eq!((status, body["result"].as_str()), (StatusCode::OK, Some("processed")));
    assert!(record().deleted);

    // A late event for a deleted installation cannot revive it.
    let (status, body) =
        send(&h, Delivery::signed("installation", "d-9", &event("unsuspend", "all"))).await;
    assert_eq!((status, body["result"].as_str()), (StatusCode::OK, Some("stale")));
    assert!(record().deleted);
    assert_eq!(h.deliveries.len(), 9);
}

#[tokio::test]
async fn the_webhook_needs_no_identity_but_deployments_still_do() {
    let h = harness();
    let (status, _) = send(&h, Delivery::signed("ping", "p-1", &json!({"zen": "x"}))).await;
    assert_eq!(status, StatusCode::OK);
    let request = Request::get("/deployments").body(Body::empty()).unwrap();
    let response = h.router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_request_guards_leave_the_webhook_alone() {
    // A caller that also sends a bearer token and one Idempotency-Key for different
    // deliveries: each delivery is acted on by its own id, never replayed, refused 422 or
    // rate-limited (GitHub does not redeliver a refused delivery by itself).
    let h = harness();
    let token = mint_dev_token(&SecretString::from(DEV_SECRET), "u-1", 600).unwrap();
    let mut suspend = created();
    suspend["action"] = json!("suspend");
    let deliveries = [
        ("installation", "g-1", created(), "processed"),
        ("installation", "g-2", suspend, "processed"),
        ("ping", "g-3", json!({"zen": "x"}), "pong"),
    ];
    for (event, id, payload, expected) in deliveries {
        let d = Delivery::signed(event, id, &payload);
        let request = Request::post("/github/webhook")
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {token}"))
            .header("idempotency-key", "same-key")
            .header("x-github-event", event)
            .header("x-github-delivery", id)
            .header("x-hub-signature-256", d.signature.unwrap())
            .body(Body::from(d.body))
            .unwrap();
        let response = h.router.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{id}");
        assert!(!response.headers().contains_key("ratelimit-limit"), "{id} was rate-limited");
        assert!(!response.headers().contains_key("idempotent-replayed"), "{id} was replayed");
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
        let body: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(body["result"], expected, "{id}");
    }
    assert!(h.installations.all()[0].suspended);
    assert!(h.idempotency.is_empty(), "an Idempotency-Key was recorded for the webhook");
}
