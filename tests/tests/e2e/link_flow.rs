//! Linking through the router into the emulator's `whaleray-installations` table: the OAuth
//! code is the only input, the caller's links become exactly what the fake GitHub lists for the
//! user, the user token is stored nowhere, and deployments follow the links.

use http::{Method, StatusCode};
use serde_json::{Value, json};
use whaleray_tests::github::FakeInstallation;

use crate::helpers::{TestApp, USER};

fn installation(id: u64, login: &str) -> FakeInstallation {
    FakeInstallation {
        id,
        account_id: id + 1,
        account_login: login.to_owned(),
        repositories: None,
        suspended: false,
    }
}

fn ids(body: &Value) -> Vec<u64> {
    body["installations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["installationId"].as_u64().unwrap())
        .collect()
}

/// Every attribute value of every item of `table`, as text.
async fn table_text(app: &TestApp, table: &str) -> String {
    let output = app.emulator.dynamo.scan().table_name(table).send().await.unwrap();
    let mut items: Vec<String> = output
        .items
        .unwrap_or_default()
        .into_iter()
        .map(|item| format!("{:?}", item.into_iter().collect::<std::collections::BTreeMap<_, _>>()))
        .collect();
    items.sort();
    items.join("\n")
}

#[tokio::test]
async fn a_code_links_exactly_what_github_lists_and_deployments_follow() {
    let app = TestApp::spawn().await;
    app.github.grant_user("alice-gh", installation(555, "globex"));
    app.github.grant_user("alice-gh", installation(556, "initech"));
    app.github.grant_user("mallory-gh", installation(999, "acme-secret"));

    let code = app.github.authorize("alice-gh");
    let link = json!({ "code": code });
    let (status, body) =
        app.call(Method::POST, "/github/installations", Some(USER), Some(link.clone())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The seeded link to `acme` is gone: GitHub no longer lists it for this user.
    assert_eq!(ids(&body), [555, 556]);
    assert_eq!(body["installations"][0]["accountLogin"], "globex");
    assert_eq!(body["installations"][0]["reported"], false);

    let (status, listed) = app.call(Method::GET, "/github/installations", Some(USER), None).await;
    assert_eq!((status, ids(&listed)), (StatusCode::OK, vec![555, 556]));
    let (_, others) = app.call(Method::GET, "/github/installations", Some("bob"), None).await;
    assert_eq!(ids(&others), Vec::<u64>::new());

    let stored = table_text(&app, &app.stack.installations_table).await;
    for token in app.github.user_tokens() {
        assert!(!stored.contains(&token), "the user token was stored");
    }
    assert!(!stored.contains("ghu_"));

    // The code was single-use.
    let (status, body) =
        app.call(Method::POST, "/github/installations", Some(USER), Some(link)).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_code")));

    let deploy = |repo: &str| json!({ "repository": repo });
    let (status, _) =
        app.call(Method::POST, "/deployments", Some(USER), Some(deploy("globex/web"))).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (status, body) =
        app.call(Method::POST, "/deployments", Some(USER), Some(deploy("acme/web"))).await;
    assert_eq!(body["code"], "repository_not_installed", "{status} {body}");

    let (status, _) = app.call(Method::DELETE, "/github/installations/555", Some(USER), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) =
        app.call(Method::DELETE, "/github/installations/555", Some(USER), None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("installation_not_found"))
    );
    let (status, body) =
        app.call(Method::POST, "/deployments", Some(USER), Some(deploy("globex/web"))).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("repository_not_installed"))
    );
}

#[tokio::test]
async fn bad_codes_and_ids_get_typed_errors_and_change_nothing() {
    let app = TestApp::spawn().await;
    let before = table_text(&app, &app.stack.installations_table).await;
    for (body, code) in [
        (json!({ "code": "" }), "invalid_code"),
        (json!({ "code": "has spaces" }), "invalid_code"),
        (json!({ "code": "unknown0000000000000" }), "invalid_code"),
        (json!({ "nope": 1 }), "invalid_request"),
    ] {
        let (status, answer) =
            app.call(Method::POST, "/github/installations", Some(USER), Some(body)).await;
        assert_eq!((status, answer["code"].as_str()), (StatusCode::BAD_REQUEST, Some(code)));
    }
    let (status, answer) =
        app.call(Method::DELETE, "/github/installations/x", Some(USER), None).await;
    assert_eq!(answer["code"], "invalid_installation_id", "{status}");
    let (status, _) = app.call(Method::GET, "/github/installations", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(table_text(&app, &app.stack.installations_table).await, before);
}
