//! `/github/installations` handlers: link the caller to the installations GitHub lists for
//! them (through the OAuth code), list the links, unlink one.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use whaleray_shared::InstallationId;
use whaleray_shared::domain::RepositorySelection;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::linking::{self, LinkedInstallation};
use crate::openapi::{CommonErrors, ErrorSchema, GuardErrors, IdempotencyHeader};
use crate::state::AppState;

/// The longest code accepted (GitHub's are 20 characters).
const MAX_CODE_LEN: usize = 256;

/// Body of `POST /github/installations`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = LinkInstallations)]
pub struct LinkBody {
    /// The `code` GitHub put on the App's callback or setup URL.
    #[schema(example = "a1b2c3d4e5f6a7b8c9d0", min_length = 1, max_length = 256)]
    pub code: String,
}

/// One linked installation on the wire.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Installation)]
pub struct InstallationBody {
    /// GitHub's installation id.
    pub installation_id: u64,
    /// The account's login (as GitHub last reported it, else as linked).
    pub account_login: String,
    /// Whether a webhook has reported this installation yet.
    pub reported: bool,
    /// `all` or `selected`; null until reported.
    #[schema(value_type = Option<String>)]
    pub repository_selection: Option<&'static str>,
    /// The selected repositories' names (empty for `all`).
    pub repositories: Vec<String>,
    /// Suspended on GitHub.
    pub suspended: bool,
    /// Uninstalled on GitHub.
    pub deleted: bool,
}

/// `{"installations": [...]}`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = InstallationList)]
pub struct InstallationList {
    /// The caller's linked installations, by id.
    pub installations: Vec<InstallationBody>,
}

impl From<LinkedInstallation> for InstallationBody {
    fn from(linked: LinkedInstallation) -> Self {
        let LinkedInstallation { link, reported } = linked;
        let mut body = Self {
            installation_id: link.installation_id.get(),
            account_login: link.account_login,
            reported: reported.is_some(),
            repository_selection: None,
            repositories: Vec::new(),
            suspended: false,
            deleted: false,
        };
        if let Some(record) = reported {
            body.account_login = record.account_login;
            body.suspended = record.suspended;
            body.deleted = record.deleted;
            match record.repositories {
                RepositorySelection::All => body.repository_selection = Some("all"),
                RepositorySelection::Selected(names) => {
                    body.repository_selection = Some("selected");
                    body.repositories = names.into_iter().collect();
                }
            }
        }
        body
    }
}

fn list_body(linked: Vec<LinkedInstallation>) -> InstallationList {
    InstallationList { installations: linked.into_iter().map(Into::into).collect() }
}

/// `POST /github/installations`: 200 with the caller's links, now exactly what GitHub lists.
#[utoipa::path(
    post,
    path = "/github/installations",
    tag = "installations",
    summary = "Link the caller to their GitHub App installations",
    description = "Exchanges the OAuth `code` GitHub put on the App's callback or setup URL and makes the caller's links exactly the installations GitHub lists for them.",
    request_body = LinkBody,
    params(IdempotencyHeader),
    responses(
        CommonErrors,
        GuardErrors,
        (status = 200, description = "The caller's links, now what GitHub lists", body = InstallationList),
        (status = 400, description = "`invalid_json`, `invalid_request`, `invalid_code` (malformed, or GitHub did not accept it), `oauth_refused`, `invalid_idempotency_key`", body = ErrorSchema),
        (status = 501, description = "`linking_unavailable`: no OAuth client is configured here", body = ErrorSchema),
        (status = 503, description = "`service_unavailable`: GitHub or the installations store is unavailable", body = ErrorSchema,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
    security(("bearer" = []))
)]
pub async fn link(
    State(state): State<Arc<AppState>>,
    Caller(caller): Caller,
    body: Result<Json<LinkBody>, JsonRejection>,
) -> Result<Json<InstallationList>, ApiError> {
    let Json(body) = body?;
    let code = body.code.trim();
    if code.is_empty()
        || code.len() > MAX_CODE_LEN
        || !code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(ApiError::bad_request(
            "invalid_code",
            "code must be the non-empty code GitHub put on the callback or setup URL",
        ));
    }
    let linked = linking::link(
        state.github_users.as_deref(),
        state.installations.as_ref(),
        state.app_installations.as_ref(),
        &caller,
        code,
    )
    .await?;
    Ok(Json(list_body(linked)))
}

/// `GET /github/installations`: the caller's links with what GitHub reported of each.
#[utoipa::path(
    get,
    path = "/github/installations",
    tag = "installations",
    summary = "List the caller's linked installations",
    responses(
        CommonErrors,
        (status = 200, description = "The caller's links, with what GitHub's webhooks reported of each", body = InstallationList),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<Arc<AppState>>,
    Caller(caller): Caller,
) -> Result<Json<InstallationList>, ApiError> {
    let linked =
        linking::list(state.installations.as_ref(), state.app_installations.as_ref(), &caller)
            .await?;
    Ok(Json(list_body(linked)))
}

/// `DELETE /github/installations/{id}`: 204, or 404 when the caller has no such link.
#[utoipa::path(
    delete,
    path = "/github/installations/{id}",
    tag = "installations",
    summary = "Unlink one installation from the caller",
    params(("id" = String, Path, description = "GitHub's installation id (a positive number)")),
    responses(
        CommonErrors,
        (status = 204, description = "Unlinked"),
        (status = 400, description = "`invalid_installation_id`", body = ErrorSchema),
        (status = 404, description = "`installation_not_found`: the caller has no link to it", body = ErrorSchema),
    ),
    security(("bearer" = []))
)]
pub async fn unlink(
    State(state): State<Arc<AppState>>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = id.parse::<u64>().ok().and_then(|n| InstallationId::new(n).ok()).ok_or_else(|| {
        ApiError::bad_request(
            "invalid_installation_id",
            "installation id must be a positive number",
        )
    })?;
    linking::unlink(state.installations.as_ref(), &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
