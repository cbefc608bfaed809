//! Wire types of the HTTP API and their conversion to and from domain types.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use whaleray_detect::Detection;
use whaleray_shared::ports::PageCursor;
use whaleray_shared::{Deployment, DeploymentId, GitRef, RepoFullName, RootDirectory};

use crate::error::ApiError;

/// The body of `POST /deployments`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateDeploymentBody {
    /// `owner/name` of a repository the WhaleRay GitHub App is installed on.
    #[schema(example = "acme/vite-app")]
    pub repository: String,
    /// Optional branch; the default branch when absent.
    #[serde(default)]
    pub branch: Option<String>,
    /// Optional app folder in a monorepo; detected when absent.
    #[serde(default)]
    pub root_directory: Option<String>,
}

/// A validated deployment request.
#[derive(Debug, Clone)]
pub struct CreateDeployment {
    /// The repository.
    pub repository: RepoFullName,
    /// The branch, if one was named.
    pub branch: Option<GitRef>,
    /// The app folder, if one was named.
    pub root_directory: Option<RootDirectory>,
}

impl TryFrom<CreateDeploymentBody> for CreateDeployment {
    type Error = ApiError;

    fn try_from(body: CreateDeploymentBody) -> Result<Self, Self::Error> {
        let repository = RepoFullName::parse(body.repository.trim())
            .map_err(|e| ApiError::bad_request("invalid_repository", e.to_string()))?;
        let branch = body
            .branch
            .as_deref()
            .map(GitRef::parse)
            .transpose()
            .map_err(|e| ApiError::bad_request("invalid_branch", e.to_string()))?;
        let root_directory =
            body.root_directory
                .as_deref()
                .map(RootDirectory::parse)
                .transpose()
                .map_err(|e| ApiError::bad_request("invalid_root_directory", e.to_string()))?;
        Ok(Self { repository, branch, root_directory })
    }
}

/// The answer to `POST /deployments`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedBody {
    /// The new deployment's id.
    pub deployment_id: String,
    /// Always `INSPECTING`.
    #[schema(schema_with = inspecting)]
    pub status: String,
}

/// A deployment as `GET /deployments/{id}` shows it to its owner.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(as = Deployment)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentBody {
    /// The id.
    pub deployment_id: String,
    /// INSPECTING, BUILDING, NOT_SUPPORTED or FAILED.
    #[schema(schema_with = status)]
    pub status: String,
    /// `owner/name`.
    pub repository: String,
    /// The branch asked for, or null for the default branch.
    pub branch: Option<String>,
    /// The app folder the user named, or null when detection chooses.
    pub root_directory: Option<String>,
    /// The resolved commit, once inspected.
    pub commit_sha: Option<String>,
    /// What detection found and why (framework, package manager, build plan, evidence).
    #[schema(value_type = Option<Object>)]
    pub detection: Option<Detection>,
    /// The CodeBuild build id, once started.
    pub build_id: Option<String>,
    /// Why the deployment is NOT_SUPPORTED or FAILED.
    pub reason: Option<String>,
    /// Inspection attempts so far.
    pub attempts: u32,
    /// The last attempt's error while retries go on.
    pub last_error: Option<String>,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// RFC 3339 time of the last change.
    pub updated_at: String,
}

impl From<Deployment> for DeploymentBody {
    fn from(d: Deployment) -> Self {
        Self {
            deployment_id: d.id.to_string(),
            status: d.status.as_str().to_owned(),
            repository: d.repository.to_string(),
            branch: d.branch.map(|b| b.to_string()),
            root_directory: d.root_directory.map(|r| r.to_string()),
            commit_sha: d.commit_sha.map(|s| s.to_string()),
            detection: d.detection,
            build_id: d.build_id,
            reason: d.reason,
            attempts: d.attempts,
            last_error: d.last_error,
            created_at: d.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            updated_at: d.updated_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        }
    }
}

/// The answer to `GET /deployments`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentList {
    /// The caller's deployments, newest first.
    pub deployments: Vec<DeploymentBody>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

fn status() -> utoipa::openapi::Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(["INSPECTING", "BUILDING", "NOT_SUPPORTED", "FAILED"]))
        .build()
}

fn inspecting() -> utoipa::openapi::Object {
    ObjectBuilder::new().schema_type(Type::String).enum_values(Some(["INSPECTING"])).build()
}

/// Encodes a page cursor as an opaque URL-safe token.
pub fn encode_cursor(cursor: &PageCursor) -> String {
    let raw = format!(
        "{}|{}",
        cursor.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        cursor.deployment_id
    );
    URL_SAFE_NO_PAD.encode(raw)
}

/// Decodes a token made by [`encode_cursor`].
pub fn decode_cursor(token: &str) -> Result<PageCursor, ApiError> {
    let invalid =
        || ApiError::bad_request("invalid_cursor", "the cursor is not one this API issued");
    let raw = URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?;
    let raw = String::from_utf8(raw).map_err(|_| invalid())?;
    let (created_at, id) = raw.split_once('|').ok_or_else(invalid)?;
    Ok(PageCursor {
        deployment_id: DeploymentId::parse(id).map_err(|_| invalid())?,
        created_at: chrono::DateTime::parse_from_rfc3339(created_at)
            .map_err(|_| invalid())?
            .with_timezone(&chrono::Utc),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_foreign_ones_are_rejected() {
        let cursor = PageCursor {
            deployment_id: DeploymentId::generate(),
            created_at: chrono::DateTime::parse_from_rfc3339("2026-11-26T08:00:00.123Z")
                .unwrap()
                .with_timezone(&chrono::Utc),
        };
        assert_eq!(decode_cursor(&encode_cursor(&cursor)).unwrap(), cursor);
        for bad in ["", "!!!", "bm9waXBl", &URL_SAFE_NO_PAD.encode("2026-11-26T08:00:00Z|nope")] {
            let err = decode_cursor(bad).unwrap_err();
            assert_eq!(err.code_and_status().0, "invalid_cursor", "{bad:?}");
        }
    }

    #[test]
    fn invalid_names_get_their_own_codes() {
        let body =
            CreateDeploymentBody { repository: "a/b/c".into(), branch: None, root_directory: None };
        let err = CreateDeployment::try_from(body).unwrap_err();
        assert_eq!(err.code_and_status().0, "invalid_repository");
        let body = CreateDeploymentBody {
            repository: "a/b".into(),
            branch: Some("-x".into()),
            root_directory: None,
        };
        let err = CreateDeployment::try_from(body).unwrap_err();
        assert_eq!(err.code_and_status().0, "invalid_branch");
        let body = CreateDeploymentBody {
            repository: "a/b".into(),
            branch: None,
            root_directory: Some("../etc".into()),
        };
        let err = CreateDeployment::try_from(body).unwrap_err();
        assert_eq!(err.code_and_status().0, "invalid_root_directory");
    }
}
