//! The whole flow through the long-polling worker: POST, queue, inspection, verdict.

use whaleray_tests::github::{FakeRepo, Fault};

use crate::helpers::{TestApp, vite_repo};

#[tokio::test(flavor = "multi_thread")]
async fn a_vite_repository_goes_from_post_to_building_with_a_codebuild_build() {
    let app = TestApp::spawn().await;
    let repo = vite_repo("acme/site");
    let commit = repo.commit(None).unwrap().sha.clone();
    app.github.add_repo(repo);

    let id = app.deploy("acme/site", None).await;
    let (body, stats) = app.run_worker_until_settled(&id).await;

    assert_eq!(body["status"], "BUILDING", "{body}");
    assert_eq!(body["commitSha"], commit.as_str());
    assert_eq!(body["detection"]["framework"], "vite");
    assert_eq!(body["detection"]["packageManager"], "npm");
    assert!(body["detection"]["evidence"].as_array().is_some_and(|e| !e.is_empty()), "{body}");
    let build_id = body["buildId"].as_str().expect("build id");
    let builds = app.codebuild_client.batch_get_builds().ids(build_id).send().await.unwrap();
    assert_eq!(builds.builds().len(), 1, "CodeBuild knows the build");
    assert_eq!(builds.builds()[0].project_name(), Some(app.stack.codebuild_project.as_str()));
    assert_eq!(stats.done, 1);
    assert_eq!(app.depth(&app.stack.queue_url).await, (0, 0), "message deleted");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_stack_is_not_supported_with_a_reason() {
    let app = TestApp::spawn().await;
    app.github.add_repo(FakeRepo::new(
        "acme/mainframe",
        &[("README.md", "# payroll\n"), ("src/PAYROLL.cbl", "       IDENTIFICATION DIVISION.\n")],
    ));
    let id = app.deploy("acme/mainframe", None).await;
    let (body, _) = app.run_worker_until_settled(&id).await;
    assert_eq!(body["status"], "NOT_SUPPORTED", "{body}");
    assert!(body["reason"].as_str().is_some_and(|r| !r.is_empty()), "{body}");
    assert!(body["buildId"].is_null());
    assert!(body["detection"]["framework"].is_null());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_shell_hostile_branch_builds_the_resolved_commit() {
    let app = TestApp::spawn().await;
    let branch = "zzz\";echo${IFS}\"hello\";#";
    let repo = vite_repo("acme/site").with_branch(
        branch,
        &[
            (
                "package.json",
                r#"{"devDependencies":{"vite":"5.0.0"},"scripts":{"build":"vite build"}}"#,
            ),
            ("vite.config.ts", ""),
        ],
    );
    let commit = repo.commit(Some(branch)).unwrap().sha.clone();
    app.github.add_repo(repo);
    let id = app.deploy("acme/site", Some(branch)).await;
    let (body, _) = app.run_worker_until_settled(&id).await;
    assert_eq!(body["status"], "BUILDING", "{body}");
    assert_eq!(body["branch"], branch);
    assert_eq!(body["commitSha"], commit.as_str());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_repository_fails_with_a_readable_reason_and_no_retry() {
    let app = TestApp::spawn().await;
    let id = app.deploy("acme/deleted", None).await;
    let (body, stats) = app.run_worker_until_settled(&id).await;
    assert_eq!(body["status"], "FAILED", "{body}");
    assert!(body["reason"].as_str().unwrap().contains("could not find"), "{body}");
    assert_eq!(stats.retried, 0);
    // GitHub refuses a token narrowed to a repository the installation cannot read (422).
    assert_eq!(app.github.requests("access_tokens"), 1, "a permanent error is not retried");
    assert_eq!(app.github.requests("commit"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_github_outage_is_retried_and_then_builds() {
    let app = TestApp::spawn().await;
    app.github.add_repo(vite_repo("acme/site"));
    app.github.inject(Fault { endpoint: "tree", status: 502, times: 1, headers: vec![] });
    let id = app.deploy("acme/site", None).await;
    let (body, stats) = app.run_worker_until_settled(&id).await;
    assert_eq!(body["status"], "BUILDING", "{body}");
    assert_eq!(body["attempts"], 1, "the failed attempt is counted");
    assert!(body["lastError"].as_str().unwrap().contains("502"), "{body}");
    assert_eq!(stats.retried, 1);
    assert_eq!(app.github.requests("tree"), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_duplicate_delivery_starts_no_second_build() {
    let app = TestApp::spawn().await;
    app.github.add_repo(vite_repo("acme/site"));
    let id = app.deploy("acme/site", None).await;
    // Deliver the same job twice, as SQS may.
    let message = app.receive_job().await;
    let body = message.body().unwrap().to_owned();
    app.emulator
        .sqs
        .send_message()
        .queue_url(&app.stack.queue_url)
        .message_body(&body)
        .send()
        .await
        .unwrap();
    app.emulator
        .sqs
        .change_message_visibility()
        .queue_url(&app.stack.queue_url)
        .receipt_handle(message.receipt_handle().unwrap())
        .visibility_timeout(0)
        .send()
        .await
        .unwrap();
    let stats = app.drain_queue().await;
    assert_eq!(stats.done, 2, "both copies were handled and deleted: {stats:?}");
    let after = app.deployment(&id).await;
    assert_eq!(after["status"], "BUILDING");
    let builds = app.builds().await;
    assert_eq!(builds.len(), 1, "exactly one build for one deployment");
    assert_eq!(after["buildId"].as_str(), builds.first().map(String::as_str));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_ambiguous_monorepo_lists_its_apps_and_a_named_root_directory_builds() {
    let app = TestApp::spawn().await;
    let vite = r#"{"scripts":{"build":"vite build"},"devDependencies":{"vite":"5.4.0"}}"#;
    let next =
        r#"{"scripts":{"build":"next build"},"dependencies":{"next":"14.2.0","react":"18.3.1"}}"#;
    app.github.add_repo(FakeRepo::new(
        "acme/mono",
        &[
            ("package.json", r#"{"private":true,"workspaces":["apps/*"]}"#),
            ("package-lock.json", r#"{"lockfileVersion":3}"#),
            ("apps/web/package.json", next),
            ("apps/web/next.config.js", ""),
            ("apps/docs/package.json", vite),
            ("apps/docs/vite.config.ts", ""),
        ],
    ));
    let id = app.deploy("acme/mono", None).await;
    let (body, _) = app.run_worker_until_settled(&id).await;
    assert_eq!(body["status"], "NOT_SUPPORTED", "{body}");
    let candidates = body["detection"]["candidates"].as_array().unwrap();
    assert!(
        candidates.iter().any(|c| c == "apps/web") && candidates.iter().any(|c| c == "apps/docs"),
        "{body}"
    );
    let reason = body["reason"].as_str().unwrap();
    assert!(reason.contains("apps/web") && reason.contains("apps/docs"), "{reason}");

    let (status, created) = app
        .call(
            http::Method::POST,
            "/deployments",
            Some(crate::helpers::USER),
            Some(serde_json::json!({"repository": "acme/mono", "rootDirectory": "apps/web"})),
        )
        .await;
    assert_eq!(status, http::StatusCode::ACCEPTED, "{created}");
    let id = created["deploymentId"].as_str().unwrap();
    let (body, _) = app.run_worker_until_settled(id).await;
    assert_eq!(body["status"], "BUILDING", "{body}");
    assert_eq!(body["rootDirectory"], "apps/web");
    assert_eq!(body["detection"]["framework"], "nextjs");
    assert_eq!(body["detection"]["rootDirectory"], "apps/web");
}
