//! The fake against the real SDK client: each documented behaviour it claims to enforce.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use aws_sdk_codebuild::Client;
use aws_sdk_codebuild::types::{
    ArtifactsType, ComputeType, EnvironmentType, EnvironmentVariable, ProjectArtifacts,
    ProjectEnvironment, ProjectSource, SortOrderType, SourceType,
};

use super::{FakeCodeBuild, Verdict};

async fn project(fake: &FakeCodeBuild) -> (Client, String) {
    let client = fake.client().await;
    let name = format!("p-{}", ulid::Ulid::new().to_string().to_ascii_lowercase());
    client
        .create_project()
        .name(&name)
        .source(
            ProjectSource::builder()
                .r#type(SourceType::NoSource)
                .buildspec("version: 0.2\nphases:\n  build:\n    commands: [\"true\"]\n")
                .build()
                .unwrap(),
        )
        .artifacts(ProjectArtifacts::builder().r#type(ArtifactsType::NoArtifacts).build().unwrap())
        .environment(
            ProjectEnvironment::builder()
                .r#type(EnvironmentType::LinuxContainer)
                .image("aws/codebuild/standard:7.0")
                .compute_type(ComputeType::BuildGeneral1Small)
                .build()
                .unwrap(),
        )
        .service_role("arn:aws:iam::123456789012:role/r")
        .send()
        .await
        .unwrap();
    (client, name)
}

fn variable(name: &str, value: &str) -> EnvironmentVariable {
    EnvironmentVariable::builder().name(name).value(value).build().unwrap()
}

async fn start(
    client: &Client,
    project: &str,
    token: &str,
    version: &str,
) -> Result<String, String> {
    client
        .start_build()
        .project_name(project)
        .idempotency_token(token)
        .buildspec_override("version: 0.2\n")
        .environment_variables_override(variable("WHALERAY_COMMIT_SHA", version))
        .send()
        .await
        .map(|o| o.build_value.unwrap().id.unwrap())
        .map_err(|e| format!("{:?}", aws_sdk_codebuild::error::DisplayErrorContext(e)))
}

async fn status_eventually(
    client: &Client,
    id: &str,
    wanted: &str,
) -> aws_sdk_codebuild::types::Build {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let builds = client.batch_get_builds().ids(id).send().await.unwrap();
        let build = builds.builds()[0].clone();
        let status = build.build_status().map(|s| s.as_str().to_owned()).unwrap_or_default();
        if status == wanted || Instant::now() > deadline {
            return build;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_token_is_idempotent_for_five_minutes_and_refuses_other_parameters() {
    let fake = FakeCodeBuild::start().await.unwrap();
    let (client, name) = project(&fake).await;
    let first = start(&client, &name, "dep-1", "a").await.unwrap();
    assert_eq!(start(&client, &name, "dep-1", "a").await.unwrap(), first);
    let mismatch = start(&client, &name, "dep-1", "b").await.unwrap_err();
    assert!(
        mismatch.contains("InvalidInputException") && mismatch.contains("mismatch"),
        "{mismatch}"
    );
    fake.advance(Duration::from_secs(301));
    let later = start(&client, &name, "dep-1", "a").await.unwrap();
    assert_ne!(later, first, "after 5 minutes the token starts a new build");
    assert_eq!(fake.build_ids(&name).len(), 2);
}

#[tokio::test]
async fn sort_order_fails_past_100_builds_and_pages_hold_100_newest_first() {
    let fake = FakeCodeBuild::start().await.unwrap();
    let (client, name) = project(&fake).await;
    for i in 0..101 {
        start(&client, &name, &format!("t-{i}"), "a").await.unwrap();
    }
    let sorted = client
        .list_builds_for_project()
        .project_name(&name)
        .sort_order(SortOrderType::Descending)
        .send()
        .await
        .unwrap_err();
    let text = format!("{:?}", aws_sdk_codebuild::error::DisplayErrorContext(sorted));
    assert!(text.contains("InvalidInputException"), "{text}");

    let page = client.list_builds_for_project().project_name(&name).send().await.unwrap();
    assert_eq!(page.ids().len(), 100);
    let all = fake.build_ids(&name);
    assert_eq!(page.ids()[0], all[100], "newest first");
    let next = client
        .list_builds_for_project()
        .project_name(&name)
        .set_next_token(page.next_token().map(str::to_owned))
        .send()
        .await
        .unwrap();
    assert_eq!(next.ids(), &all[..1]);
    assert!(next.next_token().is_none());
}

#[tokio::test]
async fn batch_get_builds_does_not_keep_the_order_asked() {
    let fake = FakeCodeBuild::start().await.unwrap();
    let (client, name) = project(&fake).await;
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(start(&client, &name, &format!("t-{i}"), "a").await.unwrap());
    }
    let answer =
        client.batch_get_builds().set_ids(Some(ids.clone())).ids("p:missing").send().await.unwrap();
    let got: Vec<String> =
        answer.builds().iter().filter_map(|b| b.id().map(str::to_owned)).collect();
    assert_ne!(got, ids);
    assert_eq!(got.len(), 3);
    assert_eq!(answer.builds_not_found(), ["p:missing"]);
}

#[tokio::test]
async fn builds_progress_and_end_as_their_verdict_says() {
    let fake = FakeCodeBuild::start().await.unwrap();
    let (client, name) = project(&fake).await;
    fake.set_verdict("broken", Verdict::Fail { phase: "BUILD", message: "exit 2".into() });
    fake.set_verdict("slow", Verdict::TimeOut);
    let ok = start(&client, &name, "ok", "fine").await.unwrap();
    let bad = start(&client, &name, "bad", "broken").await.unwrap();
    let slow = start(&client, &name, "slow", "slow").await.unwrap();

    let first = client.batch_get_builds().ids(&ok).send().await.unwrap();
    assert_eq!(first.builds()[0].build_status().unwrap().as_str(), "IN_PROGRESS");
    assert_eq!(
        status_eventually(&client, &ok, "SUCCEEDED").await.build_status().unwrap().as_str(),
        "SUCCEEDED"
    );
    let failed = status_eventually(&client, &bad, "FAILED").await;
    assert_eq!(failed.build_status().unwrap().as_str(), "FAILED");
    let phase = failed
        .phases()
        .iter()
        .find(|p| p.phase_status().is_some_and(|s| s.as_str() == "FAILED"))
        .unwrap();
    assert_eq!(phase.phase_type().unwrap().as_str(), "BUILD");
    assert!(failed.logs().and_then(|l| l.deep_link()).is_some_and(|l| l.contains("logEvent")));

    assert_eq!(fake.status(&slow), Some("IN_PROGRESS"));
    fake.advance(Duration::from_secs(61 * 60));
    assert_eq!(
        status_eventually(&client, &slow, "TIMED_OUT").await.build_status().unwrap().as_str(),
        "TIMED_OUT"
    );
}

#[tokio::test]
async fn stop_build_ends_a_running_build_stopped_and_refuses_a_finished_one() {
    let fake = FakeCodeBuild::start().await.unwrap();
    let (client, name) = project(&fake).await;
    fake.set_verdict("slow", Verdict::TimeOut);
    let id = start(&client, &name, "s", "slow").await.unwrap();
    client.stop_build().id(&id).send().await.unwrap();
    assert_eq!(
        status_eventually(&client, &id, "STOPPED").await.build_status().unwrap().as_str(),
        "STOPPED"
    );
    let again = client.stop_build().id(&id).send().await.unwrap_err();
    assert!(
        format!("{:?}", aws_sdk_codebuild::error::DisplayErrorContext(again))
            .contains("InvalidInputException")
    );
    let unknown = client.stop_build().id(format!("{name}:nope")).send().await.unwrap_err();
    assert!(
        format!("{:?}", aws_sdk_codebuild::error::DisplayErrorContext(unknown))
            .contains("ResourceNotFoundException")
    );
}

#[tokio::test]
async fn a_source_override_without_a_buildspec_and_a_private_github_source_fail_to_download() {
    let fake = FakeCodeBuild::start().await.unwrap();
    let (client, name) = project(&fake).await;
    fake.make_private("acme/secret");
    let override_only = client
        .start_build()
        .project_name(&name)
        .source_type_override(SourceType::Github)
        .source_location_override("https://github.com/acme/public.git")
        .send()
        .await
        .unwrap()
        .build_value
        .unwrap()
        .id
        .unwrap();
    let private = client
        .start_build()
        .project_name(&name)
        .source_type_override(SourceType::Github)
        .source_location_override("https://github.com/acme/secret.git")
        .buildspec_override("version: 0.2\n")
        .send()
        .await
        .unwrap()
        .build_value
        .unwrap()
        .id
        .unwrap();
    for id in [override_only, private] {
        let build = status_eventually(&client, &id, "FAILED").await;
        let failed = build
            .phases()
            .iter()
            .find(|p| p.phase_status().is_some_and(|s| s.as_str() == "FAILED"));
        assert_eq!(
            failed.and_then(|p| p.phase_type()).map(|p| p.as_str()),
            Some("DOWNLOAD_SOURCE")
        );
    }
}

#[tokio::test]
async fn each_status_change_is_an_event_and_faults_drop_repeat_and_reorder_them() {
    let options = super::FakeCodeBuildOptions {
        event_faults: super::EventFaults { duplicate_every: Some(2), ..Default::default() },
        ..Default::default()
    };
    let fake = FakeCodeBuild::start_on(([127, 0, 0, 1], 0).into(), options).await.unwrap();
    let (client, name) = project(&fake).await;
    let id = start(&client, &name, "e", "fine").await.unwrap();
    status_eventually(&client, &id, "SUCCEEDED").await;
    let events = fake.take_events();
    let statuses: Vec<&str> =
        events.iter().filter_map(|e| e["detail"]["build-status"].as_str()).collect();
    assert_eq!(statuses, vec!["IN_PROGRESS", "SUCCEEDED", "SUCCEEDED"], "the second event repeats");
    assert_eq!(events[0]["detail-type"], "CodeBuild Build State Change");
    assert_eq!(events[0]["source"], "aws.codebuild");
    assert!(events[1]["detail"]["build-id"].as_str().unwrap().starts_with("arn:aws:codebuild:"));
    assert_eq!(events[1]["detail"]["additional-information"]["build-complete"], true);
}
