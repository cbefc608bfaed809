//! App credentials and installation tokens: expiry mid-run, tokens close to expiry, a wrong
//! key, the key from Secrets Manager, and the local fixed token.

use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use whaleray_shared::config::Env;
use whaleray_tests::github::keys::{OTHER_PRIVATE_KEY_PEM, TEST_APP_ID, TEST_PRIVATE_KEY_PEM};
use whaleray_tests::github::{FakeGitHub, FakeOptions, Injection};
use whaleray_worker::credentials::{ParameterPrefix, SsmBuildCredentials};
use whaleray_worker::github::{Credentials, GitHubClient};
use whaleray_worker::{Deps, WorkerConfig};

use super::{counts, deploy_and_settle};
use crate::helpers::{TestApp, github_client, vite_repo};

#[tokio::test(flavor = "multi_thread")]
async fn a_token_expiring_mid_run_is_refreshed_once_and_the_job_goes_on() {
    let app = TestApp::spawn().await;
    app.github.add_repo(vite_repo("acme/site"));
    // The token is fine for the commit and has expired by the time the tree is read.
    app.github.inject(Injection::on("tree").expire_tokens());
    let (body, stats) = deploy_and_settle(&app, "acme/site").await;
    assert_eq!(body["status"], "BUILDING", "{body}");
    assert_eq!(stats.retried, 0, "refreshed within the attempt");
    // Two for the reads (the first token expired), one minted for the build itself.
    assert_eq!(app.github.requests("access_tokens"), 3, "{}", counts(&app));
    assert_eq!(app.github.requests("tree"), 2, "{}", counts(&app));
    assert_eq!(app.github.requests("commit"), 1, "{}", counts(&app));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_refused_again_after_its_refresh_fails_the_deployment() {
    let app = TestApp::spawn().await;
    app.github.add_repo(vite_repo("acme/site"));
    app.github.inject(Injection::on("tree").expire_tokens().times(2));
    let (body, stats) = deploy_and_settle(&app, "acme/site").await;
    assert_eq!(body["status"], "FAILED", "{body}");
    assert!(
        body["reason"].as_str().unwrap().contains("refused WhaleRay's installation token"),
        "{body}"
    );
    assert_eq!(stats.retried, 0);
    assert_eq!(app.github.requests("access_tokens"), 2, "{}", counts(&app));
    assert_eq!(app.github.requests("tree"), 2, "one refresh, no more");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_within_five_minutes_of_expiry_is_replaced_before_use() {
    let app = TestApp::spawn().await;
    app.github.add_repo(vite_repo("acme/site"));
    app.github.set_token_ttl(Duration::from_secs(4 * 60));
    let worker = app.start_worker();
    for _ in 0..2 {
        let body = app.deploy_and_wait("acme/site").await;
        assert_eq!(body["status"], "BUILDING", "{body}");
    }
    worker.stop().await;
    // Every request exchanges anew rather than risk a token that lapses mid-run: one
    // exchange per GitHub read, and not one read refused; plus each build's own token.
    let reads =
        app.github.requests("commit") + app.github.requests("tree") + app.github.requests("blob");
    assert_eq!(app.github.requests("access_tokens"), reads + 2, "{}", counts(&app));
    assert_eq!(app.github.requests("commit"), 2, "{}", counts(&app));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_private_key_fails_the_deployment_with_an_operator_reason() {
    let mut app = TestApp::spawn().await;
    app.github.add_repo(vite_repo("acme/site"));
    app.deps.github = Arc::new(github_client(&app.github.url, OTHER_PRIVATE_KEY_PEM));
    let (body, stats) = deploy_and_settle(&app, "acme/site").await;
    assert_eq!(body["status"], "FAILED", "{body}");
    assert!(
        body["reason"].as_str().unwrap().contains("check the App id and private key"),
        "{body}"
    );
    assert_eq!(stats.retried, 0);
    assert_eq!(app.github.total_requests(), 1, "{}", counts(&app));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_production_wiring_reads_the_key_from_secrets_manager_by_arn() {
    let mut app = TestApp::spawn().await;
    app.github.add_repo(vite_repo("acme/site"));
    let secrets = aws_sdk_secretsmanager::Client::new(&app.emulator.sdk);
    let secret = secrets
        .create_secret()
        .name(format!("whaleray/github-app-key-{}", ulid::Ulid::new()))
        .secret_string(TEST_PRIVATE_KEY_PEM)
        .send()
        .await
        .unwrap();
    let arn = secret.arn().unwrap().to_owned();
    let app_id = TEST_APP_ID.to_string();
    let env = |arn: &str| {
        Env::from_pairs([
            ("DEPLOYMENTS_TABLE", app.stack.deployments_table.as_str()),
            ("JOB_QUEUE_URL", app.stack.queue_url.as_str()),
            ("CODEBUILD_PROJECT", app.stack.codebuild_project.as_str()),
            ("GITHUB_API_URL", app.github.url.as_str()),
            ("GITHUB_APP_ID", app_id.as_str()),
            ("GITHUB_PRIVATE_KEY_SECRET_ARN", arn),
        ])
    };
    let config = WorkerConfig::from_env(env(&arn)).unwrap();
    let deps = Deps::from_config(&config, &app.emulator.sdk).await.unwrap();

    let missing = format!("{arn}-gone");
    let config = WorkerConfig::from_env(env(&missing)).unwrap();
    let error = Deps::from_config(&config, &app.emulator.sdk)
        .await
        .err()
        .expect("a missing secret stops start-up");
    assert!(error.to_string().contains(&missing), "{error}");

    app.deps = deps;
    let (body, _) = deploy_and_settle(&app, "acme/site").await;
    assert_eq!(body["status"], "BUILDING", "{body}");
    // One for the reads, one minted for the build.
    assert_eq!(app.github.requests("access_tokens"), 2, "{}", counts(&app));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_local_fixed_token_reads_repositories_without_an_exchange() {
    let mut app = TestApp::spawn().await;
    let github = FakeGitHub::start_on(
        "127.0.0.1:0".parse().unwrap(),
        FakeOptions { static_token: Some("local-dev-token".into()), ..FakeOptions::default() },
    )
    .await
    .unwrap();
    github.add_repo(vite_repo("acme/site"));
    let client = Arc::new(
        GitHubClient::new(&github.url, Credentials::Token(SecretString::from("local-dev-token")))
            .unwrap(),
    );
    app.deps.github = client.clone();
    // The build gets the fixed token too, stored like a minted one.
    app.deps.credentials = Arc::new(SsmBuildCredentials::new(
        app.emulator.ssm.clone(),
        client,
        ParameterPrefix::parse(&app.stack.token_prefix).unwrap(),
    ));
    app.github = Arc::new(github);
    let (body, _) = deploy_and_settle(&app, "acme/site").await;
    assert_eq!(body["status"], "BUILDING", "{body}");
    assert_eq!(app.github.requests("access_tokens"), 0, "{}", counts(&app));
}
