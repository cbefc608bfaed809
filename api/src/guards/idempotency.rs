//! `Idempotency-Key` on every `POST` (draft-ietf-httpapi-idempotency-key-header).
//!
//! The key is scoped to the caller, the method and the path. The request is fingerprinted by
//! its content type and body. The first request claims the key in the shared store; its answer
//! is stored with the key for 24 hours and replayed, status and body, to every retry with the
//! same body, which then creates nothing. A retry with another body gets 422
//! `idempotency_key_reused`; one that arrives while the first is running gets 409
//! `request_in_progress`. Answers worth retrying (5xx, 429) are not stored: the claim is
//! released so the next retry runs afresh. Without the header a request runs as before.

use std::sync::Arc;

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use sha2::{Digest, Sha256};
use whaleray_shared::error::Chain;
use whaleray_shared::idempotency::{
    Claim, IdempotencyKey, IdempotencyScope, MAX_STORED_BODY, StoredResponse,
};

use super::{IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED};
use crate::error::ApiError;
use crate::state::AppState;

/// The largest request body read (axum's default body limit).
pub const MAX_REQUEST_BODY: usize = 2 * 1024 * 1024;

/// Middleware: replays, refuses or records `POST`s that carry an `Idempotency-Key`.
pub async fn replay_posts(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    if !super::guards(&request) || !request.headers().contains_key(IDEMPOTENCY_KEY) {
        return next.run(request).await;
    }
    run(&state, request, next).await.unwrap_or_else(IntoResponse::into_response)
}

async fn run(state: &AppState, request: Request, next: Next) -> Result<Response, ApiError> {
    let key = request
        .headers()
        .get(IDEMPOTENCY_KEY)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            invalid_key("invalid Idempotency-Key: it must be visible ASCII characters".into())
        })
        .and_then(|v| IdempotencyKey::parse(v).map_err(|e| invalid_key(e.to_string())))?;
    let (parts, body) = request.into_parts();
    // Unauthenticated requests carry no scope: the route refuses them as usual.
    let Ok(caller) = state.auth.identify(&parts) else {
        return Ok(next.run(Request::from_parts(parts, body)).await);
    };
    let bytes = to_bytes(body, MAX_REQUEST_BODY).await.map_err(|_| ApiError::PayloadTooLarge)?;
    let content_type = parts.headers.get(header::CONTENT_TYPE).map(HeaderValue::as_bytes);
    let fingerprint = fingerprint(content_type.unwrap_or_default(), &bytes);
    let scope =
        IdempotencyScope::new(caller.as_ref(), parts.method.as_str(), parts.uri.path(), &key);

    match state.idempotency.claim(&scope, &fingerprint, Utc::now()).await {
        Err(e) => Err(ApiError::from(e)),
        Ok(Claim::Mismatch) => Err(ApiError::IdempotencyKeyReused),
        Ok(Claim::InFlight) => Err(ApiError::RequestInProgress),
        Ok(Claim::Replay(stored)) => Ok(replay(stored)),
        Ok(Claim::Acquired) => {
            let response = next.run(Request::from_parts(parts, Body::from(bytes))).await;
            Ok(record(state, &scope, &fingerprint, response).await)
        }
    }
}

/// Stores `response` for replay, or releases the claim when it is worth retrying.
async fn record(
    state: &AppState,
    scope: &IdempotencyScope,
    fingerprint: &str,
    response: Response,
) -> Response {
    let status = response.status();
    if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
        if let Err(e) = state.idempotency.release(scope, fingerprint).await {
            tracing::warn!(error = %Chain(&e), "could not release an idempotency claim; it lapses in a minute");
        }
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_STORED_BODY).await else {
        tracing::error!("an answer to an idempotent request was too large to store");
        return ApiError::Internal("answer too large to store for replay".into()).into_response();
    };
    let stored = StoredResponse {
        status: status.as_u16(),
        body: String::from_utf8_lossy(&bytes).into_owned(),
        location: parts
            .headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    };
    if let Err(e) = state.idempotency.complete(scope, fingerprint, &stored).await {
        // The request's effect happened; the answer stands. A retry will find the claim
        // in flight until its lock lapses, then run again.
        tracing::error!(error = %Chain(&e), "could not store the answer of an idempotent request");
    }
    Response::from_parts(parts, Body::from(bytes))
}

fn replay(stored: StoredResponse) -> Response {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let mut response = (status, stored.body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
    if let Some(location) = stored.location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        headers.insert(header::LOCATION, location);
    }
    response
}

/// The request's fingerprint: SHA-256 over its content type and body.
pub fn fingerprint(content_type: &[u8], body: &[u8]) -> String {
    let mut hash = Sha256::new();
    hash.update(content_type);
    hash.update(b"\n");
    hash.update(body);
    hex::encode(hash.finalize())
}

fn invalid_key(message: String) -> ApiError {
    ApiError::bad_request("invalid_idempotency_key", message)
}
