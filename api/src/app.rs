//! The router: routes, CORS, and JSON answers for unknown routes and methods.

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{Method, Uri, header};
use axum::middleware::from_fn_with_state;
use axum::routing::get;
use tower_http::cors::{AllowOrigin, CorsLayer};
use utoipa::OpenApi;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::guards::{EXPOSED_HEADERS, IDEMPOTENCY_KEY, idempotency, rate_limit};
use crate::openapi::ApiDoc;
use crate::routes::{deployments, installations, projects, webhook};
use crate::state::AppState;

/// Builds the API router over `state`.
pub fn router(state: Arc<AppState>) -> Router {
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list(state.allowed_origins.clone()))
        .allow_credentials(true)
        .allow_methods([Method::GET, Method::POST, Method::PATCH, Method::DELETE])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE, IDEMPOTENCY_KEY])
        .expose_headers(EXPOSED_HEADERS)
        .max_age(std::time::Duration::from_secs(600));
    let (routes, _) = api_routes().split_for_parts();
    routes
        .route("/openapi.json", get(openapi_json))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        // Outermost last: CORS, then the rate limit, then idempotency around the routes.
        .layer(from_fn_with_state(state.clone(), idempotency::replay_posts))
        .layer(from_fn_with_state(state.clone(), rate_limit::limit_posts))
        .layer(cors)
        .with_state(state)
}

/// Every documented route, with its OpenAPI description. A route added here is in the
/// document, the committed `api/openapi.json` and the contract tests at once.
pub fn api_routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(deployments::list, deployments::create))
        .routes(routes!(deployments::get))
        .routes(routes!(deployments::cancel))
        .routes(routes!(installations::list, installations::link))
        .routes(routes!(installations::unlink))
        .routes(routes!(projects::list, projects::create))
        .routes(routes!(projects::get, projects::update, projects::delete))
        .routes(routes!(webhook::receive).layer(DefaultBodyLimit::max(webhook::MAX_WEBHOOK_BODY)))
}

/// `GET /openapi.json`: the contract, without authentication.
async fn openapi_json() -> impl axum::response::IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], crate::openapi::document_json())
}

async fn not_found(uri: Uri) -> ApiError {
    ApiError::RouteNotFound(uri.path().to_owned())
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
