//! `/deployments` handlers.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use whaleray_shared::DeploymentId;

use crate::auth::Caller;
use crate::dto::{
    CreateDeploymentBody, CreatedBody, DeploymentBody, DeploymentList, decode_cursor, encode_cursor,
};
use crate::error::ApiError;
use crate::service::{self, DeploymentRequest};
use crate::state::AppState;

/// `POST /deployments`: 202 with the new deployment's id and `INSPECTING`.
pub async fn create(
    State(state): State<Arc<AppState>>,
    Caller(caller): Caller,
    body: Result<Json<CreateDeploymentBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body?;
    let request = DeploymentRequest::try_from(body)?;
    let deployment = service::create_deployment(
        state.store.as_ref(),
        state.installations.as_ref(),
        state.app_installations.as_ref(),
        state.queue.as_ref(),
        caller,
        request,
    )
    .await?;
    let location = format!("/deployments/{}", deployment.id);
    let body = CreatedBody {
        deployment_id: deployment.id.to_string(),
        status: deployment.status.to_string(),
    };
    let mut response = (StatusCode::ACCEPTED, Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

/// `GET /deployments/{id}`: the record, to its owner only.
pub async fn get(
    State(state): State<Arc<AppState>>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Json<DeploymentBody>, ApiError> {
    let id = DeploymentId::parse(&id)
        .map_err(|e| ApiError::bad_request("invalid_deployment_id", e.to_string()))?;
    let deployment = service::get_deployment(state.store.as_ref(), &caller, id).await?;
    Ok(Json(deployment.into()))
}

/// Query of `GET /deployments`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// How many to return, 1 to 100 (default 20).
    pub limit: Option<u32>,
    /// The `nextCursor` of the previous page.
    pub cursor: Option<String>,
}

/// `GET /deployments`: the caller's deployments, newest first.
pub async fn list(
    State(state): State<Arc<AppState>>,
    Caller(caller): Caller,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<DeploymentList>, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))?;
    let limit = query.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::bad_request("invalid_query", "limit must be between 1 and 100"));
    }
    let after = query.cursor.as_deref().map(decode_cursor).transpose()?;
    let page =
        service::list_deployments(state.store.as_ref(), &caller, limit, after.as_ref()).await?;
    Ok(Json(DeploymentList {
        deployments: page.deployments.into_iter().map(Into::into).collect(),
        next_cursor: page.next.as_ref().map(encode_cursor),
    }))
}
