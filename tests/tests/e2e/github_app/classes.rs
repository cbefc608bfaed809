//! Each class of GitHub failure through the whole worker: permanent ones fail the deployment
//! at once with a reason a user can act on, retryable ones are retried (after the wait GitHub
//! advertised, when it advertised one) and then build.

use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use whaleray_tests::github::Injection;
use whaleray_tests::github::keys::{TEST_APP_ID, TEST_PRIVATE_KEY_PEM};
use whaleray_worker::github::{AppCredentials, Credentials, GitHubClient, Timeouts};

use super::{counts, deploy_and_settle, gap};
use crate::helpers::{INSTALLATION_ID, TestApp, vite_repo};

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_repository_fails_at_once_with_a_readable_reason() {
    let app = TestApp::spawn().await;
    let (body, stats) = deploy_and_settle(&app, "acme/deleted").await;
    assert_eq!(body["status"], "FAILED", "{body}");
    let reason = body["reason"].as_str().unwrap();
    assert!(reason.contains("could not find the repository acme/deleted"), "{reason}");
    assert_eq!(stats.retried, 0);
    // The token exchange narrowed to the deleted repository is refused (422): one request.
    assert_eq!(app.github.total_requests(), 1, "{}", counts(&app));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_branch_fails_at_once_naming_the_branch() {
    let app = TestApp::spawn().await;
    app.github.add_repo(vite_repo("acme/site"));
    let id = app.deploy("acme/site", Some("release/9")).await;
    let (body, stats) = app.run_worker_until_settled(&id).await;
    assert_eq!(body["status"], "FAILED", "{body}");
    let reason = body["reason"].as_str().unwrap();
    assert!(reason.contains("the branch \"release/9\" of acme/site"), "{reason}");
    assert_eq!(stats.retried, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_uninstalled_app_fails_at_once_without_reading_the_repository() {
    let app = TestApp::spawn().await;
    app.github.add_repo(vite_repo("acme/site"));
    app.github.uninstall(INSTALLATION_ID);
    let (body, stats) = deploy_and_settle(&app, "acme/site").await;
    assert_eq!(body["status"], "FAILED", "{body}");
    let reason = body["reason"].as_str().unwrap();
    assert!(reason.contains("installation 4242"), "{reason}");
    assert!(reason.contains("uninstalled"), "{reason}");
    assert_eq!(stats.retried, 0);
    assert_eq!(app.github.total_requests(), 1, "{}", counts(&app));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_repository_outside_the_installation_fails_at_once() {
    let app = TestApp::spawn().await;
    app.github.add_repo(vite_repo("acme/site"));
    app.github.inject(
        Injection::on("access_tokens")
            .status(422)
            .message("There is at least one repository that does not exist or is not accessible to the parent installation."),
    );
    let (body, stats) = deploy_and_settle(&app, "acme/site").await;
    assert_eq!(body["status"], "FAILED", "{body}");
    let reason = body["reason"].as_str().unwrap();
    assert!(reason.contains("could not find the repository acme/site"), "{reason}");
    assert_eq!(stats.retried, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn server_errors_are_retried_and_then_the_repository_builds() {
    let app = TestApp::spawn().await;
    app.github.add_repo(vite_repo("acme/site"));
    app.github.inject(Injection::server_error("access_tokens", 503));
    app.github.inject(Injection::server_error("blob", 500));
    let (body, stats) = deploy_and_settle(&app, "acme/site").await;
    assert_eq!(body["status"], "BUILDING", "{body}");
    assert_eq!(body["attempts"], 2, "{body}");
    assert!(body["lastError"].as_str().unwrap().contains("500"), "{body}");
    assert_eq!(stats.retried, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_primary_rate_limit_is_retried_after_the_advertised_reset() {
    let app = TestApp::spawn().await;
    app.github.add_repo(vite_repo("acme/site"));
    app.github.inject(Injection::rate_limited("commit", Duration::from_secs(3)));
    let (body, stats) = deploy_and_settle(&app, "acme/site").await;
    assert_eq!(body["status"], "BUILDING", "{body}");
    assert!(body["lastError"].as_str().unwrap().contains("rate limit"), "{body}");
    assert_eq!(stats.retried, 1);
    // The reset is whole seconds, so the wait is 2 to 3 s; the 1 s backoff would be shorter.
    let waited = gap(&app, "commit");
    assert!(waited >= Duration::from_secs(2), "retried after {waited:?}");
    eprintln!("primary rate limit (reset in 3 s): retried after {waited:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_429_is_retried_after_its_retry_after() {
    let app = TestApp::spawn().await;
    app.github.add_repo(vite_repo("acme/site"));
    app.github.inject(Injection::too_many_requests("tree", Duration::from_secs(2)));
    let (body, stats) = deploy_and_settle(&app, "acme/site").await;
    assert_eq!(body["status"], "BUILDING", "{body}");
    assert_eq!(stats.retried, 1);
    let waited = gap(&app, "tree");
    assert!(waited >= Duration::from_secs(2), "retried after {waited:?}");
    eprintln!("429 (Retry-After: 2): retried after {waited:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_secondary_rate_limit_is_retried_after_its_retry_after() {
    let app = TestApp::spawn().await;
    app.github.add_repo(vite_repo("acme/site"));
    app.github.inject(Injection::secondary_rate_limit("blob", Some(Duration::from_secs(2))));
    let (body, stats) = deploy_and_settle(&app, "acme/site").await;
    assert_eq!(body["status"], "BUILDING", "{body}");
    assert_eq!(stats.retried, 1);
    let waited = gap(&app, "blob");
    assert!(waited >= Duration::from_secs(2), "retried after {waited:?}");
    eprintln!("secondary rate limit (Retry-After: 2): retried after {waited:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_answer_slower_than_the_timeout_is_retried() {
    let mut app = TestApp::spawn().await;
    app.github.add_repo(vite_repo("acme/site"));
    let credentials = AppCredentials::from_pem(
        TEST_APP_ID,
        &SecretString::from(TEST_PRIVATE_KEY_PEM),
        "test key",
    )
    .unwrap();
    let timeouts =
        Timeouts { connect: Duration::from_secs(1), request: Duration::from_millis(500) };
    app.deps.github = Arc::new(
        GitHubClient::with_timeouts(&app.github.url, Credentials::App(credentials), timeouts)
            .unwrap(),
    );
    app.github.inject(Injection::on("commit").delay(Duration::from_secs(2)));
    let (body, stats) = deploy_and_settle(&app, "acme/site").await;
    assert_eq!(body["status"], "BUILDING", "{body}");
    assert!(body["lastError"].as_str().unwrap().contains("did not answer in time"), "{body}");
    assert_eq!(stats.retried, 1);
}
