//! What an inspection costs in GitHub requests, with and without a cached token, and how a
//! truncated tree is completed.

use std::time::Instant;

use whaleray_detect::MAX_FILE_BYTES;
use whaleray_shared::{InstallationId, RepoFullName};
use whaleray_tests::github::keys::TEST_PRIVATE_KEY_PEM;
use whaleray_tests::github::{FakeGitHub, FakeRepo};
use whaleray_worker::github::{MAX_WALK_CALLS, RepoReader};

use super::{big_vite_repo, counts, deploy_and_settle};
use crate::helpers::{INSTALLATION_ID, TestApp, github_client, vite_repo};

#[tokio::test(flavor = "multi_thread")]
async fn a_single_package_repository_costs_four_requests_then_three_with_a_cached_token() {
    let app = TestApp::spawn().await;
    app.github.add_repo(vite_repo("acme/site"));

    let worker = app.start_worker();
    let started = Instant::now();
    let first = app.deploy_and_wait("acme/site").await;
    let first_time = started.elapsed();
    assert_eq!(first["status"], "BUILDING", "{first}");
    // The build's own token is always a new exchange, on top of the inspection's requests.
    let uncached = app.github.total_requests() - 1;
    assert_eq!(app.github.requests("access_tokens"), 2, "{}", counts(&app));
    assert!(uncached <= 4, "uncached inspection: {}", counts(&app));
    eprintln!("uncached: {uncached} requests ({}) in {first_time:?}", counts(&app));

    app.github.reset_counts();
    let started = Instant::now();
    let second = app.deploy_and_wait("acme/site").await;
    let second_time = started.elapsed();
    worker.stop().await;
    assert_eq!(second["status"], "BUILDING", "{second}");
    let cached = app.github.total_requests() - 1;
    assert_eq!(app.github.requests("access_tokens"), 1, "the build's token only: {}", counts(&app));
    assert!(cached <= 3, "cached inspection: {}", counts(&app));
    eprintln!("cached: {cached} requests ({}) in {second_time:?}", counts(&app));
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_are_narrowed_to_one_repository_so_another_repository_costs_one_exchange() {
    let app = TestApp::spawn().await;
    app.github.add_repo(vite_repo("acme/site"));
    app.github.add_repo(vite_repo("acme/blog"));
    let worker = app.start_worker();
    for repo in ["acme/site", "acme/blog", "acme/site", "acme/blog"] {
        let body = app.deploy_and_wait(repo).await;
        assert_eq!(body["status"], "BUILDING", "{repo}: {body}");
    }
    worker.stop().await;
    assert_eq!(
        app.github.requests("access_tokens"),
        2 + 4,
        "one exchange per repository for the reads, one per build: {}",
        counts(&app)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_truncated_tree_is_walked_and_the_repository_still_builds() {
    let app = TestApp::spawn().await;
    // 300 assets sort before package.json, so the cut listing holds none of the root files.
    app.github.add_repo(big_vite_repo("acme/site", 300));
    app.github.truncate_trees_after(50);

    let started = Instant::now();
    let (body, stats) = deploy_and_settle(&app, "acme/site").await;
    assert_eq!(body["status"], "BUILDING", "{body}");
    assert_eq!(body["detection"]["framework"], "vite", "{body}");
    assert_eq!(stats.retried, 0);
    // The truncated recursive listing, then the root, assets/ and src/ one level at a time.
    assert_eq!(app.github.requests("tree"), 4, "{}", counts(&app));
    assert!(app.github.requests("tree") as usize <= 1 + MAX_WALK_CALLS);
    eprintln!(
        "truncated tree: {} requests ({}) in {:?}",
        app.github.total_requests(),
        counts(&app),
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_blob_over_the_size_cap_is_cut_one_byte_past_it() {
    let github = FakeGitHub::start().await.unwrap();
    let big = "x".repeat(3 * MAX_FILE_BYTES as usize);
    github.add_repo(FakeRepo::new("acme/site", &[("big.bin", big.as_str()), ("small.txt", "hi")]));
    let client = github_client(&github.url, TEST_PRIVATE_KEY_PEM);
    let (installation, repo) =
        (InstallationId::new(INSTALLATION_ID).unwrap(), RepoFullName::parse("acme/site").unwrap());
    let commit = client.resolve_commit(installation, &repo, None).await.unwrap();
    let tree = client.tree(installation, &repo, &commit).await.unwrap();
    let sha = |path: &str| tree.iter().find(|e| e.path == path).unwrap().sha.clone();
    let bytes = client.blob(installation, &repo, &sha("big.bin")).await.unwrap();
    assert_eq!(bytes.len() as u64, MAX_FILE_BYTES + 1);
    let bytes = client.blob(installation, &repo, &sha("small.txt")).await.unwrap();
    assert_eq!(bytes, b"hi");
}
