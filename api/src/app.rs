//! The router: routes, CORS, and JSON answers for unknown routes and methods.

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{Method, Uri, header};
use axum::routing::{delete, get, post};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::error::ApiError;
use crate::routes::{deployments, installations, webhook};
use crate::state::AppState;

/// Builds the API router over `state`.
pub fn router(state: Arc<AppState>) -> Router {
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list(state.allowed_origins.clone()))
        .allow_credentials(true)
        .allow_methods([Method::GET, Method::POST, Method::DELETE])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .max_age(std::time::Duration::from_secs(600));
    Router::new()
        .route("/deployments", get(deployments::list).post(deployments::create))
        .route("/deployments/{id}", get(deployments::get))
        .route("/github/installations", get(installations::list).post(installations::link))
        .route("/github/installations/{id}", delete(installations::unlink))
        .route(
            "/github/webhook",
            post(webhook::receive).layer(DefaultBodyLimit::max(webhook::MAX_WEBHOOK_BODY)),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(cors)
        .with_state(state)
}

async fn not_found(uri: Uri) -> ApiError {
    ApiError::RouteNotFound(uri.path().to_owned())
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
