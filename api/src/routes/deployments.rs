//! `/deployments` handlers.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;
use whaleray_shared::DeploymentId;
use whaleray_shared::domain::ProjectId;

use crate::auth::Caller;
use crate::dto::{
    CreateDeploymentBody, CreatedBody, DeploymentBody, DeploymentList, decode_cursor, encode_cursor,
};
use crate::error::ApiError;
use crate::openapi::{CommonErrors, ErrorSchema, GuardErrors, IdempotencyHeader};
use crate::service::{self, DeploymentRequest};
use crate::state::AppState;

/// `POST /deployments`: 202 with the new deployment's id and `INSPECTING`.
#[utoipa::path(
    post,
    path = "/deployments",
    tag = "deployments",
    summary = "Deploy a repository",
    description = "Records the deployment as INSPECTING and queues its inspection; poll `Location` until the status settles.",
    request_body = CreateDeploymentBody,
    params(IdempotencyHeader),
    responses(
        CommonErrors,
        GuardErrors,
        (status = 202, description = "Accepted: the deployment is INSPECTING", body = CreatedBody,
            headers(("Location" = String, description = "The new deployment's URL, `/deployments/{id}`"))),
        (status = 400, description = "`invalid_json`, `invalid_request`, `invalid_repository`, `invalid_branch`, `invalid_root_directory`, `invalid_idempotency_key`", body = ErrorSchema),
        (status = 403, description = "`repository_not_installed`; `installation_deleted`, `installation_suspended` or `repository_not_selected` when GitHub reported the caller's installation uninstalled, suspended, or not granting the repository", body = ErrorSchema),
        (status = 429, description = "`rate_limited`: the user's (or installation's) bucket is empty", body = ErrorSchema,
            headers(
                ("Retry-After" = u64, description = "Seconds until the next request is allowed"),
                ("RateLimit-Limit" = u32, description = "Requests allowed at once"),
                ("RateLimit-Remaining" = u32, description = "Always 0"),
                ("RateLimit-Reset" = u64, description = "Seconds until the next request is allowed"),
            )),
        (status = 503, description = "`service_unavailable`: a dependency is down; if the job could not be queued the deployment is FAILED", body = ErrorSchema,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
    security(("bearer" = []))
)]
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
        service::InstallationLimit {
            buckets: state.rate_limits.as_ref(),
            limit: state.limits.per_installation,
        },
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
#[utoipa::path(
    get,
    path = "/deployments/{id}",
    tag = "deployments",
    summary = "Read a deployment",
    params(("id" = String, Path, description = "The deployment id (a ULID)")),
    responses(
        CommonErrors,
        (status = 200, description = "The deployment", body = DeploymentBody),
        (status = 400, description = "`invalid_deployment_id`", body = ErrorSchema),
        (status = 404, description = "`deployment_not_found`: unknown, or someone else's", body = ErrorSchema),
    ),
    security(("bearer" = []))
)]
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
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// How many to return, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// The `nextCursor` of the previous page.
    pub cursor: Option<String>,
    /// Only the deployments of this project of the caller's (404 `project_not_found` for
    /// someone else's).
    #[serde(rename = "projectId")]
    #[param(rename = "projectId")]
    pub project_id: Option<String>,
}

/// `GET /deployments`: the caller's deployments, newest first.
#[utoipa::path(
    get,
    path = "/deployments",
    tag = "deployments",
    summary = "List the caller's deployments",
    params(ListQuery),
    responses(
        CommonErrors,
        (status = 200, description = "A page of deployments, newest first", body = DeploymentList),
        (status = 400, description = "`invalid_query`, `invalid_cursor`, `invalid_project_id`", body = ErrorSchema),
        (status = 404, description = "`project_not_found`: `projectId` names no project of the caller's", body = ErrorSchema),
    ),
    security(("bearer" = []))
)]
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
    let page = match query.project_id.as_deref().map(ProjectId::parse).transpose() {
        Err(e) => return Err(ApiError::bad_request("invalid_project_id", e.to_string())),
        Ok(Some(project)) => {
            let (projects, store) = (state.projects.as_ref(), state.store.as_ref());
            crate::projects::deployments_of(
                projects,
                store,
                &caller,
                project,
                limit,
                after.as_ref(),
            )
            .await?
        }
        Ok(None) => {
            service::list_deployments(state.store.as_ref(), &caller, limit, after.as_ref()).await?
        }
    };
    Ok(Json(DeploymentList {
        deployments: page.deployments.into_iter().map(Into::into).collect(),
        next_cursor: page.next.as_ref().map(encode_cursor),
    }))
}

/// `POST /deployments/{id}/cancel`: 200 with the deployment, now CANCELED.
#[utoipa::path(
    post,
    path = "/deployments/{id}/cancel",
    tag = "deployments",
    summary = "Cancel a deployment",
    description = "INSPECTING (or FAILED) becomes CANCELED at once; BUILDING has its CodeBuild build stopped, then becomes CANCELED. A final deployment, or one whose build already ended, is left as it is (409, with its `status`).",
    params(("id" = String, Path, description = "The deployment id (a ULID)"), IdempotencyHeader),
    responses(
        CommonErrors,
        GuardErrors,
        (status = 200, description = "The deployment, now CANCELED", body = DeploymentBody),
        (status = 400, description = "`invalid_deployment_id`, `invalid_idempotency_key`", body = ErrorSchema),
        (status = 404, description = "`deployment_not_found`: unknown, or someone else's", body = ErrorSchema),
        (status = 409, description = "`deployment_final`: already NOT_SUPPORTED, SUCCEEDED, BUILD_FAILED or CANCELED; `build_already_ended`: the build completed before it could be stopped, and its outcome is being recorded (`status` is the deployment's current status); `request_in_progress`: a request with this Idempotency-Key is still running", body = ErrorSchema,
            headers(("Retry-After" = u64, description = "Seconds to wait (`request_in_progress` only)"))),
        (status = 503, description = "`service_unavailable`: the deployment store or CodeBuild is unavailable; nothing was changed, or the build is already stopping and its STOPPED state ends the deployment CANCELED", body = ErrorSchema,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
    security(("bearer" = []))
)]
pub async fn cancel(
    State(state): State<Arc<AppState>>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Json<DeploymentBody>, ApiError> {
    let id = DeploymentId::parse(&id)
        .map_err(|e| ApiError::bad_request("invalid_deployment_id", e.to_string()))?;
    let canceled =
        crate::cancel::cancel_deployment(state.store.as_ref(), state.builds.as_ref(), &caller, id)
            .await?;
    Ok(Json(canceled.into()))
}
