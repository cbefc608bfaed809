//! The build start against a CodeBuild that behaves as documented (the fake in
//! `whaleray_tests::codebuild`): each test is a fault the emulator's stub could not show.

use std::time::Duration;

use whaleray_shared::job::InspectionJob;
use whaleray_shared::ports::{BuildInputs, DeploymentStore};
use whaleray_shared::{CommitSha, DeploymentId, DeploymentStatus, RepoFullName};
use whaleray_tests::github::FakeRepo;
use whaleray_worker::codebuild::BuildRequest;
use whaleray_worker::process::{Outcome, inspect};

use crate::helpers::{TestApp, eventually, vite_repo};

/// The plan detection gives a Vite app.
pub(crate) fn vite_plan() -> whaleray_shared::BuildPlan {
    let detection = serde_json::from_value(serde_json::json!({
        "framework": "vite", "runtime": "node", "packageManager": "npm", "rootDirectory": ".",
        "installCommand": "npm ci", "buildCommand": "npm run build", "outputDirectory": "dist",
        "nodeVersion": null, "evidence": [], "candidates": []
    }))
    .unwrap();
    whaleray_worker::plan::build_plan(detection).unwrap()
}

async fn job(app: &TestApp, id: &str) -> InspectionJob {
    let id: DeploymentId = id.parse().unwrap();
    InspectionJob::for_deployment(&app.store.get(id).await.unwrap().unwrap())
}

/// Fills the project with `n` builds of other deployments.
async fn other_builds(app: &TestApp, n: usize) {
    for i in 0..n {
        app.codebuild_client
            .start_build()
            .project_name(&app.stack.codebuild_project)
            .idempotency_token(format!("other-{i}"))
            .buildspec_override("version: 0.2\n")
            .send()
            .await
            .unwrap();
    }
}

/// One attempt whose StartBuild reaches CodeBuild but whose answer never comes back (as when
/// the Lambda times out): the build exists, the attempt is retried later.
async fn attempt_with_a_lost_answer(app: &TestApp, job: &InspectionJob) {
    app.codebuild.fail_starts_after_creating(10);
    let retry = inspect(&app.deps, job, 1).await.unwrap_err();
    assert!(retry.error.reason().contains("could not be started"), "{retry:?}");
    app.codebuild.fail_starts_after_creating(0);
    assert_eq!(app.builds().await.len(), 1, "CodeBuild did start the build");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retry_after_the_branch_moved_sends_the_pinned_commit_not_a_mismatch() {
    let app = TestApp::spawn().await;
    let repo = vite_repo("acme/site");
    let first = repo.commit(None).unwrap().sha.clone();
    app.github.add_repo(repo);
    let id = app.deploy("acme/site", None).await;
    let job = job(&app, &id).await;
    attempt_with_a_lost_answer(&app, &job).await;

    // The branch moves before the retry.
    let moved = FakeRepo::new(
        "acme/site",
        &[
            (
                "package.json",
                r#"{"devDependencies":{"vite":"6.0.0"},"scripts":{"build":"vite build"}}"#,
            ),
            ("vite.config.js", ""),
        ],
    );
    assert_ne!(moved.commit(None).unwrap().sha, first);
    app.github.add_repo(moved);

    let outcome = inspect(&app.deps, &job, 2).await.unwrap();
    assert!(matches!(outcome, Outcome::Building { .. }), "{outcome:?}");
    let body = app.deployment(&id).await;
    assert_eq!(body["status"], "BUILDING", "{body}");
    assert_eq!(body["commitSha"], first.as_str(), "the pinned commit, not the moved branch");
    assert_eq!(app.builds().await.len(), 1, "one build");
    let starts = app.codebuild.start_requests();
    assert!(starts.windows(2).all(|w| w[0] == w[1]), "identical parameters under one token");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retry_past_the_token_window_finds_the_build_among_more_than_100() {
    let app = TestApp::spawn().await;
    app.github.add_repo(vite_repo("acme/site"));
    let id = app.deploy("acme/site", None).await;
    let job = job(&app, &id).await;
    attempt_with_a_lost_answer(&app, &job).await;
    let lost = app.builds().await[0].clone();
    other_builds(&app, 150).await;
    // The retry comes back after the visibility timeout: the token no longer covers it.
    app.codebuild.advance(Duration::from_secs(6 * 60 + 5));

    let outcome = inspect(&app.deps, &job, 2).await.unwrap();
    assert_eq!(outcome, Outcome::Building { build_id: lost.clone() });
    assert_eq!(app.builds().await.len(), 151, "no second build of the deployment");
    assert_eq!(app.deployment(&id).await["buildId"], lost.as_str());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_takeover_in_a_project_of_more_than_100_builds_recovers_the_dead_workers_build() {
    let app = TestApp::spawn().await;
    let repo = vite_repo("acme/site");
    let commit = CommitSha::parse(&repo.commit(None).unwrap().sha).unwrap();
    app.github.add_repo(repo);
    let id = app.deploy("acme/site", None).await;
    let job = job(&app, &id).await;

    // A worker claimed, started the build and died before recording it.
    let plan = vite_plan();
    let inputs = BuildInputs { commit: commit.clone(), plan };
    let lapsed = chrono::Utc::now() - chrono::Duration::seconds(1);
    app.store.claim_build(job.deployment_id, "dead-worker", lapsed, &inputs).await.unwrap();
    let repository = RepoFullName::parse("acme/site").unwrap();
    let installation =
        whaleray_shared::InstallationId::new(crate::helpers::INSTALLATION_ID).unwrap();
    let token_parameter =
        app.deps.credentials.issue(job.deployment_id, installation, &repository).await.unwrap();
    let request = BuildRequest {
        deployment_id: job.deployment_id,
        repository: &repository,
        commit: &commit,
        plan: &inputs.plan,
        token_parameter: &token_parameter,
    };
    let lost = app.deps.builds.start(&request).await.unwrap();
    other_builds(&app, 120).await;

    let outcome = inspect(&app.deps, &job, 2).await.unwrap();
    assert_eq!(outcome, Outcome::Building { build_id: lost.clone() });
    assert_eq!(app.builds().await.len(), 121);
    let stored = app.store.get(job.deployment_id).await.unwrap().unwrap();
    assert_eq!(stored.status, DeploymentStatus::Building);
    assert_eq!(stored.commit_sha, Some(commit));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_build_runs_the_buildspec_sent_with_it_and_succeeds() {
    let app = TestApp::spawn().await;
    app.github.add_repo(vite_repo("acme/site"));
    let id = app.deploy("acme/site", None).await;
    let (body, _) = app.run_worker_until_settled(&id).await;
    assert_eq!(body["status"], "BUILDING", "{body}");
    let build_id = body["buildId"].as_str().unwrap().to_owned();
    eventually(|| async { app.codebuild.status(&build_id) != Some("IN_PROGRESS") }).await;
    assert_eq!(app.codebuild.status(&build_id), Some("SUCCEEDED"));
    let start = &app.codebuild.start_requests()[0];
    assert_eq!(start["buildspecOverride"], whaleray_worker::codebuild::BUILDSPEC);
}
