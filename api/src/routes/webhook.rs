//! `POST /github/webhook`: public (no identity), but every delivery must carry a valid
//! `X-Hub-Signature-256` before anything else is looked at.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::github::events::{self, WebhookEvent};
use crate::github::push::Push;
use crate::github::signature::{self, SIGNATURE_HEADER};
use crate::github::webhook::{self, WebhookOutcome};
use crate::openapi::ErrorSchema;
use crate::push_deploy::{self, PushOutcome, PushPorts};
use crate::service::ServiceError;
use crate::state::AppState;

/// GitHub caps webhook payloads at 25 MB and does not deliver larger ones.
pub const MAX_WEBHOOK_BODY: usize = 25 * 1024 * 1024;

/// The answer to a delivery.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = WebhookAnswer)]
pub struct WebhookAnswer {
    /// `pong`, `processed`, `stale`, `duplicate` or `ignored`.
    #[schema(schema_with = webhook_result)]
    pub result: &'static str,
    /// The delivery id (`X-GitHub-Delivery`).
    pub delivery: String,
    /// With a `push`: the deployments it created (or, for a redelivery, had created).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub deployments: Vec<String>,
}

fn webhook_result() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(["pong", "processed", "stale", "duplicate", "ignored"]))
        .description(Some("What became of the delivery."))
        .build()
}

/// The headers GitHub sends with every delivery.
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct WebhookHeaders {
    /// `sha256=` and the hex HMAC-SHA256 of the exact body under the webhook secret.
    #[param(rename = "X-Hub-Signature-256", pattern = "^sha256=[0-9a-fA-F]{64}$")]
    signature: String,
    /// The event's name, e.g. `installation`, `installation_repositories`, `ping`.
    #[param(rename = "X-GitHub-Event")]
    event: String,
    /// The delivery's id (GitHub sends a GUID; 1 to 128 visible ASCII characters).
    #[param(rename = "X-GitHub-Delivery", min_length = 1, max_length = 128)]
    delivery: String,
}

fn header<'a>(headers: &'a HeaderMap, name: &'static str) -> Result<&'a str, ApiError> {
    let value = headers.get(name).ok_or(ApiError::MissingHeader(name))?;
    value.to_str().map_err(|_| ApiError::MissingHeader(name))
}

/// Verifies, reads and acts on one delivery: 401 `invalid_signature` for a forged or unsigned
/// one, 400 for missing headers or a malformed payload, 413 over 25 MB, 202 for events
/// WhaleRay ignores, 200 otherwise (a redelivery too).
#[utoipa::path(
    post,
    path = "/github/webhook",
    operation_id = "receive_webhook",
    tag = "github",
    summary = "Receive a GitHub App webhook delivery",
    description = "Public: GitHub sends no token. Every delivery must carry `X-Hub-Signature-256`, the HMAC-SHA256 of the exact body under the App's webhook secret; it is checked before anything else. \
        Deliveries are deduplicated on `X-GitHub-Delivery` (a redelivery answers 200 `duplicate` and changes nothing), so `Idempotency-Key` and the per-user rate limit do not apply here.",
    params(WebhookHeaders),
    request_body(content = Object, content_type = "application/json",
        description = "The event's payload as GitHub sends it (`installation`, `installation_repositories`, `installation_target`, `push`, `ping`; any other event is ignored)"),
    responses(
        (status = 200, description = "Acted on (`processed`; for a `push`, `deployments` lists the deployments it created), already acted on (`duplicate`), about an installation deleted since (`stale`), or a `ping` (`pong`)", body = WebhookAnswer),
        (status = 202, description = "`ignored`: an event or action WhaleRay does not act on, or a `push` that deploys nothing (a deleted ref, a tag, a `[skip ci]` or `[skip deploy]` head commit)", body = WebhookAnswer),
        (status = 400, description = "`missing_header` (no `X-GitHub-Event` or no valid `X-GitHub-Delivery`), `invalid_payload` (a signed body that is not the event's shape), `invalid_request` (an unreadable body)", body = ErrorSchema),
        (status = 401, description = "`invalid_signature`: unsigned, not `sha256=<64 hex>`, or not signed with the webhook secret", body = ErrorSchema),
        (status = 413, description = "`payload_too_large`: over GitHub's 25 MB cap", body = ErrorSchema),
        (status = 500, description = "`internal_error`", body = ErrorSchema),
        (status = 503, description = "`service_unavailable`: a table is unavailable; GitHub's redelivery will be acted on", body = ErrorSchema,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
pub async fn receive(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body.map_err(|e| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
        _ => ApiError::bad_request("invalid_request", e.body_text()),
    })?;
    let signed = headers.get(SIGNATURE_HEADER).map(|v| v.as_bytes());
    signature::verify(&state.webhook_secret, &body, signed).map_err(ApiError::InvalidSignature)?;
    let event = header(&headers, "x-github-event")?;
    let delivery = header(&headers, "x-github-delivery")?;
    if !webhook::valid_delivery_id(delivery) {
        return Err(ApiError::MissingHeader("x-github-delivery"));
    }
    let parsed = events::parse(event, &body)
        .map_err(|e| ApiError::bad_request("invalid_payload", e.to_string()))?;
    if let WebhookEvent::Push(push) = &parsed {
        return receive_push(&state, delivery, push).await;
    }
    let outcome = webhook::handle(
        state.app_installations.as_ref(),
        state.deliveries.as_ref(),
        delivery,
        parsed,
    )
    .await
    .map_err(|e| ApiError::from(ServiceError::Store(e)))?;
    let status = match outcome {
        WebhookOutcome::Ignored(_) => StatusCode::ACCEPTED,
        _ => StatusCode::OK,
    };
    let answer = WebhookAnswer {
        result: outcome.as_str(),
        delivery: delivery.to_owned(),
        deployments: vec![],
    };
    Ok((status, Json(answer)).into_response())
}

/// A `push`: deployments for the projects it deploys (see `crate::push_deploy`).
async fn receive_push(state: &AppState, delivery: &str, push: &Push) -> Result<Response, ApiError> {
    let ports = PushPorts {
        projects: state.projects.as_ref(),
        links: state.installations.as_ref(),
        store: state.store.as_ref(),
        queue: state.queue.as_ref(),
    };
    let outcome = push_deploy::deploy(&ports, delivery, push)
        .await
        .map_err(|e| ApiError::from(ServiceError::Store(e)))?;
    let ids =
        |ids: Vec<whaleray_shared::DeploymentId>| ids.iter().map(ToString::to_string).collect();
    let (status, result, deployments) = match outcome {
        PushOutcome::Deployed(created) => (StatusCode::OK, "processed", ids(created)),
        PushOutcome::Duplicate(existing) => (StatusCode::OK, "duplicate", ids(existing)),
        PushOutcome::Skipped(_) => (StatusCode::ACCEPTED, "ignored", Vec::new()),
    };
    let answer = WebhookAnswer { result, delivery: delivery.to_owned(), deployments };
    Ok((status, Json(answer)).into_response())
}
