//! `POST /deployments/{id}/redeploy` against the emulator, the fake GitHub and the fake
//! CodeBuild: the new deployment builds the old one's commit even after the branch moved.

use http::{Method, StatusCode};

use crate::helpers::{TestApp, USER, vite_repo};

#[tokio::test(flavor = "multi_thread")]
async fn a_redeploy_builds_the_same_commit_after_the_branch_moved() {
    let app = TestApp::spawn().await;
    let original = vite_repo("acme/site");
    let first = original.commit(None).unwrap().sha.clone();
    app.github.add_repo(original);
    let id = app.deploy("acme/site", None).await;
    let (built, _) = app.run_worker_until_settled(&id).await;
    assert_eq!(built["status"], "BUILDING", "{built}");
    assert_eq!(built["commitSha"], first.as_str());

    // `main` moves on; the first commit stays fetchable (as on GitHub) under another branch.
    let mut moved = vite_repo("acme/site").with_branch(
        "main",
        &[
            (
                "package.json",
                r#"{"devDependencies":{"vite":"5.0.0"},"scripts":{"build":"vite build"}}"#,
            ),
            ("vite.config.js", "export default { base: '/v2/' }\n"),
        ],
    );
    let second = moved.commit(None).unwrap().sha.clone();
    let kept = vite_repo("acme/site").branches.remove("main").unwrap();
    moved.branches.insert("release-1".to_owned(), kept);
    assert_ne!(first, second);
    app.github.add_repo(moved);

    let path = format!("/deployments/{id}/redeploy");
    let (status, body) = app.call(Method::POST, &path, Some("someone-else"), None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("deployment_not_found"))
    );
    let (status, body) = app.call(Method::POST, &path, Some(USER), None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let again = body["deploymentId"].as_str().unwrap().to_owned();

    let (rebuilt, _) = app.run_worker_until_settled(&again).await;
    assert_eq!(rebuilt["status"], "BUILDING", "{rebuilt}");
    assert_eq!(rebuilt["commitSha"], first.as_str(), "{rebuilt}");
    assert_eq!(rebuilt["trigger"], "redeploy", "{rebuilt}");
    assert_eq!(rebuilt["redeployOf"], id.as_str(), "{rebuilt}");
    let per_commit = app.codebuild.builds_per_variable("WHALERAY_COMMIT_SHA");
    assert_eq!(per_commit.get(&first), Some(&2), "{per_commit:?}");
    assert_eq!(per_commit.get(&second), None, "the moved branch was never built");

    // A plain deploy of the branch now builds the new commit.
    let fresh = app.deploy("acme/site", None).await;
    let (fresh, _) = app.run_worker_until_settled(&fresh).await;
    assert_eq!(fresh["commitSha"], second.as_str(), "{fresh}");
    assert_eq!(fresh["trigger"], "manual", "{fresh}");
}
