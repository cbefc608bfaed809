//! Starting builds: the port, and its CodeBuild implementation.

use async_trait::async_trait;
use aws_sdk_codebuild::Client;
use aws_sdk_codebuild::types::{EnvironmentVariable, EnvironmentVariableType, SourceType};
use whaleray_detect::Detection;
use whaleray_shared::aws::aws_error;
use whaleray_shared::error::AwsError;
use whaleray_shared::{CommitSha, DeploymentId, ErrorClass, RepoFullName};

/// Everything a build needs. The commit SHA, never the branch name, says what to build.
#[derive(Debug, Clone)]
pub struct BuildRequest<'a> {
    /// The deployment, also the idempotency token: two starts for one deployment give one build.
    pub deployment_id: DeploymentId,
    /// The repository to clone.
    pub repository: &'a RepoFullName,
    /// The exact commit to build.
    pub commit: &'a CommitSha,
    /// The build plan.
    pub detection: &'a Detection,
}

/// A failure to start a build.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The AWS call failed.
    #[error(transparent)]
    Aws(#[from] AwsError),
    /// CodeBuild answered without a build id.
    #[error("CodeBuild started no build (no build id in its answer)")]
    NoBuildId,
}

impl BuildError {
    /// Retryable for AWS outages and throttling; permanent otherwise.
    pub fn class(&self) -> ErrorClass {
        match self {
            Self::Aws(e) => e.class,
            Self::NoBuildId => ErrorClass::Retryable,
        }
    }
}

/// Starts builds.
#[async_trait]
pub trait BuildLauncher: Send + Sync {
    /// Starts one build and returns its id.
    async fn start(&self, request: &BuildRequest<'_>) -> Result<String, BuildError>;
}

/// CodeBuild's StartBuild on one project. The project's buildspec reads the plan from the
/// `WHALERAY_*` environment variables; no buildspec override is ever sent.
#[derive(Debug, Clone)]
pub struct CodeBuildLauncher {
    client: Client,
    project: String,
}

impl CodeBuildLauncher {
    /// A launcher for `project`.
    pub fn new(client: Client, project: impl Into<String>) -> Self {
        Self {
            client,
            project: project.into(),
        }
    }
}

/// The plan as plaintext environment variables, in a fixed order. Absent values are empty.
pub fn plan_variables(request: &BuildRequest<'_>) -> Vec<(&'static str, String)> {
    let d = request.detection;
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    vec![
        ("WHALERAY_DEPLOYMENT_ID", request.deployment_id.to_string()),
        ("WHALERAY_REPOSITORY", request.repository.to_string()),
        ("WHALERAY_COMMIT_SHA", request.commit.to_string()),
        ("WHALERAY_FRAMEWORK", text(&d.framework)),
        ("WHALERAY_PACKAGE_MANAGER", text(&d.package_manager)),
        ("WHALERAY_ROOT_DIRECTORY", d.root_directory.clone()),
        ("WHALERAY_INSTALL_COMMAND", text(&d.install_command)),
        ("WHALERAY_BUILD_COMMAND", text(&d.build_command)),
        ("WHALERAY_OUTPUT_DIRECTORY", text(&d.output_directory)),
        ("WHALERAY_NODE_VERSION", text(&d.node_version)),
    ]
}

#[async_trait]
impl BuildLauncher for CodeBuildLauncher {
    async fn start(&self, request: &BuildRequest<'_>) -> Result<String, BuildError> {
        let variables = plan_variables(request)
            .into_iter()
            .filter_map(|(name, value)| {
                EnvironmentVariable::builder()
                    .name(name)
                    .value(value)
                    .r#type(EnvironmentVariableType::Plaintext)
                    .build()
                    .ok()
            })
            .collect::<Vec<_>>();
        let output = self
            .client
            .start_build()
            .project_name(&self.project)
            .source_type_override(SourceType::Github)
            .source_location_override(format!("https://github.com/{}.git", request.repository))
            .source_version(request.commit.to_string())
            .idempotency_token(request.deployment_id.to_string())
            .set_environment_variables_override(Some(variables))
            .send()
            .await
            .map_err(|e| aws_error("codebuild:StartBuild", e))?;
        output
            .build_value
            .and_then(|b| b.id)
            .ok_or(BuildError::NoBuildId)
    }
}
