//! `/projects` against DynamoDB in the emulator: the transactional identity guard, the owner
//! conditions, and both indexes.

use std::time::{Duration, Instant};

use http::{Method, StatusCode};
use serde_json::json;
use whaleray_shared::domain::Project;
use whaleray_shared::dynamo::DynamoProjects;
use whaleray_shared::ports::{ProjectCreate, ProjectStore};
use whaleray_shared::{GitRef, RepoFullName, RootDirectory, UserId};
use whaleray_tests::emulator::Emulator;

use crate::helpers::{TestApp, USER};

async fn projects_table() -> DynamoProjects {
    let emulator = Emulator::connect().await.expect("emulator");
    let name = format!("projects-{}", ulid::Ulid::new().to_string().to_ascii_lowercase());
    emulator.create_projects_table(&name).await.expect("projects table");
    DynamoProjects::new(emulator.dynamo.clone(), name)
}

fn project(user: &str, repository: &str, root: &str) -> Project {
    Project::new(
        UserId::parse(user).unwrap(),
        RepoFullName::parse(repository).unwrap(),
        RootDirectory::parse(root).unwrap(),
        None,
    )
}

#[tokio::test]
async fn the_dynamo_adapter_keeps_one_project_per_identity_and_checks_the_owner() {
    let table = projects_table().await;
    let first = project("alice", "acme/web", ".");
    assert_eq!(table.create(&first).await.unwrap(), ProjectCreate::Created);
    let twin = project("alice", "ACME/web", "./");
    assert_eq!(table.create(&twin).await.unwrap(), ProjectCreate::Exists(first.id));
    assert!(table.get(twin.id).await.unwrap().is_none(), "the losing create wrote nothing");
    let other = project("bob", "acme/web", ".");
    assert_eq!(table.create(&other).await.unwrap(), ProjectCreate::Created);

    let read = table.get(first.id).await.unwrap().unwrap();
    assert_eq!((read.id, read.repository.as_ref()), (first.id, "acme/web"));

    let bob = UserId::parse("bob").unwrap();
    let alice = UserId::parse("alice").unwrap();
    let release = GitRef::parse("release").unwrap();
    assert!(table.set_production_branch(first.id, &bob, Some(&release)).await.unwrap().is_none());
    assert!(!table.delete(first.id, &bob).await.unwrap());
    let patched = table.set_production_branch(first.id, &alice, Some(&release)).await.unwrap();
    assert_eq!(patched.unwrap().production_branch, Some(release));
    let cleared = table.set_production_branch(first.id, &alice, None).await.unwrap().unwrap();
    assert_eq!(cleared.production_branch, None);

    // The indexes are eventually consistent: poll with a deadline.
    let repository = RepoFullName::parse("Acme/Web").unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let found = table.for_repository(&repository).await.unwrap();
        let mine = table.list_for_user(&alice).await.unwrap();
        if found.len() == 2 && mine.len() == 1 {
            assert_eq!(mine[0].id, first.id);
            break;
        }
        assert!(Instant::now() < deadline, "indexes show {found:?} and {mine:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    assert!(table.delete(first.id, &alice).await.unwrap());
    assert!(table.get(first.id).await.unwrap().is_none());
    assert!(!table.delete(first.id, &alice).await.unwrap(), "a second delete finds nothing");
    let again = project("alice", "acme/web", ".");
    assert_eq!(table.create(&again).await.unwrap(), ProjectCreate::Created);
}

#[tokio::test]
async fn concurrent_creates_of_one_identity_store_exactly_one() {
    let table = projects_table().await;
    let attempts: Vec<_> = (0..8).map(|_| project("alice", "acme/web", "apps/site")).collect();
    let results = futures::future::join_all(attempts.iter().map(|p| table.create(p))).await;
    let created: Vec<_> = attempts
        .iter()
        .zip(&results)
        .filter(|(_, r)| matches!(r, Ok(ProjectCreate::Created)))
        .map(|(p, _)| p.id)
        .collect();
    assert_eq!(created.len(), 1, "{results:?}");
    for result in &results {
        match result {
            Ok(ProjectCreate::Created) => {}
            Ok(ProjectCreate::Exists(id)) => assert_eq!(*id, created[0]),
            // A transaction cancelled by a concurrent one is reported retryable, not lost.
            Err(e) => assert_eq!(e.class(), whaleray_shared::ErrorClass::Retryable, "{e:?}"),
        }
    }
}

#[tokio::test]
async fn projects_over_http_are_created_behind_the_installation_gate() {
    let app = TestApp::spawn().await;
    let (status, body) = app
        .call(Method::POST, "/projects", Some(USER), Some(json!({"repository": "acme/site"})))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["projectId"].as_str().unwrap().to_owned();
    let (status, again) = app
        .call(Method::POST, "/projects", Some(USER), Some(json!({"repository": "acme/site"})))
        .await;
    assert_eq!((status, again["code"].as_str()), (StatusCode::CONFLICT, Some("project_exists")));
    assert_eq!(again["projectId"], id.as_str());
    let (status, refused) = app
        .call(Method::POST, "/projects", Some(USER), Some(json!({"repository": "other/site"})))
        .await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("repository_not_installed"))
    );
    let (status, read) =
        app.call(Method::GET, &format!("/projects/{id}"), Some("someone-else"), None).await;
    assert_eq!((status, read["code"].as_str()), (StatusCode::NOT_FOUND, Some("project_not_found")));
}
