//! Signed webhook deliveries through the router into the emulator's DynamoDB tables: the
//! installation lifecycle, redelivery, and forged deliveries that must leave both tables empty.

use axum::body::Body;
use http::{Request, StatusCode};
use secrecy::SecretString;
use serde_json::{Value, json};
use whaleray_api::github::signature::sign;
use whaleray_shared::InstallationId;
use whaleray_shared::domain::RepositorySelection;
use whaleray_shared::dynamo::DynamoAppInstallations;
use whaleray_shared::ports::AppInstallations;

use crate::helpers::{TestApp, WEBHOOK_SECRET};

async fn deliver(
    app: &TestApp,
    event: &str,
    delivery: &str,
    payload: &Value,
    secret: &str,
) -> (StatusCode, Value) {
    let body = payload.to_string();
    let request = Request::post("/github/webhook")
        .header("content-type", "application/json")
        .header("x-github-event", event)
        .header("x-github-delivery", delivery)
        .header("x-hub-signature-256", sign(&SecretString::from(secret), body.as_bytes()))
        .body(Body::from(body))
        .unwrap();
    let (status, _, body) = app.send(request).await;
    (status, body)
}

async fn item_count(app: &TestApp, table: &str) -> usize {
    let output = app.emulator.dynamo.scan().table_name(table).send().await.unwrap();
    output.items.unwrap_or_default().len()
}

fn installation(selection: &str) -> Value {
    json!({"id": 8800, "account": {"id": 31, "login": "octo-org", "type": "Organization"},
           "repository_selection": selection, "suspended_at": null, "app_id": 1})
}

#[tokio::test]
async fn installation_events_are_recorded_once_in_dynamodb() {
    let app = TestApp::spawn().await;
    let store = DynamoAppInstallations::new(
        app.emulator.dynamo.clone(),
        &app.stack.app_installations_table,
    );
    let id = InstallationId::new(8800).unwrap();
    let created = json!({"action": "created", "installation": installation("selected"),
        "repositories": [{"id": 1, "name": "Web", "full_name": "octo-org/Web"}]});
    let (status, body) = deliver(&app, "installation", "g-1", &created, WEBHOOK_SECRET).await;
    assert_eq!((status, body["result"].as_str()), (StatusCode::OK, Some("processed")), "{body}");
    let record = store.get(id).await.unwrap().unwrap();
    assert_eq!((record.account_id, record.account_login.as_str()), (31, "octo-org"));
    assert_eq!(record.repositories, RepositorySelection::selected(["web"]));

    let added = json!({"action": "added", "installation": installation("selected"),
        "repository_selection": "selected", "repositories_added": [{"name": "api"}], "repositories_removed": []});
    deliver(&app, "installation_repositories", "g-2", &added, WEBHOOK_SECRET).await;
    let removed = json!({"action": "removed", "installation": installation("selected"),
        "repository_selection": "selected", "repositories_added": [], "repositories_removed": [{"name": "web"}]});
    deliver(&app, "installation_repositories", "g-3", &removed, WEBHOOK_SECRET).await;
    assert_eq!(
        store.get(id).await.unwrap().unwrap().repositories,
        RepositorySelection::selected(["api"])
    );

    // A redelivery of g-3 after re-adding web must not remove it again.
    let readd = json!({"action": "added", "installation": installation("selected"),
        "repository_selection": "selected", "repositories_added": [{"name": "web"}], "repositories_removed": []});
    deliver(&app, "installation_repositories", "g-4", &readd, WEBHOOK_SECRET).await;
    let (status, body) =
        deliver(&app, "installation_repositories", "g-3", &removed, WEBHOOK_SECRET).await;
    assert_eq!((status, body["result"].as_str()), (StatusCode::OK, Some("duplicate")));
    assert_eq!(
        store.get(id).await.unwrap().unwrap().repositories,
        RepositorySelection::selected(["api", "web"])
    );

    let suspend = json!({"action": "suspend", "installation": installation("selected")});
    deliver(&app, "installation", "g-5", &suspend, WEBHOOK_SECRET).await;
    assert!(store.get(id).await.unwrap().unwrap().suspended);

    let renamed = json!({"action": "renamed", "account": {"id": 31, "login": "octo-inc"},
        "changes": {"login": {"from": "octo-org"}}, "installation": {"id": 8800}, "target_type": "Organization"});
    deliver(&app, "installation_target", "g-6", &renamed, WEBHOOK_SECRET).await;
    let all = json!({"action": "new_permissions_accepted", "installation": installation("all")});
    deliver(&app, "installation", "g-7", &all, WEBHOOK_SECRET).await;
    let record = store.get(id).await.unwrap().unwrap();
    assert_eq!(record.account_login, "octo-org", "new_permissions_accepted carries the login");
    assert_eq!(record.repositories, RepositorySelection::All);

    let deleted = json!({"action": "deleted", "installation": installation("all")});
    deliver(&app, "installation", "g-8", &deleted, WEBHOOK_SECRET).await;
    let before = store.get(id).await.unwrap().unwrap();
    assert!(before.deleted);
    let unsuspend = json!({"action": "suspend", "installation": installation("all")});
    let (status, body) = deliver(&app, "installation", "g-9", &unsuspend, WEBHOOK_SECRET).await;
    assert_eq!((status, body["result"].as_str()), (StatusCode::OK, Some("stale")));
    assert_eq!(store.get(id).await.unwrap().unwrap(), before, "a deleted record does not change");
    assert_eq!(item_count(&app, &app.stack.deliveries_table).await, 9);
}

#[tokio::test]
async fn forged_and_malformed_deliveries_leave_both_tables_empty() {
    let app = TestApp::spawn().await;
    let created = json!({"action": "created", "installation": installation("all")});
    let (status, body) = deliver(&app, "installation", "f-1", &created, "not-the-secret").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_signature"))
    );

    let body = created.to_string();
    let request = Request::post("/github/webhook")
        .header("x-github-event", "installation")
        .header("x-github-delivery", "f-2")
        .header("x-hub-signature", "sha1=0000000000000000000000000000000000000000")
        .body(Body::from(body))
        .unwrap();
    let (status, _, body) = app.send(request).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_signature"))
    );

    let (status, body) =
        deliver(&app, "installation", "f-3", &json!({"action": "created"}), WEBHOOK_SECRET).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_payload")));

    let (status, body) =
        deliver(&app, "star", "f-4", &json!({"action": "created"}), WEBHOOK_SECRET).await;
    assert_eq!((status, body["result"].as_str()), (StatusCode::ACCEPTED, Some("ignored")));

    assert_eq!(item_count(&app, &app.stack.app_installations_table).await, 0);
    assert_eq!(item_count(&app, &app.stack.deliveries_table).await, 0);
}
