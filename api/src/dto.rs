//! Wire types of the HTTP API and their conversion to and from domain types.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use whaleray_shared::domain::{ExceededBudget, PackageManager, Runtime};
use whaleray_shared::ports::PageCursor;
use whaleray_shared::{
    BuildPlan, Deployment, DeploymentId, DeploymentStatus, GitRef, RepoFullName, RootDirectory,
    Trigger,
};

use crate::error::ApiError;
use crate::service::DeploymentRequest;

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

impl TryFrom<CreateDeploymentBody> for DeploymentRequest {
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
    /// INSPECTING, BUILDING, NOT_SUPPORTED, FAILED, SUCCEEDED, BUILD_FAILED or CANCELED.
    #[schema(schema_with = status)]
    pub status: String,
    /// `owner/name`.
    pub repository: String,
    /// The branch asked for, or null for the default branch.
    pub branch: Option<String>,
    /// The app folder the user named, or null when detection chooses.
    pub root_directory: Option<String>,
    /// The commit built: pinned at creation for a push or a redeploy, else resolved from the
    /// branch by inspection (null until then).
    pub commit_sha: Option<String>,
    /// What created it: `manual` (POST /deployments), `push` (a push to a project's production
    /// branch) or `redeploy`.
    #[schema(schema_with = trigger)]
    pub trigger: String,
    /// The project whose push created it, or null.
    pub project_id: Option<String>,
    /// The deployment this one redeploys, or null.
    pub redeploy_of: Option<String>,
    /// The pushed head commit's message (at most 2,048 bytes), or null.
    pub commit_message: Option<String>,
    /// The pushed head commit's author, or null.
    pub commit_author: Option<String>,
    /// What inspection found and how it builds, and why (named `detection` on the wire).
    pub detection: Option<PlanBody>,
    /// The CodeBuild build id, once started.
    pub build_id: Option<String>,
    /// Why the deployment is NOT_SUPPORTED, FAILED, BUILD_FAILED or CANCELED.
    pub reason: Option<String>,
    /// How the build ended, once it did.
    pub build_outcome: Option<BuildOutcomeBody>,
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
            trigger: d.trigger.as_str().to_owned(),
            project_id: d.project_id.map(|p| p.to_string()),
            redeploy_of: d.redeploy_of.map(|r| r.to_string()),
            commit_message: d.commit_details.as_ref().map(|c| c.message().to_owned()),
            commit_author: d.commit_details.as_ref().map(|c| c.author().to_owned()),
            detection: d.plan.as_ref().map(PlanBody::from),
            build_id: d.build_id,
            reason: d.reason,
            build_outcome: d.outcome.as_ref().map(BuildOutcomeBody::from),
            attempts: d.attempts,
            last_error: d.last_error,
            created_at: d.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            updated_at: d.updated_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        }
    }
}

/// How a build ended, as the API shows it: `{"buildStatus", "failedPhase", "logs"}`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BuildOutcomeBody {
    /// CodeBuild's final status: SUCCEEDED, FAILED, FAULT, TIMED_OUT or STOPPED.
    pub build_status: String,
    /// The phase that did not succeed (`BUILD`, `INSTALL`, ...), or null.
    pub failed_phase: Option<String>,
    /// Where the build's logs are, or null when CodeBuild did not say.
    pub logs: Option<BuildLogsBody>,
}

/// A build's CloudWatch logs.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BuildLogsBody {
    /// The log group.
    pub group: String,
    /// The log stream.
    pub stream: String,
    /// The console link to the stream, or null.
    pub link: Option<String>,
}

impl From<&whaleray_shared::BuildOutcome> for BuildOutcomeBody {
    fn from(o: &whaleray_shared::BuildOutcome) -> Self {
        Self {
            build_status: o.state.as_str().to_owned(),
            failed_phase: o.failed_phase.clone(),
            logs: o.logs.as_ref().map(|l| BuildLogsBody {
                group: l.group.clone(),
                stream: l.stream.clone(),
                link: l.link.clone(),
            }),
        }
    }
}

/// A build plan as the API shows it. The field names are part of the public contract.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(as = BuildPlan)]
#[serde(rename_all = "camelCase")]
pub struct PlanBody {
    /// The framework preset slug, or null when nothing deployable was recognised.
    pub framework: Option<String>,
    /// The language runtime (`node`, `bun`, `python`, ...).
    pub runtime: Option<String>,
    /// The dependency installer (`npm`, `yarn`, `pnpm`, `pip`, ...).
    pub package_manager: Option<String>,
    /// The app's folder in the repository, `.` for the root.
    pub root_directory: String,
    /// The install command.
    pub install_command: Option<String>,
    /// The build command.
    pub build_command: Option<String>,
    /// The build output folder, relative to the app's folder.
    pub output_directory: Option<String>,
    /// The Node.js version installed for the build.
    pub node_version: Option<String>,
    /// Why, one sentence per part of the verdict.
    pub evidence: Vec<String>,
    /// The deployable apps of a monorepo when none was chosen.
    pub candidates: Vec<String>,
    /// The detection budget the repository exceeded; absent when none was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exceeded: Option<ExceededBody>,
}

/// A detection budget as the API shows it: `{"budget": "steps" | "valueLength" | "other", ...}`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", tag = "budget")]
#[schema(as = ExceededBudget)]
pub enum ExceededBody {
    /// Detection stopped after `limit` steps.
    Steps {
        /// The step budget.
        limit: u64,
    },
    /// A build value was longer than `limit` bytes.
    #[serde(rename_all = "camelCase")]
    ValueLength {
        /// The value's field name.
        field: String,
        /// The byte budget.
        limit: u64,
    },
    /// Another budget, described.
    Other {
        /// What was exceeded.
        description: String,
    },
}

impl From<&ExceededBudget> for ExceededBody {
    fn from(e: &ExceededBudget) -> Self {
        match e {
            ExceededBudget::Steps { limit } => Self::Steps { limit: *limit },
            ExceededBudget::ValueLength { field, limit } => {
                Self::ValueLength { field: field.clone(), limit: *limit }
            }
            ExceededBudget::Other(description) => Self::Other { description: description.clone() },
        }
    }
}

impl From<&BuildPlan> for PlanBody {
    fn from(plan: &BuildPlan) -> Self {
        let text = |v: Option<&str>| v.map(str::to_owned);
        Self {
            framework: text(plan.framework.as_ref().map(AsRef::as_ref)),
            runtime: text(plan.runtime.as_ref().map(Runtime::as_str)),
            package_manager: text(plan.package_manager.as_ref().map(PackageManager::as_str)),
            root_directory: plan.root_directory.to_string(),
            install_command: text(plan.install_command.as_ref().map(AsRef::as_ref)),
            build_command: text(plan.build_command.as_ref().map(AsRef::as_ref)),
            output_directory: text(plan.output_directory.as_ref().map(AsRef::as_ref)),
            node_version: text(plan.node_version.as_ref().map(AsRef::as_ref)),
            evidence: plan.evidence.clone(),
            candidates: plan.candidates.iter().map(ToString::to_string).collect(),
            exceeded: plan.exceeded.as_ref().map(ExceededBody::from),
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
        .enum_values(Some(DeploymentStatus::ALL.map(DeploymentStatus::as_str)))
        .build()
}

fn trigger() -> utoipa::openapi::Object {
    let all = Trigger::ALL.map(Trigger::as_str);
    ObjectBuilder::new().schema_type(Type::String).enum_values(Some(all)).build()
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

    /// The exact JSON of a deployment. The body is a public contract: a renamed field in the
    /// domain or the detection crate must fail here, not in a client.
    #[test]
    fn the_deployment_body_keeps_its_field_names() {
        use whaleray_shared::domain::{
            Framework, NodeVersion, OutputDirectory, PackageManager, Runtime, ShellCommand,
        };
        use whaleray_shared::{CommitSha, DeploymentStatus, InstallationId, UserId};
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-26T08:00:00.123Z").unwrap().to_utc();
        let mut d = Deployment::new(
            UserId::parse("u-1").unwrap(),
            RepoFullName::parse("acme/web").unwrap(),
            None,
            InstallationId::new(9).unwrap(),
        );
        d.id = DeploymentId::parse("01JD0000000000000000000000").unwrap();
        d.created_at = at;
        d.updated_at = at;
        d.status = DeploymentStatus::Building;
        d.root_directory = Some(RootDirectory::parse("apps/web").unwrap());
        d.commit_sha = Some(CommitSha::parse(&"b".repeat(40)).unwrap());
        d.build_id = Some("whaleray-build:7".into());
        d.attempts = 2;
        d.last_error = Some("github: 502".into());
        d.plan = Some(BuildPlan {
            framework: Some(Framework::parse("nextjs").unwrap()),
            runtime: Some(Runtime::Node),
            package_manager: Some(PackageManager::Npm),
            root_directory: RootDirectory::parse("apps/web").unwrap(),
            install_command: ShellCommand::parse("npm ci").unwrap(),
            build_command: ShellCommand::parse("npm run build").unwrap(),
            output_directory: Some(OutputDirectory::parse(".next").unwrap()),
            node_version: Some(NodeVersion::parse("20").unwrap()),
            evidence: vec!["next in dependencies".into()],
            candidates: vec![],
            exceeded: None,
        });
        let json = serde_json::to_value(DeploymentBody::from(d)).unwrap();
        let expected = serde_json::json!({
            "deploymentId": "01JD0000000000000000000000",
            "status": "BUILDING",
            "repository": "acme/web",
            "branch": null,
            "rootDirectory": "apps/web",
            "commitSha": "b".repeat(40),
            "trigger": "manual",
            "projectId": null,
            "redeployOf": null,
            "commitMessage": null,
            "commitAuthor": null,
            "detection": {
                "framework": "nextjs",
                "runtime": "node",
                "packageManager": "npm",
                "rootDirectory": "apps/web",
                "installCommand": "npm ci",
                "buildCommand": "npm run build",
                "outputDirectory": ".next",
                "nodeVersion": "20",
                "evidence": ["next in dependencies"],
                "candidates": []
            },
            "buildId": "whaleray-build:7",
            "reason": null,
            "buildOutcome": null,
            "attempts": 2,
            "lastError": "github: 502",
            "createdAt": "2026-11-26T08:00:00.123Z",
            "updatedAt": "2026-11-26T08:00:00.123Z"
        });
        assert_eq!(json, expected);
    }

    #[test]
    fn a_failed_build_shows_its_status_phase_and_logs() {
        use whaleray_shared::{BuildLogs, BuildOutcome, BuildState};
        let outcome = BuildOutcome {
            state: BuildState::TimedOut,
            failed_phase: Some("BUILD".into()),
            logs: Some(BuildLogs {
                group: "/aws/codebuild/p".into(),
                stream: "s".into(),
                link: None,
            }),
        };
        let json = serde_json::to_value(BuildOutcomeBody::from(&outcome)).unwrap();
        let expected = serde_json::json!({
            "buildStatus": "TIMED_OUT",
            "failedPhase": "BUILD",
            "logs": {"group": "/aws/codebuild/p", "stream": "s", "link": null}
        });
        assert_eq!(json, expected);
    }

    #[test]
    fn an_exceeded_budget_shows_as_a_tagged_object() {
        let body = ExceededBody::from(&ExceededBudget::Steps { limit: 10 });
        let json = serde_json::to_value(body).unwrap();
        assert_eq!(json, serde_json::json!({"budget": "steps", "limit": 10}));
    }

    #[test]
    fn invalid_names_get_their_own_codes() {
        let body =
            CreateDeploymentBody { repository: "a/b/c".into(), branch: None, root_directory: None };
        let err = DeploymentRequest::try_from(body).unwrap_err();
        assert_eq!(err.code_and_status().0, "invalid_repository");
        let body = CreateDeploymentBody {
            repository: "a/b".into(),
            branch: Some("-x".into()),
            root_directory: None,
        };
        let err = DeploymentRequest::try_from(body).unwrap_err();
        assert_eq!(err.code_and_status().0, "invalid_branch");
        let body = CreateDeploymentBody {
            repository: "a/b".into(),
            branch: None,
            root_directory: Some("../etc".into()),
        };
        let err = DeploymentRequest::try_from(body).unwrap_err();
        assert_eq!(err.code_and_status().0, "invalid_root_directory");
    }
}
