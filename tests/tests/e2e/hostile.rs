//! The hostile corpus of issue 14 through the whole stack (API, queue, poller, fake GitHub,
//! DynamoDB): every hostile repository gets a verdict within the inspection deadline without
//! a build, within the request budget and with a small stored item, and an ordinary
//! deployment queued behind them still builds. (Peak memory per class is measured by
//! `whaleray-hostile`, which runs the worker in a process of its own.)

use std::time::{Duration, Instant};

use whaleray_tests::hostile;
use whaleray_worker::budget::{INSPECTION_DEADLINE, MAX_GITHUB_REQUESTS};

use crate::helpers::{TestApp, eventually};

#[tokio::test(flavor = "multi_thread")]
async fn hostile_repositories_settle_within_their_budgets_and_an_ordinary_one_still_builds() {
    let app = TestApp::spawn().await;
    let corpus = [
        // Before issue 14 this pattern backtracked for 74 s at this depth.
        ("acme/glob", hostile::glob("acme/glob", 60)),
        // 40 MiB of package.json files: over the 32 MiB budget.
        ("acme/memory", hostile::memory("acme/memory", 40, 1)),
        ("acme/requests", hostile::requests("acme/requests", 500)),
        ("acme/stored", hostile::stored("acme/stored")),
        ("acme/shell", hostile::shell("acme/shell")),
        ("acme/escape", hostile::escape("acme/escape")),
        ("acme/links", hostile::links("acme/links")),
    ];
    let mut ids = Vec::new();
    for (name, repo) in corpus {
        app.github.add_repo(repo);
        ids.push((name, app.deploy(name, None).await));
    }
    app.github.add_repo(hostile::ordinary("acme/ordinary"));
    let ordinary = app.deploy("acme/ordinary", None).await;

    let started = Instant::now();
    let worker = app.start_worker();
    eventually(|| async { app.deployment(&ordinary).await["status"] == "BUILDING" }).await;
    let ordinary_after = started.elapsed();
    for (_, id) in &ids {
        eventually(|| async { app.deployment(id).await["status"] != "INSPECTING" }).await;
    }
    let all_after = started.elapsed();
    worker.stop().await;

    let body = app.deployment(&ordinary).await;
    assert_eq!(body["status"], "BUILDING", "{body}");
    assert!(ordinary_after < INSPECTION_DEADLINE, "ordinary build after {ordinary_after:?}");
    assert!(all_after < INSPECTION_DEADLINE + Duration::from_secs(10), "{all_after:?}");
    let mut reasons = std::collections::HashMap::new();
    for (name, id) in &ids {
        let body = app.deployment(id).await;
        reasons.insert(*name, body["reason"].to_string());
        let status = body["status"].as_str().unwrap_or_default();
        assert!(matches!(status, "NOT_SUPPORTED" | "FAILED"), "{name}: {body}");
        assert!(body["buildId"].is_null(), "{name} was built: {body}");
        assert!(body["reason"].as_str().is_some_and(|r| !r.is_empty()), "{name}: {body}");
        // The API answer carries every stored text; DynamoDB's item limit is 400 KB.
        let size = body.to_string().len();
        assert!(size < 64 * 1024, "{name}: {size} bytes stored");
    }
    for (name, named) in [
        ("acme/memory", "32 MiB"),
        ("acme/stored", "value budget"),
        ("acme/shell", "app directory"),
        ("acme/escape", "output directory"),
        ("acme/links", "symbolic link"),
    ] {
        assert!(reasons[name].contains(named), "{name}: {}", reasons[name]);
    }
    // Each blob SHA once: the 500 packages share one package.json.
    let requests = app.github.total_requests();
    assert!(requests < 8 * u64::from(MAX_GITHUB_REQUESTS), "{requests} GitHub requests");
    assert!(app.github.requests("blob") <= 20, "{} blob reads", app.github.requests("blob"));
}
