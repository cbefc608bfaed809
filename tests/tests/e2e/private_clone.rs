//! Private repositories build with a token minted for that build alone: an SSM SecureString
//! (in the emulator) named by a `PARAMETER_STORE` variable, resolved by the faithful CodeBuild
//! fake, whose clone check asks the fake GitHub whether that token can fetch the commit.

use aws_sdk_ssm::types::ParameterType;
use serde_json::Value;
use whaleray_shared::{DeploymentId, InstallationId, RepoFullName};
use whaleray_worker::codebuild::{BuildRequest, QUEUED_TIMEOUT_MINUTES};

use crate::helpers::{INSTALLATION_ID, TestApp, eventually, vite_repo};

fn installation() -> InstallationId {
    InstallationId::new(INSTALLATION_ID).unwrap()
}

/// The parameter's decrypted value and type, or `None` when it does not exist.
async fn parameter(app: &TestApp, name: &str) -> Option<(String, ParameterType)> {
    let answer = app.emulator.ssm.get_parameter().name(name).with_decryption(true).send().await;
    match answer {
        Ok(answer) => {
            let p = answer.parameter.unwrap();
            Some((p.value.unwrap(), p.r#type.unwrap()))
        }
        Err(e) if e.as_service_error().is_some_and(|e| e.is_parameter_not_found()) => None,
        Err(e) => panic!("GetParameter: {e:?}"),
    }
}

/// The build as BatchGetBuilds shows it to anyone reading the API.
async fn build_as_read(app: &TestApp, id: &str) -> aws_sdk_codebuild::types::Build {
    let answer = app.codebuild_client.batch_get_builds().ids(id).send().await.unwrap();
    answer.builds.unwrap().remove(0)
}

async fn wait_for_end(app: &TestApp, build_id: &str) -> &'static str {
    eventually(|| async { app.codebuild.status(build_id) != Some("IN_PROGRESS") }).await;
    app.codebuild.status(build_id).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_private_repository_builds_with_its_own_token_that_no_api_answer_shows() {
    let app = TestApp::spawn().await;
    app.github.add_repo(vite_repo("acme/private-site"));
    app.codebuild.make_private("acme/private-site");
    let id = app.deploy("acme/private-site", None).await;
    let (body, _) = app.run_worker_until_settled(&id).await;
    assert_eq!(body["status"], "BUILDING", "{body}");
    let build_id = body["buildId"].as_str().unwrap().to_owned();

    // The token is in SSM, encrypted, under the deployment's own name.
    let name = format!("{}/{id}", app.stack.token_prefix);
    let (token, kind) = parameter(&app, &name).await.expect("the token parameter exists");
    assert_eq!(kind, ParameterType::SecureString);
    assert!(app.github.issued_tokens().contains(&token), "a token the App minted");

    // StartBuild named it, never carried it.
    let start = &app.codebuild.start_requests()[0];
    assert!(!start.to_string().contains(&token), "the token is not in the request");
    assert!(
        start.get("sourceTypeOverride").is_none() && start.get("sourceLocationOverride").is_none()
    );
    assert_eq!(start["queuedTimeoutInMinutesOverride"], QUEUED_TIMEOUT_MINUTES);
    let variables = start["environmentVariablesOverride"].as_array().unwrap();
    let git_token: Vec<&Value> =
        variables.iter().filter(|v| v["name"] == "WHALERAY_GIT_TOKEN").collect();
    assert_eq!(git_token.len(), 1);
    assert_eq!(git_token[0]["type"], "PARAMETER_STORE");
    assert_eq!(git_token[0]["value"], name.as_str());

    // BatchGetBuilds shows the name only.
    let read = build_as_read(&app, &build_id).await;
    let shown = read.environment().unwrap().environment_variables();
    let variable = shown.iter().find(|v| v.name() == "WHALERAY_GIT_TOKEN").unwrap();
    assert_eq!(variable.value(), name);
    assert!(shown.iter().all(|v| v.value() != token));

    // The clone, with that token, reaches the commit: the build succeeds.
    assert_eq!(wait_for_end(&app, &build_id).await, "SUCCEEDED");

    // When the build ends the token is deleted; a second release finds nothing and is fine.
    let deployment: DeploymentId = id.parse().unwrap();
    app.deps.credentials.release(deployment).await.unwrap();
    assert_eq!(parameter(&app, &name).await, None);
    app.deps.credentials.release(deployment).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_build_whose_token_parameter_is_gone_fails_at_download_source_naming_it() {
    let app = TestApp::spawn().await;
    let repo = vite_repo("acme/site");
    let commit = whaleray_shared::CommitSha::parse(&repo.commit(None).unwrap().sha).unwrap();
    app.github.add_repo(repo);
    let deployment = DeploymentId::generate();
    let repository = RepoFullName::parse("acme/site").unwrap();
    let name = app.deps.credentials.issue(deployment, installation(), &repository).await.unwrap();
    app.deps.credentials.release(deployment).await.unwrap();

    let plan = crate::build_faults::vite_plan();
    let request = BuildRequest {
        deployment_id: deployment,
        repository: &repository,
        commit: &commit,
        plan: &plan,
        token_parameter: &name,
    };
    let build_id = app.deps.builds.start(&request).await.unwrap();
    assert_eq!(wait_for_end(&app, &build_id).await, "FAILED");
    let read = build_as_read(&app, &build_id).await;
    let failed = read
        .phases()
        .iter()
        .find(|p| p.phase_status().is_some_and(|s| s.as_str() == "FAILED"))
        .unwrap();
    assert_eq!(failed.phase_type().unwrap().as_str(), "DOWNLOAD_SOURCE");
    let message = failed.contexts()[0].message().unwrap();
    assert!(message.contains(&name), "{message}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_reads_its_own_repository_only() {
    let app = TestApp::spawn().await;
    let other = vite_repo("acme/other");
    let commit = whaleray_shared::CommitSha::parse(&other.commit(None).unwrap().sha).unwrap();
    app.github.add_repo(vite_repo("acme/site"));
    app.github.add_repo(other);

    // GitHub refuses to narrow a token to a repository outside the installation.
    let outside = RepoFullName::parse("acme/not-installed").unwrap();
    let err = app
        .deps
        .credentials
        .issue(DeploymentId::generate(), installation(), &outside)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("could not find the repository acme/not-installed"), "{err}");
    assert_eq!(err.class(), whaleray_shared::ErrorClass::Permanent);

    // A token minted for acme/site cannot clone acme/other: that build fails in its clone.
    let deployment = DeploymentId::generate();
    let site = RepoFullName::parse("acme/site").unwrap();
    let name = app.deps.credentials.issue(deployment, installation(), &site).await.unwrap();
    let repository = RepoFullName::parse("acme/other").unwrap();
    let plan = crate::build_faults::vite_plan();
    let request = BuildRequest {
        deployment_id: deployment,
        repository: &repository,
        commit: &commit,
        plan: &plan,
        token_parameter: &name,
    };
    let build_id = app.deps.builds.start(&request).await.unwrap();
    assert_eq!(wait_for_end(&app, &build_id).await, "FAILED");
    let read = build_as_read(&app, &build_id).await;
    let failed = read
        .phases()
        .iter()
        .find(|p| p.phase_status().is_some_and(|s| s.as_str() == "FAILED"))
        .unwrap();
    assert_eq!(failed.phase_type().unwrap().as_str(), "INSTALL");
}
