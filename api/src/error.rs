//! API errors: each becomes a JSON `{code, message}` body with a stable `code` and the right
//! status. Unexpected failures log their whole cause chain and answer with an opaque message.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use whaleray_shared::error::{Chain, GuardError};
use whaleray_shared::rate_limit::Decision;
use whaleray_shared::{DeploymentStatus, ErrorClass, InstallationRefusal, RepoFullName};

use crate::cancel::CancelError;
use crate::github::oauth::OAuthError;
use crate::linking::LinkError;
use crate::projects::ProjectError;
use crate::service::ServiceError;

/// Everything a route can answer besides success.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body is not JSON, or not the expected shape.
    #[error("{message}")]
    BadRequest {
        /// Stable machine-readable code.
        code: &'static str,
        /// What is wrong, for a person.
        message: String,
    },
    /// The body is not `application/json`.
    #[error("expected a request body with content-type application/json")]
    UnsupportedMediaType,
    /// The body exceeds the limit.
    #[error("the request body is too large")]
    PayloadTooLarge,
    /// No valid identity.
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// A webhook delivery without a valid `X-Hub-Signature-256`.
    #[error("the webhook delivery is not signed with the webhook secret: {0}")]
    InvalidSignature(crate::github::signature::SignatureError),
    /// A webhook delivery without a header GitHub always sends.
    #[error("the webhook delivery lacks a valid {0} header")]
    MissingHeader(&'static str),
    /// The repository is not in any of the caller's GitHub App installations.
    #[error("the WhaleRay GitHub App is not installed on {0}, or you have no access to it")]
    NotInstalled(String),
    /// The caller's installation exists but GitHub reported that it cannot deploy the
    /// repository (the message says why; the code is one of `installation_deleted`,
    /// `installation_suspended`, `repository_not_selected`).
    #[error("{message}")]
    InstallationRefused {
        /// Stable machine-readable code.
        code: &'static str,
        /// What is wrong, for a person.
        message: String,
    },
    /// The caller has no link to this installation.
    #[error("installation {0} is not linked to your account")]
    InstallationNotLinked(String),
    /// No OAuth client is configured, so linking cannot work here.
    #[error("{0}")]
    LinkingUnavailable(String),
    /// No such deployment for this caller.
    #[error("deployment {0} not found")]
    DeploymentNotFound(String),
    /// No such project for this caller.
    #[error("project {0} not found")]
    ProjectNotFound(String),
    /// The caller already has a project on this repository and root directory (its id).
    #[error("you already have project {0} on this repository and root directory")]
    ProjectExists(String),
    /// The deployment's status does not allow the request; the body names the status.
    #[error("{message}")]
    DeploymentConflict {
        /// Stable machine-readable code.
        code: &'static str,
        /// What is wrong, for a person.
        message: String,
        /// The deployment's current status.
        status: DeploymentStatus,
    },
    /// No such route.
    #[error("no route for {0}")]
    RouteNotFound(String),
    /// The route exists but not for this method.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The `Idempotency-Key` was used before with a different request.
    #[error("this Idempotency-Key was already used with a different request; use a new key")]
    IdempotencyKeyReused,
    /// A request with the same `Idempotency-Key` is still running.
    #[error("a request with this Idempotency-Key is still in progress; retry shortly")]
    RequestInProgress,
    /// The caller (or the installation) sent too many requests.
    #[error("too many requests; retry after {} s", .0.reset_seconds().max(1))]
    RateLimited(Decision),
    /// A dependency is down or throttling; try again.
    #[error("{0}")]
    Unavailable(String),
    /// Anything unexpected; the cause goes to the log only.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ErrorBody<'a> {
    code: &'a str,
    message: String,
    /// With `project_exists`: the existing project.
    #[serde(skip_serializing_if = "Option::is_none")]
    project_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<&'static str>,
}

impl ApiError {
    /// The stable `code` and HTTP status of this error.
    pub fn code_and_status(&self) -> (&'static str, StatusCode) {
        match self {
            Self::BadRequest { code, .. } => (code, StatusCode::BAD_REQUEST),
            Self::UnsupportedMediaType => {
                ("unsupported_media_type", StatusCode::UNSUPPORTED_MEDIA_TYPE)
            }
            Self::PayloadTooLarge => ("payload_too_large", StatusCode::PAYLOAD_TOO_LARGE),
            Self::Unauthenticated(_) => ("unauthenticated", StatusCode::UNAUTHORIZED),
            Self::InvalidSignature(_) => ("invalid_signature", StatusCode::UNAUTHORIZED),
            Self::MissingHeader(_) => ("missing_header", StatusCode::BAD_REQUEST),
            Self::NotInstalled(_) => ("repository_not_installed", StatusCode::FORBIDDEN),
            Self::InstallationRefused { code, .. } => (code, StatusCode::FORBIDDEN),
            Self::DeploymentNotFound(_) => ("deployment_not_found", StatusCode::NOT_FOUND),
            Self::ProjectNotFound(_) => ("project_not_found", StatusCode::NOT_FOUND),
            Self::ProjectExists(_) => ("project_exists", StatusCode::CONFLICT),
            Self::InstallationNotLinked(_) => ("installation_not_found", StatusCode::NOT_FOUND),
            Self::LinkingUnavailable(_) => ("linking_unavailable", StatusCode::NOT_IMPLEMENTED),
            Self::DeploymentConflict { code, .. } => (code, StatusCode::CONFLICT),
            Self::RouteNotFound(_) => ("route_not_found", StatusCode::NOT_FOUND),
            Self::MethodNotAllowed => ("method_not_allowed", StatusCode::METHOD_NOT_ALLOWED),
            Self::IdempotencyKeyReused => {
                ("idempotency_key_reused", StatusCode::UNPROCESSABLE_ENTITY)
            }
            Self::RequestInProgress => ("request_in_progress", StatusCode::CONFLICT),
            Self::RateLimited(_) => ("rate_limited", StatusCode::TOO_MANY_REQUESTS),
            Self::Unavailable(_) => ("service_unavailable", StatusCode::SERVICE_UNAVAILABLE),
            Self::Internal(_) => ("internal_error", StatusCode::INTERNAL_SERVER_ERROR),
        }
    }

    /// A 400 with a code and message.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::BadRequest { code, message: message.into() }
    }
}

impl From<ServiceError> for ApiError {
    fn from(err: ServiceError) -> Self {
        match err {
            ServiceError::NotInstalled(repo) => Self::NotInstalled(repo.to_string()),
            ServiceError::Refused { repository, reason } => refusal(&repository, reason),
            ServiceError::NotFound(id) => Self::DeploymentNotFound(id.to_string()),
            ServiceError::NotQueued { .. } => Self::Unavailable(
                "the deployment could not be queued; it was marked FAILED, please deploy again"
                    .into(),
            ),
            ServiceError::Store(e) if e.class() == ErrorClass::Retryable => {
                tracing::warn!(error = %Chain(&e), "store unavailable");
                Self::Unavailable("the deployment store is unavailable; try again shortly".into())
            }
            ServiceError::Store(e) => Self::Internal(Box::new(e)),
            ServiceError::RateLimited(decision) => Self::RateLimited(decision),
            ServiceError::Guard(e) => Self::from(e),
        }
    }
}

impl From<ProjectError> for ApiError {
    fn from(err: ProjectError) -> Self {
        match err {
            ProjectError::Gate(e) => Self::from(e),
            ProjectError::NotFound(id) => Self::ProjectNotFound(id.to_string()),
            ProjectError::Exists(id) => Self::ProjectExists(id.to_string()),
            ProjectError::Store(e) => Self::from(ServiceError::Store(e)),
        }
    }
}

impl From<CancelError> for ApiError {
    fn from(err: CancelError) -> Self {
        let message = err.to_string();
        match err {
            CancelError::NotFound(id) => Self::DeploymentNotFound(id.to_string()),
            CancelError::Final { status, .. } => {
                Self::DeploymentConflict { code: "deployment_final", message, status }
            }
            CancelError::BuildEnded { status, .. } => {
                Self::DeploymentConflict { code: "build_already_ended", message, status }
            }
            e if e.class() == ErrorClass::Retryable => {
                tracing::warn!(error = %Chain(&e), "cancel dependency unavailable");
                Self::Unavailable(
                    "the deployment store or CodeBuild is unavailable; try again shortly".into(),
                )
            }
            e => Self::Internal(Box::new(e)),
        }
    }
}

impl From<GuardError> for ApiError {
    fn from(err: GuardError) -> Self {
        match err.class() {
            ErrorClass::Retryable => {
                tracing::warn!(error = %Chain(&err), "request state store unavailable");
                Self::Unavailable(
                    "the request state store is unavailable; try again shortly".into(),
                )
            }
            ErrorClass::Permanent => Self::Internal(Box::new(err)),
        }
    }
}

/// The 403 for an installation GitHub reported as unable to deploy `repository`.
fn refusal(repository: &RepoFullName, reason: InstallationRefusal) -> ApiError {
    let (code, message) = match reason {
        InstallationRefusal::Deleted => (
            "installation_deleted",
            format!(
                "the WhaleRay GitHub App was uninstalled from the owner of {repository}; install it again"
            ),
        ),
        InstallationRefusal::Suspended => (
            "installation_suspended",
            format!(
                "the WhaleRay GitHub App installation on the owner of {repository} is suspended; unsuspend it on GitHub"
            ),
        ),
        InstallationRefusal::RepositoryNotSelected => (
            "repository_not_selected",
            format!(
                "the WhaleRay GitHub App installation does not include {repository}; add it to the installation's selected repositories on GitHub"
            ),
        ),
        InstallationRefusal::OtherAccount => {
            return ApiError::NotInstalled(repository.to_string());
        }
    };
    ApiError::InstallationRefused { code, message }
}

impl From<LinkError> for ApiError {
    fn from(err: LinkError) -> Self {
        match err {
            LinkError::OAuth(OAuthError::BadCode) => Self::bad_request(
                "invalid_code",
                "GitHub did not accept the code: it is incorrect, already used, or older than ten minutes; authorize again",
            ),
            LinkError::OAuth(OAuthError::Refused(why)) => Self::bad_request(
                "oauth_refused",
                format!("GitHub refused the authorization: {why}"),
            ),
            LinkError::NotLinked(id) => Self::InstallationNotLinked(id.to_string()),
            LinkError::Unconfigured => {
                Self::LinkingUnavailable(LinkError::Unconfigured.to_string())
            }
            e if e.class() == ErrorClass::Retryable => {
                tracing::warn!(error = ?e, "linking dependency unavailable");
                Self::Unavailable(
                    "GitHub or the installations store is unavailable; try again shortly".into(),
                )
            }
            e => Self::Internal(Box::new(e)),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::MissingJsonContentType(_) => Self::UnsupportedMediaType,
            JsonRejection::JsonSyntaxError(e) => Self::bad_request(
                "invalid_json",
                format!("the body is not valid JSON: {}", e.body_text()),
            ),
            JsonRejection::JsonDataError(e) => Self::bad_request(
                "invalid_request",
                format!("the body has the wrong shape: {}", e.body_text()),
            ),
            JsonRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Self::PayloadTooLarge
            }
            other => Self::bad_request("invalid_request", other.body_text()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (code, status) = self.code_and_status();
        let message = match &self {
            Self::Internal(source) => {
                tracing::error!(error = %Chain(source.as_ref()), "internal error");
                "something went wrong on our side; it has been logged".to_owned()
            }
            other => other.to_string(),
        };
        let project_id = match &self {
            Self::ProjectExists(id) => Some(id.as_str()),
            _ => None,
        };
        let deployment_status = match &self {
            Self::DeploymentConflict { status, .. } => Some(status.as_str()),
            _ => None,
        };
        let body = ErrorBody { code, message, project_id, status: deployment_status };
        let mut response = (status, Json(body)).into_response();
        match &self {
            Self::ProjectExists(id) => {
                if let Ok(value) = HeaderValue::from_str(&format!("/projects/{id}")) {
                    response.headers_mut().insert(header::LOCATION, value);
                }
            }
            Self::RateLimited(decision) => {
                crate::guards::rate_limit::set_headers(response.headers_mut(), decision);
            }
            Self::RequestInProgress => {
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            _ => {}
        }
        if code == "unauthenticated" {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        response
    }
}
