//! Starting builds: the CodeBuild implementation of the worker's [`BuildLauncher`] port
//! (defined in [`crate::ports`]).

use async_trait::async_trait;
use aws_sdk_codebuild::Client;
use aws_sdk_codebuild::types::{Build, EnvironmentVariable, EnvironmentVariableType};
use chrono::{DateTime, Utc};
use whaleray_shared::DeploymentId;
use whaleray_shared::aws::aws_error;

pub use crate::ports::{BuildError, BuildLauncher, BuildRequest};
use crate::ports::{BuildLookup, BuildReport, BuildTracker};
use whaleray_shared::{BuildLogs, BuildState};

/// The buildspec every build runs, sent as `buildspecOverride` with each StartBuild; the
/// project holds the same text. It clones the repository itself and reads the plan from
/// `WHALERAY_*` variables.
pub const BUILDSPEC: &str = include_str!("../../infra/buildspec.yml");

/// Where builds clone from when nothing else is configured.
pub const GIT_BASE_URL_DEFAULT: &str = "https://github.com";

/// How long a build may wait in CodeBuild's queue (`queuedTimeoutInMinutesOverride`, 5 to
/// 480): its clone token lives one hour from StartBuild, and the clone runs after the queue
/// and provisioning, so the queue gets half of that hour.
pub const QUEUED_TIMEOUT_MINUTES: i32 = 30;

/// CodeBuild's StartBuild on one `NO_SOURCE` project. No source is overridden: the buildspec
/// (always sent explicitly as `buildspecOverride`, since whether a project's inline buildspec
/// survives a source override is undocumented) clones the pinned commit with the build's own
/// token, named in a `PARAMETER_STORE` variable.
#[derive(Debug, Clone)]
pub struct CodeBuildLauncher {
    client: Client,
    project: String,
    git_base_url: String,
}

impl CodeBuildLauncher {
    /// A launcher for `project`, cloning from GitHub.
    pub fn new(client: Client, project: impl Into<String>) -> Self {
        Self { client, project: project.into(), git_base_url: GIT_BASE_URL_DEFAULT.to_owned() }
    }

    /// Builds clone from `url` (`https://host`, no trailing slash) instead of GitHub: a local
    /// git server in tests.
    #[must_use]
    pub fn with_git_base_url(mut self, url: impl Into<String>) -> Self {
        self.git_base_url = url.into().trim_end_matches('/').to_owned();
        self
    }
}

/// The plan as plaintext environment variables, in a fixed order. Absent values are empty.
pub fn plan_variables(request: &BuildRequest<'_>) -> Vec<(&'static str, String)> {
    let p = request.plan;
    let text = |v: Option<&str>| v.unwrap_or_default().to_owned();
    vec![
        ("WHALERAY_DEPLOYMENT_ID", request.deployment_id.to_string()),
        ("WHALERAY_REPOSITORY", request.repository.to_string()),
        ("WHALERAY_COMMIT_SHA", request.commit.to_string()),
        ("WHALERAY_FRAMEWORK", text(p.framework.as_ref().map(AsRef::as_ref))),
        ("WHALERAY_PACKAGE_MANAGER", text(p.package_manager.as_ref().map(|m| m.as_str()))),
        ("WHALERAY_ROOT_DIRECTORY", p.root_directory.to_string()),
        ("WHALERAY_INSTALL_COMMAND", text(p.install_command.as_ref().map(AsRef::as_ref))),
        ("WHALERAY_BUILD_COMMAND", text(p.build_command.as_ref().map(AsRef::as_ref))),
        ("WHALERAY_OUTPUT_DIRECTORY", text(p.output_directory.as_ref().map(AsRef::as_ref))),
        ("WHALERAY_NODE_VERSION", text(p.node_version.as_ref().map(AsRef::as_ref))),
    ]
}

/// Every variable of the build: the plan and the clone's base URL as `PLAINTEXT`, and the
/// clone token as `PARAMETER_STORE`, whose value is the parameter's name, never the token.
pub fn build_variables(request: &BuildRequest<'_>, git_base_url: &str) -> Vec<EnvironmentVariable> {
    let plaintext = plan_variables(request)
        .into_iter()
        .chain([("WHALERAY_GIT_BASE_URL", git_base_url.to_owned())])
        .map(|(name, value)| (name, value, EnvironmentVariableType::Plaintext));
    let token = (
        "WHALERAY_GIT_TOKEN",
        request.token_parameter.to_owned(),
        EnvironmentVariableType::ParameterStore,
    );
    plaintext
        .chain([token])
        .filter_map(|(name, value, kind)| {
            EnvironmentVariable::builder().name(name).value(value).r#type(kind).build().ok()
        })
        .collect()
}

#[async_trait]
impl BuildLauncher for CodeBuildLauncher {
    async fn start(&self, request: &BuildRequest<'_>) -> Result<String, BuildError> {
        let output = self
            .client
            .start_build()
            .project_name(&self.project)
            .buildspec_override(BUILDSPEC)
            .queued_timeout_in_minutes_override(QUEUED_TIMEOUT_MINUTES)
            .idempotency_token(request.deployment_id.to_string())
            .set_environment_variables_override(Some(build_variables(request, &self.git_base_url)))
            .send()
            .await
            .map_err(|e| aws_error("codebuild:StartBuild", e))?;
        output.build_value.and_then(|b| b.id).ok_or(BuildError::NoBuildId)
    }

    async fn find_started(
        &self,
        deployment: DeploymentId,
        since: DateTime<Utc>,
    ) -> Result<Option<String>, BuildError> {
        let wanted = deployment.to_string();
        let mut next_token = None;
        for _ in 0..MAX_PAGES_SEARCHED {
            // No sortOrder: with more than 100 builds in the project it is an error. The
            // default order is newest first, by build number.
            let page = self
                .client
                .list_builds_for_project()
                .project_name(&self.project)
                .set_next_token(next_token)
                .send()
                .await
                .map_err(|e| aws_error("codebuild:ListBuildsForProject", e))?;
            if page.ids().is_empty() {
                return Ok(None);
            }
            let builds = self
                .client
                .batch_get_builds()
                .set_ids(Some(page.ids().to_vec()))
                .send()
                .await
                .map_err(|e| aws_error("codebuild:BatchGetBuilds", e))?;
            // BatchGetBuilds promises no order: look at the whole page before concluding.
            let older = |b: &Build| b.start_time().is_some_and(|t| t.secs() < since.timestamp());
            if let Some(found) =
                builds.builds().iter().find(|b| !older(b) && is_build_of(b, &wanted))
            {
                return Ok(found.id().map(str::to_owned));
            }
            let all_older = builds.builds().iter().all(older);
            next_token = page.next_token().map(str::to_owned);
            if all_older || next_token.is_none() {
                return Ok(None);
            }
        }
        Ok(None)
    }

    async fn stop(&self, build_id: &str) -> Result<(), BuildError> {
        match self.client.stop_build().id(build_id).send().await {
            Ok(_) => Ok(()),
            // The API reference documents InvalidInputException (the build is no longer in
            // progress: the id came from CodeBuild itself) and ResourceNotFoundException.
            Err(e)
                if e.as_service_error().is_some_and(|s| {
                    s.is_invalid_input_exception() || s.is_resource_not_found_exception()
                }) =>
            {
                tracing::info!(%build_id, error = %e, "nothing to stop");
                Ok(())
            }
            Err(e) => Err(aws_error("codebuild:StopBuild", e).into()),
        }
    }
}

/// The most ids one `BatchGetBuilds` call takes (API reference: 1 to 100).
pub const BATCH_GET_MAX_IDS: usize = 100;

/// CodeBuild's `BatchGetBuilds`: the [`BuildTracker`] port. Builds are looked up by id, so
/// it needs no project.
#[derive(Debug, Clone)]
pub struct CodeBuildTracker {
    client: Client,
}

impl CodeBuildTracker {
    /// A tracker using `client`.
    pub fn new(client: Client) -> Self {
        Self { client }
    }
}

#[async_trait]
impl BuildTracker for CodeBuildTracker {
    async fn lookup(&self, ids: &[String]) -> Result<BuildLookup, BuildError> {
        let mut lookup = BuildLookup::default();
        for chunk in ids.chunks(BATCH_GET_MAX_IDS) {
            let output = self
                .client
                .batch_get_builds()
                .set_ids(Some(chunk.to_vec()))
                .send()
                .await
                .map_err(|e| aws_error("codebuild:BatchGetBuilds", e))?;
            // The answer's order is not the request's: every build is matched by its own id.
            lookup.found.extend(output.builds().iter().filter_map(report_of));
            lookup.not_found.extend(output.builds_not_found().iter().cloned());
        }
        Ok(lookup)
    }
}

/// A `BatchGetBuilds` build as a [`BuildReport`]; `None` without an id or with a status
/// CodeBuild does not document.
fn report_of(build: &Build) -> Option<BuildReport> {
    let id = build.id()?;
    let state = BuildState::parse(build.build_status()?.as_str())?;
    let failed =
        build.phases().iter().find(|p| p.phase_status().is_some_and(|s| s.as_str() != "SUCCEEDED"));
    let deployment = build.environment().and_then(|env| {
        env.environment_variables()
            .iter()
            .find(|v| v.name() == "WHALERAY_DEPLOYMENT_ID")
            .and_then(|v| v.value().parse().ok())
    });
    let logs = build.logs().and_then(|l| {
        Some(BuildLogs {
            group: l.group_name()?.to_owned(),
            stream: l.stream_name()?.to_owned(),
            link: l.deep_link().map(str::to_owned),
        })
    });
    Some(BuildReport {
        build_id: id.to_owned(),
        deployment,
        state,
        failed_phase: failed.and_then(|p| p.phase_type()).map(|t| t.as_str().to_owned()),
        phase_message: failed
            .and_then(|p| p.contexts().iter().find_map(|c| c.message()))
            .filter(|m| !m.is_empty())
            .map(str::to_owned),
        logs,
    })
}

/// Pages of 100 builds searched for a lost build before giving up: the search stops earlier
/// at the first page whose builds all started before the deployment existed.
const MAX_PAGES_SEARCHED: usize = 50;

fn is_build_of(build: &Build, deployment: &str) -> bool {
    build.environment().is_some_and(|env| {
        env.environment_variables()
            .iter()
            .any(|v| v.name() == "WHALERAY_DEPLOYMENT_ID" && v.value() == deployment)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_codebuild::operation::batch_get_builds::BatchGetBuildsOutput;
    use aws_sdk_codebuild::operation::list_builds_for_project::ListBuildsForProjectOutput;
    use aws_sdk_codebuild::operation::start_build::{StartBuildError, StartBuildOutput};
    use aws_sdk_codebuild::types::ProjectEnvironment;
    use aws_sdk_codebuild::types::error::{AccountLimitExceededException, InvalidInputException};
    use aws_smithy_mocks::{mock, mock_client};
    use aws_smithy_types::DateTime as SmithyTime;
    use whaleray_shared::{BuildPlan, CommitSha, ErrorClass, RepoFullName};

    fn request_parts() -> (DeploymentId, RepoFullName, CommitSha, BuildPlan) {
        let detection: whaleray_detect::Detection = serde_json::from_value(serde_json::json!({
            "framework": "vite", "runtime": "node", "packageManager": "npm", "rootDirectory": ".",
            "installCommand": "npm ci", "buildCommand": "npm run build", "outputDirectory": "dist",
            "nodeVersion": null, "evidence": [], "candidates": []
        }))
        .unwrap();
        let plan = crate::plan::build_plan(detection).unwrap();
        (
            DeploymentId::generate(),
            RepoFullName::parse("acme/site").unwrap(),
            CommitSha::parse(&"a".repeat(40)).unwrap(),
            plan,
        )
    }

    #[tokio::test]
    async fn start_build_returns_the_id_and_classifies_failures() {
        let ok = mock!(Client::start_build)
            .match_requests(|r| {
                r.buildspec_override() == Some(BUILDSPEC)
                    && r.source_type_override().is_none()
                    && r.source_location_override().is_none()
                    && r.queued_timeout_in_minutes_override() == Some(QUEUED_TIMEOUT_MINUTES)
            })
            .then_output(|| {
                StartBuildOutput::builder().build_value(Build::builder().id("p:1").build()).build()
            });
        let limit = mock!(Client::start_build).then_error(|| {
            let meta = aws_sdk_codebuild::error::ErrorMetadata::builder()
                .code("AccountLimitExceededException")
                .build();
            StartBuildError::AccountLimitExceededException(
                AccountLimitExceededException::builder().meta(meta).build(),
            )
        });
        let invalid = mock!(Client::start_build).then_error(|| {
            StartBuildError::InvalidInputException(
                InvalidInputException::builder().message("bad").build(),
            )
        });
        let client = mock_client!(aws_sdk_codebuild, [&ok, &limit, &invalid]);
        let launcher = CodeBuildLauncher::new(client, "whaleray-build");
        let (id, repo, commit, plan) = request_parts();
        let request = BuildRequest {
            deployment_id: id,
            repository: &repo,
            commit: &commit,
            plan: &plan,
            token_parameter: "/whaleray/test/build-tokens/x",
        };

        assert_eq!(launcher.start(&request).await.unwrap(), "p:1");
        let err = launcher.start(&request).await.unwrap_err();
        assert_eq!(err.class(), ErrorClass::Retryable, "a full build queue drains: {err:?}");
        let err = launcher.start(&request).await.unwrap_err();
        assert_eq!(err.class(), ErrorClass::Permanent, "{err:?}");
    }

    #[test]
    fn the_plan_travels_as_fixed_variables_with_the_commit_not_the_branch() {
        let (id, repo, commit, plan) = request_parts();
        let request = BuildRequest {
            deployment_id: id,
            repository: &repo,
            commit: &commit,
            plan: &plan,
            token_parameter: "/whaleray/test/build-tokens/x",
        };
        let vars: std::collections::HashMap<_, _> = plan_variables(&request).into_iter().collect();
        assert_eq!(vars["WHALERAY_COMMIT_SHA"], "a".repeat(40));
        assert_eq!(vars["WHALERAY_BUILD_COMMAND"], "npm run build");
        assert_eq!(vars["WHALERAY_DEPLOYMENT_ID"], id.to_string());
        assert_eq!(vars["WHALERAY_NODE_VERSION"], "");
        assert_eq!(vars.len(), 10);
    }

    #[test]
    fn the_token_travels_as_a_parameter_name_and_every_other_value_as_plaintext() {
        let (id, repo, commit, plan) = request_parts();
        let parameter = format!("/whaleray/test/build-tokens/{id}");
        let request = BuildRequest {
            deployment_id: id,
            repository: &repo,
            commit: &commit,
            plan: &plan,
            token_parameter: &parameter,
        };
        let vars = build_variables(&request, "https://github.com");
        assert_eq!(vars.len(), 12);
        let token: Vec<_> = vars.iter().filter(|v| v.name() == "WHALERAY_GIT_TOKEN").collect();
        assert_eq!(token.len(), 1);
        assert_eq!(token[0].r#type(), Some(&EnvironmentVariableType::ParameterStore));
        assert_eq!(token[0].value(), parameter, "the name, never a token");
        for v in vars.iter().filter(|v| v.name() != "WHALERAY_GIT_TOKEN") {
            assert_eq!(v.r#type(), Some(&EnvironmentVariableType::Plaintext), "{}", v.name());
            assert!(!v.value().starts_with("ghs_"), "{}", v.name());
        }
        let base = vars.iter().find(|v| v.name() == "WHALERAY_GIT_BASE_URL").unwrap();
        assert_eq!(base.value(), "https://github.com");
    }

    #[tokio::test]
    async fn find_started_matches_the_deployment_variable_and_stops_at_older_builds() {
        let (id, ..) = request_parts();
        let since = chrono::Utc::now() - chrono::Duration::minutes(10);
        let recent = SmithyTime::from_secs(chrono::Utc::now().timestamp());
        let build = |build_id: &str, deployment: &str, started: SmithyTime| {
            let variable = EnvironmentVariable::builder()
                .name("WHALERAY_DEPLOYMENT_ID")
                .value(deployment)
                .build()
                .unwrap();
            Build::builder()
                .id(build_id)
                .start_time(started)
                .environment(
                    ProjectEnvironment::builder()
                        .r#type(aws_sdk_codebuild::types::EnvironmentType::LinuxContainer)
                        .image("i")
                        .compute_type(aws_sdk_codebuild::types::ComputeType::BuildGeneral1Small)
                        .environment_variables(variable)
                        .build()
                        .unwrap(),
                )
                .build()
        };
        let wanted = id.to_string();
        let list = mock!(Client::list_builds_for_project)
            .then_output(|| ListBuildsForProjectOutput::builder().ids("p:3").ids("p:2").build());
        let get = mock!(Client::batch_get_builds).then_output(move || {
            BatchGetBuildsOutput::builder()
                .builds(build("p:3", "someone-else", recent))
                .builds(build("p:2", &wanted, recent))
                .build()
        });
        let client = mock_client!(aws_sdk_codebuild, [&list, &get]);
        let launcher = CodeBuildLauncher::new(client, "whaleray-build");
        assert_eq!(launcher.find_started(id, since).await.unwrap().as_deref(), Some("p:2"));

        let old = SmithyTime::from_secs((since - chrono::Duration::hours(1)).timestamp());
        let wanted = id.to_string();
        let list = mock!(Client::list_builds_for_project)
            .then_output(|| ListBuildsForProjectOutput::builder().ids("p:1").build());
        let get = mock!(Client::batch_get_builds).then_output(move || {
            BatchGetBuildsOutput::builder().builds(build("p:1", &wanted, old)).build()
        });
        let client = mock_client!(aws_sdk_codebuild, [&list, &get]);
        let launcher = CodeBuildLauncher::new(client, "whaleray-build");
        assert_eq!(
            launcher.find_started(id, since).await.unwrap(),
            None,
            "builds older than the claim are not it"
        );
    }

    #[tokio::test]
    async fn find_started_never_sorts_and_reads_past_the_first_page() {
        let (id, ..) = request_parts();
        let since = chrono::Utc::now() - chrono::Duration::minutes(10);
        let recent = SmithyTime::from_secs(chrono::Utc::now().timestamp());
        let build = move |build_id: &str, deployment: &str| {
            let variable = EnvironmentVariable::builder()
                .name("WHALERAY_DEPLOYMENT_ID")
                .value(deployment)
                .build()
                .unwrap();
            let environment = ProjectEnvironment::builder()
                .r#type(aws_sdk_codebuild::types::EnvironmentType::LinuxContainer)
                .image("i")
                .compute_type(aws_sdk_codebuild::types::ComputeType::BuildGeneral1Small)
                .environment_variables(variable)
                .build()
                .unwrap();
            Build::builder().id(build_id).start_time(recent).environment(environment).build()
        };
        let first = mock!(Client::list_builds_for_project)
            .match_requests(|r| r.sort_order().is_none() && r.next_token().is_none())
            .then_output(|| {
                ListBuildsForProjectOutput::builder().ids("p:3").next_token("page-2").build()
            });
        let second = mock!(Client::list_builds_for_project)
            .match_requests(|r| r.sort_order().is_none() && r.next_token() == Some("page-2"))
            .then_output(|| ListBuildsForProjectOutput::builder().ids("p:2").build());
        let wanted = id.to_string();
        let other = mock!(Client::batch_get_builds)
            .match_requests(|r| r.ids() == ["p:3"])
            .then_output(move || {
                BatchGetBuildsOutput::builder().builds(build("p:3", "someone-else")).build()
            });
        let mine =
            mock!(Client::batch_get_builds).match_requests(|r| r.ids() == ["p:2"]).then_output(
                move || BatchGetBuildsOutput::builder().builds(build("p:2", &wanted)).build(),
            );
        let client = mock_client!(
            aws_sdk_codebuild,
            aws_smithy_mocks::RuleMode::MatchAny,
            [&first, &second, &other, &mine]
        );
        let launcher = CodeBuildLauncher::new(client, "whaleray-build");
        assert_eq!(launcher.find_started(id, since).await.unwrap().as_deref(), Some("p:2"));
    }
}
