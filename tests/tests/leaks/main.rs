//! No credential in the logs or the deployment record: every log line of full runs (success
//! with a token refresh, and a refused App key) is captured at TRACE level and searched for
//! every token and JWT the fake saw and every line of both private keys.
//!
//! A test binary of its own: it installs the process-wide subscriber, which a thread-local one
//! shared with concurrently running tests could not do reliably (callsite interest is cached
//! across threads).

// The harness is test code: a failed unwrap there is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

// The e2e harness, shared as a file: this binary uses only part of it.
#[allow(dead_code)]
#[path = "../e2e/helpers.rs"]
mod helpers;

use std::sync::Arc;

use whaleray_shared::testing::CapturedLogs;
use whaleray_tests::github::Injection;
use whaleray_tests::github::keys::{OTHER_PRIVATE_KEY_PEM, TEST_PRIVATE_KEY_PEM};

use helpers::{TestApp, github_client, vite_repo};

/// Deploys `repo` (default branch) and runs the worker until the deployment settles.
async fn deploy_and_settle(
    app: &TestApp,
    repo: &str,
) -> (serde_json::Value, whaleray_worker::poll::PollStats) {
    let id = app.deploy(repo, None).await;
    app.run_worker_until_settled(&id).await
}

#[tokio::test(flavor = "multi_thread")]
async fn no_token_jwt_or_key_line_reaches_the_logs_or_the_deployment_record() {
    let captured = CapturedLogs::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter("trace")
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let app = TestApp::spawn().await;
    app.github.add_repo(vite_repo("acme/site"));
    app.github.inject(Injection::on("tree").expire_tokens());
    let (built, _) = deploy_and_settle(&app, "acme/site").await;
    assert_eq!(built["status"], "BUILDING", "{built}");
    // A second stack whose worker signs with a key the fake does not trust.
    let mut refused = TestApp::spawn().await;
    refused.github.add_repo(vite_repo("acme/site"));
    refused.deps.github = Arc::new(github_client(&refused.github.url, OTHER_PRIVATE_KEY_PEM));
    let (failed, _) = deploy_and_settle(&refused, "acme/site").await;
    assert_eq!(failed["status"], "FAILED", "{failed}");

    let logs = captured.text();
    for expected in [
        "exchanged an installation token",
        "GitHub refused a cached installation token",
        "job finished",
    ] {
        assert!(logs.contains(expected), "the capture missed {expected:?}");
    }
    let records = format!("{built}\n{failed}");
    let mut secrets = app.github.credentials_seen();
    secrets.extend(app.github.issued_tokens());
    secrets.extend(refused.github.credentials_seen());
    assert!(secrets.len() >= 5, "two tokens and three JWTs at least: {}", secrets.len());
    for pem in [TEST_PRIVATE_KEY_PEM, OTHER_PRIVATE_KEY_PEM] {
        secrets.extend(pem.lines().filter(|l| !l.trim().is_empty()).map(str::to_owned));
    }
    for secret in &secrets {
        assert!(!logs.contains(secret.as_str()), "a credential is in the logs");
        assert!(!records.contains(secret.as_str()), "a credential is in a record");
    }
    eprintln!(
        "leak check: {} credentials and key lines against {} log lines",
        secrets.len(),
        logs.lines().count()
    );
}
