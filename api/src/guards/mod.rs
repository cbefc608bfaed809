//! Request guards that wrap every route: per-user rate limits and `Idempotency-Key` replay.
//!
//! Both are axum middleware over the whole router and act on every `POST`, so a route added
//! later is covered without naming it here; the only exceptions are the public, signed
//! routes in [`UNGUARDED_POSTS`].

pub mod idempotency;
pub mod rate_limit;

use axum::extract::Request;
use axum::http::{HeaderName, Method};

/// `Idempotency-Key`: the client's key for a `POST` it may retry.
pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
/// `Idempotent-Replayed: true` marks an answer replayed from an earlier request.
pub const IDEMPOTENT_REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");
/// `RateLimit-Limit`: the bucket's size (requests allowed at once).
pub const RATELIMIT_LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
/// `RateLimit-Remaining`: requests still allowed right now.
pub const RATELIMIT_REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
/// `RateLimit-Reset`: seconds until the bucket is full again (or, when limited, until the
/// next request is allowed).
pub const RATELIMIT_RESET: HeaderName = HeaderName::from_static("ratelimit-reset");

/// Response headers a browser script may read (CORS `Access-Control-Expose-Headers`).
pub const EXPOSED_HEADERS: [HeaderName; 6] = [
    axum::http::header::LOCATION,
    axum::http::header::RETRY_AFTER,
    RATELIMIT_LIMIT,
    RATELIMIT_REMAINING,
    RATELIMIT_RESET,
    IDEMPOTENT_REPLAYED,
];

/// `POST` routes the guards leave alone. GitHub's webhook carries no caller identity (its
/// signature authenticates it), is deduplicated on `X-GitHub-Delivery` instead of an
/// `Idempotency-Key`, and must never be answered 429: GitHub does not redeliver a failed
/// delivery by itself. API Gateway's stage throttling still bounds it.
pub const UNGUARDED_POSTS: &[&str] = &["/github/webhook"];

/// Whether the guards act on `request`: a `POST` to any route but [`UNGUARDED_POSTS`].
pub fn guards(request: &Request) -> bool {
    request.method() == Method::POST && !UNGUARDED_POSTS.contains(&request.uri().path())
}
