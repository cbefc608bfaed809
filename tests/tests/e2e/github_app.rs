//! The GitHub App reader through the whole worker: App authentication and token caching, the
//! call budget, truncated trees, each error class, and that no credential reaches a log line
//! or a deployment record. The fake GitHub's per-endpoint counters are the measuring stick.

mod budget;
mod classes;
mod credentials;

use std::time::Duration;

use serde_json::Value;
use whaleray_tests::github::FakeRepo;
use whaleray_worker::poll::PollStats;

use crate::helpers::TestApp;

/// Deploys `repo` (default branch) and runs the worker until the deployment settles.
async fn deploy_and_settle(app: &TestApp, repo: &str) -> (Value, PollStats) {
    let id = app.deploy(repo, None).await;
    app.run_worker_until_settled(&id).await
}

/// Requests per endpoint, for failure messages.
fn counts(app: &TestApp) -> String {
    ["access_tokens", "commit", "tree", "blob", "repo"]
        .iter()
        .map(|e| format!("{e}={}", app.github.requests(e)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The time between the first two requests to `endpoint`.
fn gap(app: &TestApp, endpoint: &str) -> Duration {
    let times = app.github.request_times(endpoint);
    assert!(times.len() >= 2, "{endpoint}: {}", counts(app));
    times[1] - times[0]
}

/// A Vite app with `n` files in `assets/`, which sort before the root files in git order.
fn big_vite_repo(name: &str, n: usize) -> FakeRepo {
    let assets: Vec<(String, String)> =
        (0..n).map(|i| (format!("assets/img-{i:04}.svg"), format!("<svg id='{i}'/>"))).collect();
    let mut files: Vec<(&str, &str)> =
        assets.iter().map(|(p, c)| (p.as_str(), c.as_str())).collect();
    files.extend([
        (
            "package.json",
            r#"{"name":"site","private":true,"scripts":{"build":"vite build"},"devDependencies":{"vite":"^5.4.0"}}"#,
        ),
        ("package-lock.json", r#"{"lockfileVersion":3}"#),
        ("vite.config.js", "export default {}\n"),
        ("index.html", "<!doctype html><div id=app></div>\n"),
        ("src/main.js", "console.log('hi')\n"),
    ]);
    FakeRepo::new(name, &files)
}
