//! `/projects` handlers: connect a repository for push-to-deploy, read, list, change the
//! production branch, disconnect.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;
use whaleray_shared::domain::{Project, ProjectId};
use whaleray_shared::{GitRef, RepoFullName, RootDirectory};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::openapi::{CommonErrors, ErrorSchema, GuardErrors, IdempotencyHeader};
use crate::projects::{self, NewProject};
use crate::state::AppState;

/// Body of `POST /projects`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = CreateProject)]
pub struct CreateProjectBody {
    /// `owner/name` of a repository the WhaleRay GitHub App is installed on.
    #[schema(example = "acme/vite-app")]
    pub repository: String,
    /// The branch whose pushes deploy; absent or null: the repository's default branch, as
    /// GitHub names it in each push.
    #[serde(default)]
    pub production_branch: Option<String>,
    /// The app's folder in a monorepo; absent: the repository root. Fixed once created.
    #[serde(default)]
    pub root_directory: Option<String>,
}

/// Body of `PATCH /projects/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = UpdateProject)]
pub struct UpdateProjectBody {
    /// The new production branch, or null to follow the repository's default branch.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, required = true)]
    pub production_branch: Option<Option<String>>,
}

/// Tells a field sent as `null` (`Some(None)`) from one left out (`None`).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// A project on the wire.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Project)]
pub struct ProjectBody {
    /// The id (a ULID).
    pub project_id: String,
    /// `owner/name`, as given at creation.
    pub repository: String,
    /// The app's folder (`.` for the repository root).
    pub root_directory: String,
    /// The branch whose pushes deploy, or null for the repository's default branch.
    pub production_branch: Option<String>,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// RFC 3339 time of the last change.
    pub updated_at: String,
}

impl From<Project> for ProjectBody {
    fn from(p: Project) -> Self {
        Self {
            project_id: p.id.to_string(),
            repository: p.repository.to_string(),
            root_directory: p.root_directory.to_string(),
            production_branch: p.production_branch.map(|b| b.to_string()),
            created_at: p.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            updated_at: p.updated_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        }
    }
}

/// `{"projects": [...]}`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(as = ProjectList)]
pub struct ProjectList {
    /// The caller's projects, oldest first.
    pub projects: Vec<ProjectBody>,
}

fn branch(value: Option<&str>) -> Result<Option<GitRef>, ApiError> {
    value
        .map(GitRef::parse)
        .transpose()
        .map_err(|e| ApiError::bad_request("invalid_branch", e.to_string()))
}

impl TryFrom<CreateProjectBody> for NewProject {
    type Error = ApiError;

    fn try_from(body: CreateProjectBody) -> Result<Self, ApiError> {
        let repository = RepoFullName::parse(body.repository.trim())
            .map_err(|e| ApiError::bad_request("invalid_repository", e.to_string()))?;
        let root_directory = RootDirectory::parse(body.root_directory.as_deref().unwrap_or("."))
            .map_err(|e| ApiError::bad_request("invalid_root_directory", e.to_string()))?;
        let production_branch = branch(body.production_branch.as_deref())?;
        Ok(Self { repository, root_directory, production_branch })
    }
}

fn project_id(id: &str) -> Result<ProjectId, ApiError> {
    ProjectId::parse(id).map_err(|e| ApiError::bad_request("invalid_project_id", e.to_string()))
}

/// `POST /projects`: 201 with the project and its `Location`.
#[utoipa::path(
    post,
    path = "/projects",
    tag = "projects",
    summary = "Connect a repository: every push to its production branch deploys it",
    description = "The caller must be able to deploy the repository (the same installation check as `POST /deployments`). \
        At most one project per caller, repository (ignoring case) and root directory: another answers 409 `project_exists` with the existing project's id.",
    request_body = CreateProjectBody,
    params(IdempotencyHeader),
    responses(
        CommonErrors,
        GuardErrors,
        (status = 201, description = "Created", body = ProjectBody,
            headers(("Location" = String, description = "The project's URL, `/projects/{id}`"))),
        (status = 400, description = "`invalid_json`, `invalid_request`, `invalid_repository`, `invalid_branch`, `invalid_root_directory`, `invalid_idempotency_key`", body = ErrorSchema),
        (status = 403, description = "`repository_not_installed`, `installation_deleted`, `installation_suspended`, `repository_not_selected` (as for `POST /deployments`)", body = ErrorSchema),
        (status = 409, description = "`project_exists` (the body's `projectId` and `Location` name the existing project), or `request_in_progress`: a request with this Idempotency-Key is still running", body = ErrorSchema,
            headers(
                ("Location" = String, description = "With `project_exists`: the existing project's URL"),
                ("Retry-After" = u64, description = "With `request_in_progress`: seconds to wait"),
            )),
    ),
    security(("bearer" = []))
)]
pub async fn create(
    State(state): State<Arc<AppState>>,
    Caller(caller): Caller,
    body: Result<Json<CreateProjectBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body?;
    let request = NewProject::try_from(body)?;
    let project = projects::create(
        state.projects.as_ref(),
        state.installations.as_ref(),
        state.app_installations.as_ref(),
        caller,
        request,
    )
    .await?;
    let location = format!("/projects/{}", project.id);
    let mut response = (StatusCode::CREATED, Json(ProjectBody::from(project))).into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

/// `GET /projects`: the caller's projects.
#[utoipa::path(
    get,
    path = "/projects",
    tag = "projects",
    summary = "List the caller's projects",
    responses(
        CommonErrors,
        (status = 200, description = "The caller's projects, oldest first", body = ProjectList),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<Arc<AppState>>,
    Caller(caller): Caller,
) -> Result<Json<ProjectList>, ApiError> {
    let found = projects::list(state.projects.as_ref(), &caller).await?;
    Ok(Json(ProjectList { projects: found.into_iter().map(Into::into).collect() }))
}

/// `GET /projects/{id}`: one project, to its owner only.
#[utoipa::path(
    get,
    path = "/projects/{id}",
    tag = "projects",
    summary = "Read a project",
    params(("id" = String, Path, description = "The project id (a ULID)")),
    responses(
        CommonErrors,
        (status = 200, description = "The project", body = ProjectBody),
        (status = 400, description = "`invalid_project_id`", body = ErrorSchema),
        (status = 404, description = "`project_not_found`: unknown, or someone else's", body = ErrorSchema),
    ),
    security(("bearer" = []))
)]
pub async fn get(
    State(state): State<Arc<AppState>>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Json<ProjectBody>, ApiError> {
    let project = projects::get(state.projects.as_ref(), &caller, project_id(&id)?).await?;
    Ok(Json(project.into()))
}

/// `PATCH /projects/{id}`: changes the production branch.
#[utoipa::path(
    patch,
    path = "/projects/{id}",
    tag = "projects",
    summary = "Change a project's production branch",
    description = "The body must carry `productionBranch`: a branch name, or null to follow the repository's default branch. The repository and root directory are fixed: delete the project and create another to change them.",
    params(("id" = String, Path, description = "The project id (a ULID)")),
    request_body = UpdateProjectBody,
    responses(
        CommonErrors,
        (status = 200, description = "The project as changed", body = ProjectBody),
        (status = 400, description = "`invalid_project_id`, `invalid_json`, `invalid_request` (no `productionBranch`, or another field), `invalid_branch`", body = ErrorSchema),
        (status = 404, description = "`project_not_found`: unknown, or someone else's", body = ErrorSchema),
        (status = 413, description = "`payload_too_large`", body = ErrorSchema),
        (status = 415, description = "`unsupported_media_type`", body = ErrorSchema),
    ),
    security(("bearer" = []))
)]
pub async fn update(
    State(state): State<Arc<AppState>>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    body: Result<Json<UpdateProjectBody>, JsonRejection>,
) -> Result<Json<ProjectBody>, ApiError> {
    let id = project_id(&id)?;
    let Json(body) = body?;
    let Some(production_branch) = body.production_branch else {
        return Err(ApiError::bad_request(
            "invalid_request",
            "the body must set productionBranch (a branch name, or null for the default branch)",
        ));
    };
    let production_branch = branch(production_branch.as_deref())?;
    let project =
        projects::set_production_branch(state.projects.as_ref(), &caller, id, production_branch)
            .await?;
    Ok(Json(project.into()))
}

/// `DELETE /projects/{id}`: 204; pushes stop deploying it, its deployments stay.
#[utoipa::path(
    delete,
    path = "/projects/{id}",
    tag = "projects",
    summary = "Disconnect a project",
    description = "Pushes no longer deploy it. Its deployments stay.",
    params(("id" = String, Path, description = "The project id (a ULID)")),
    responses(
        CommonErrors,
        (status = 204, description = "Deleted"),
        (status = 400, description = "`invalid_project_id`", body = ErrorSchema),
        (status = 404, description = "`project_not_found`: unknown, or someone else's", body = ErrorSchema),
    ),
    security(("bearer" = []))
)]
pub async fn delete(
    State(state): State<Arc<AppState>>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    projects::delete(state.projects.as_ref(), &caller, project_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
