//! Push-to-deploy end to end: the App is installed (a signed `installation` webhook), the user
//! is linked (an OAuth code through the fake GitHub), connects a project, and a signed `push`
//! deploys it at the pushed commit. The only inputs are signed deliveries, the OAuth code and
//! the user's own API calls; the test writes no table row.

use std::time::{Duration, Instant};

use axum::body::Body;
use http::{Method, Request, StatusCode};
use secrecy::SecretString;
use serde_json::{Value, json};
use whaleray_api::github::signature::sign;
use whaleray_tests::github::{FakeInstallation, FakeRepo, payloads};

use crate::helpers::{TestApp, USER, WEBHOOK_SECRET, vite_repo};

const INSTALLATION: u64 = 7_700;
const REPOSITORY: &str = "octo/site";

async fn deliver(
    app: &TestApp,
    event: &str,
    delivery: &str,
    payload: &Value,
) -> (StatusCode, Value) {
    let body = payload.to_string();
    let request = Request::post("/github/webhook")
        .header("content-type", "application/json")
        .header("x-github-event", event)
        .header("x-github-delivery", delivery)
        .header("x-hub-signature-256", sign(&SecretString::from(WEBHOOK_SECRET), body.as_bytes()))
        .body(Body::from(body))
        .unwrap();
    let (status, _, body) = app.send(request).await;
    (status, body)
}

/// A repository whose `main` is the Vite app, plus `n` more commits (branches `c0`..) the
/// pushes can name, as a repository's history would hold them.
fn repository(n: usize) -> (FakeRepo, Vec<String>) {
    let mut repo = vite_repo(REPOSITORY);
    let mut shas = vec![repo.commit(None).unwrap().sha.clone()];
    let base = vite_repo(REPOSITORY);
    let files: Vec<(String, String)> = base
        .commit(None)
        .unwrap()
        .entries()
        .iter()
        .map(|(path, entry)| {
            (path.clone(), String::from_utf8_lossy(entry.blob().unwrap_or_default()).into_owned())
        })
        .collect();
    for i in 0..n {
        let mut with_change: Vec<(&str, &str)> =
            files.iter().map(|(p, c)| (p.as_str(), c.as_str())).collect();
        let note = format!("change {i}\n");
        with_change.push(("CHANGES.md", note.as_str()));
        repo = repo.with_branch(&format!("c{i}"), &with_change);
        shas.push(repo.commit(Some(&format!("c{i}"))).unwrap().sha.clone());
    }
    (repo, shas)
}

/// Installs the App (signed webhook), links `USER` through the OAuth code, and connects the
/// project; returns its id.
async fn install_link_and_connect(app: &TestApp) -> String {
    let installation = json!({"id": INSTALLATION, "account": {"id": 31, "login": "octo", "type": "Organization"},
        "repository_selection": "all", "suspended_at": null, "app_id": 1});
    let created = json!({"action": "created", "installation": installation, "repositories": []});
    let (status, body) = deliver(app, "installation", "install-1", &created).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    app.github.grant_user(
        "octo-gh",
        FakeInstallation {
            id: INSTALLATION,
            account_id: 31,
            account_login: "octo".into(),
            repositories: None,
            suspended: false,
        },
    );
    let code = app.github.authorize("octo-gh");
    let (status, body) = app
        .call(Method::POST, "/github/installations", Some(USER), Some(json!({"code": code})))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let (status, project) = app
        .call(Method::POST, "/projects", Some(USER), Some(json!({"repository": REPOSITORY})))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{project}");
    project["projectId"].as_str().unwrap().to_owned()
}

/// Every deployment in the table, whoever owns it (a scan: the table is this test's own).
async fn deployment_count(app: &TestApp) -> usize {
    let output =
        app.emulator.dynamo.scan().table_name(&app.stack.deployments_table).send().await.unwrap();
    output.items.unwrap_or_default().len()
}

fn push(after: &str, message: &str, branch: &str) -> Value {
    payloads::push(REPOSITORY, INSTALLATION, branch, after, message, 1_764_644_400)
}

fn deployments_of(body: &Value) -> Vec<String> {
    body["deployments"]
        .as_array()
        .map(|a| a.iter().map(|d| d.as_str().unwrap().to_owned()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn install_link_project_push_reaches_building_at_the_pushed_commit() {
    // Nothing seeded: the installation, the link and the project come from signed webhooks,
    // the OAuth exchange and the API alone.
    let app = TestApp::spawn_unseeded().await;
    let (repo, shas) = repository(1);
    app.github.add_repo(repo);
    let (status, before) = app.call(Method::GET, "/github/installations", Some(USER), None).await;
    assert_eq!((status, before["installations"].clone()), (StatusCode::OK, json!([])));
    let create = json!({ "repository": REPOSITORY });
    let (status, refused) = app.call(Method::POST, "/deployments", Some(USER), Some(create)).await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("repository_not_installed")),
        "{refused}"
    );
    let project = install_link_and_connect(&app).await;

    // The push names a commit that is not the branch's head in the fake (c0's): the worker
    // must build the pinned commit, not resolve `main`.
    let pushed = &shas[1];
    let (status, body) = deliver(&app, "push", "push-1", &push(pushed, "Ship it", "main")).await;
    assert_eq!((status, body["result"].as_str()), (StatusCode::OK, Some("processed")), "{body}");
    let ids = deployments_of(&body);
    assert_eq!(ids.len(), 1, "{body}");

    let (deployment, _) = app.run_worker_until_settled(&ids[0]).await;
    assert_eq!(deployment["status"], "BUILDING", "{deployment}");
    assert_eq!(deployment["commitSha"], pushed.as_str());
    assert_eq!(deployment["trigger"], "push");
    assert_eq!(deployment["projectId"], project.as_str());
    assert_eq!(deployment["branch"], "main");
    assert_eq!(deployment["commitMessage"], "Ship it");
    assert_eq!(deployment["commitAuthor"], "Ada Lovelace");

    // GET /deployments?projectId= lists the project's deployments only, to its owner only.
    let manual = app.deploy(REPOSITORY, None).await;
    let (status, all) = app.call(Method::GET, "/deployments", Some(USER), None).await;
    assert_eq!((status, all["deployments"].as_array().unwrap().len()), (StatusCode::OK, 2));
    let by_project = format!("/deployments?projectId={project}&limit=1");
    let (status, listed) = app.call(Method::GET, &by_project, Some(USER), None).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    let listed_ids: Vec<_> = listed["deployments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["deploymentId"].clone())
        .collect();
    assert_eq!(listed_ids, [json!(ids[0])], "not the manual {manual}");
    if let Some(cursor) = listed["nextCursor"].as_str() {
        let next = format!("/deployments?projectId={project}&cursor={cursor}");
        let (_, rest) = app.call(Method::GET, &next, Some(USER), None).await;
        assert_eq!(rest["deployments"], json!([]), "{rest}");
    }
    let (status, hidden) = app.call(Method::GET, &by_project, Some("someone-else"), None).await;
    assert_eq!(
        (status, hidden["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("project_not_found"))
    );
}

#[tokio::test]
async fn pushes_that_must_not_deploy_create_nothing_and_duplicates_create_one() {
    let app = TestApp::spawn().await;
    let (repo, shas) = repository(10);
    app.github.add_repo(repo);
    install_link_and_connect(&app).await;

    let skipped = [
        ("skip-ci", push(&shas[0], "docs: typo [skip ci]", "main")),
        ("skip-deploy", push(&shas[0], "wip\n\n[skip deploy]", "main")),
        ("other-branch", push(&shas[0], "feature", "feature/x")),
        ("deleted", payloads::branch_deletion(REPOSITORY, INSTALLATION, "main")),
    ];
    for (delivery, payload) in &skipped {
        let (status, body) = deliver(&app, "push", delivery, payload).await;
        assert!(deployments_of(&body).is_empty(), "{delivery}: {body}");
        assert!(status == StatusCode::ACCEPTED || status == StatusCode::OK, "{delivery}: {status}");
    }
    let mut tag = push(&shas[0], "release", "main");
    tag["ref"] = json!("refs/tags/v1.0.0");
    let (status, body) = deliver(&app, "push", "tag", &tag).await;
    assert_eq!((status, body["result"].as_str()), (StatusCode::ACCEPTED, Some("ignored")));
    assert_eq!(deployment_count(&app).await, 0, "no push above may create a deployment");

    // Ten pushes in a burst: ten deployments, each at its own commit.
    let burst = futures::future::join_all((1..=10).map(|i| {
        let payload = push(&shas[i], &format!("change {i}"), "main");
        let app = &app;
        async move { deliver(app, "push", &format!("burst-{i}"), &payload).await }
    }))
    .await;
    let mut ids: Vec<String> = burst.iter().flat_map(|(_, body)| deployments_of(body)).collect();
    assert_eq!(ids.len(), 10, "{burst:?}");

    // A duplicate delivery (GitHub's redelivery of burst-3) creates nothing more.
    let (status, body) =
        deliver(&app, "push", "burst-3", &push(&shas[3], "change 3", "main")).await;
    assert_eq!((status, body["result"].as_str()), (StatusCode::OK, Some("duplicate")), "{body}");
    assert_eq!(deployments_of(&body), deployments_of(&burst[2].1));
    assert_eq!(deployment_count(&app).await, 10);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 10);
    let deadline = Instant::now() + Duration::from_secs(5);
    while app.depth(&app.stack.queue_url).await.0 < 10 {
        assert!(Instant::now() < deadline, "ten jobs were not queued");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
