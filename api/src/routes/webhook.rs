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

use crate::error::ApiError;
use crate::github::events;
use crate::github::signature::{self, SIGNATURE_HEADER};
use crate::github::webhook::{self, WebhookOutcome};
use crate::service::ServiceError;
use crate::state::AppState;

/// GitHub caps webhook payloads at 25 MB and does not deliver larger ones.
pub const MAX_WEBHOOK_BODY: usize = 25 * 1024 * 1024;

/// The answer to a delivery.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookAnswer {
    /// `pong`, `processed`, `stale`, `duplicate` or `ignored`.
    pub result: &'static str,
    /// The delivery id.
    pub delivery: String,
}

fn header<'a>(headers: &'a HeaderMap, name: &'static str) -> Result<&'a str, ApiError> {
    let value = headers.get(name).ok_or(ApiError::MissingHeader(name))?;
    value.to_str().map_err(|_| ApiError::MissingHeader(name))
}

/// Verifies, reads and acts on one delivery: 401 `invalid_signature` for a forged or unsigned
/// one, 400 for missing headers or a malformed payload, 413 over 25 MB, 202 for events
/// WhaleRay ignores, 200 otherwise (a redelivery too).
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
    let answer = WebhookAnswer { result: outcome.as_str(), delivery: delivery.to_owned() };
    Ok((status, Json(answer)).into_response())
}
