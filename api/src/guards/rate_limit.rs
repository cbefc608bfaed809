//! Per-user rate limits on every `POST`: one token bucket per caller in the shared store, so
//! the limit holds across API instances. Reads are not limited here (API Gateway's stage
//! throttling bounds them); every `POST` takes a token, replays included, except the signed
//! webhook (see [`super::UNGUARDED_POSTS`]).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use whaleray_shared::rate_limit::{Decision, RateLimit};

use super::{RATELIMIT_LIMIT, RATELIMIT_REMAINING, RATELIMIT_RESET};
use crate::error::ApiError;
use crate::state::AppState;

/// The configured limits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Every `POST` of one user.
    pub per_user: RateLimit,
    /// Deployments created from one GitHub App installation, by all its users together.
    pub per_installation: RateLimit,
}

/// The bucket name of a user's `POST`s.
pub fn user_bucket(user: &str) -> String {
    format!("user#{user}")
}

/// The bucket name of an installation's creates.
pub fn installation_bucket(installation: u64) -> String {
    format!("installation#{installation}")
}

/// Middleware: takes a token from the caller's bucket for each `POST`, answering 429
/// `rate_limited` with `Retry-After` when it is empty. Unauthenticated requests pass on to
/// the route, which refuses them.
pub async fn limit_posts(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    if !super::guards(&request) {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let Ok(caller) = state.auth.identify(&parts) else {
        return next.run(Request::from_parts(parts, body)).await;
    };
    let decision = match state
        .rate_limits
        .take(&user_bucket(caller.as_ref()), state.limits.per_user, Utc::now())
        .await
    {
        Ok(decision) => decision,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let mut response = match decision {
        Decision::Limited { .. } => ApiError::RateLimited(decision).into_response(),
        Decision::Allowed { .. } => next.run(Request::from_parts(parts, body)).await,
    };
    // A route that applied a narrower limit (the installation's) already set the headers.
    if !response.headers().contains_key(RATELIMIT_LIMIT) {
        set_headers(response.headers_mut(), &decision);
    }
    response
}

/// Writes the `RateLimit-*` headers (and `Retry-After` when limited) for `decision`.
pub fn set_headers(headers: &mut HeaderMap, decision: &Decision) {
    headers.insert(RATELIMIT_LIMIT, HeaderValue::from(decision.limit().burst()));
    headers.insert(RATELIMIT_REMAINING, HeaderValue::from(decision.remaining()));
    headers.insert(RATELIMIT_RESET, HeaderValue::from(decision.reset_seconds()));
    if let Decision::Limited { .. } = decision {
        headers.insert(
            axum::http::header::RETRY_AFTER,
            HeaderValue::from(decision.reset_seconds().max(1)),
        );
    }
}
