//! Every JSON log line of a job carries the deployment id, the SQS message id and the attempt.
//! A binary of its own: it installs the process-wide subscriber.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use whaleray_shared::telemetry::{LogFormat, init_with_writer};
use whaleray_shared::testing::CapturedLogs;
use whaleray_worker::message::{Disposition, handle};

#[tokio::test]
async fn every_json_line_of_a_job_names_its_deployment_message_and_attempt() {
    let captured = CapturedLogs::default();
    let writer = captured.clone();
    init_with_writer(LogFormat::Json, move || writer.clone());

    // One failed attempt (a 502, logged as a retry), then a successful one.
    let w = common::world(1, false).await;
    let body = w.job.to_json().unwrap();
    assert!(matches!(handle(&w.deps, "msg-1", &body, 1).await, Disposition::Retry { .. }));
    assert!(matches!(handle(&w.deps, "msg-1", &body, 2).await, Disposition::Done(_)));

    let text = captured.text();
    let lines: Vec<serde_json::Value> =
        text.lines().map(|l| serde_json::from_str(l).expect("every line is JSON")).collect();
    assert!(lines.len() >= 2, "{text}");
    let deployment = w.job.deployment_id.to_string();
    for line in &lines {
        let job = line["spans"]
            .as_array()
            .and_then(|spans| spans.iter().find(|s| s["name"] == "job"))
            .unwrap_or_else(|| panic!("a line outside the job span: {line}"));
        assert_eq!(job["deployment_id"], deployment.as_str(), "{line}");
        assert_eq!(job["message_id"], "msg-1", "{line}");
        assert!(job["attempt"].as_u64().is_some_and(|a| a == 1 || a == 2), "{line}");
    }
    let finished = lines.iter().find(|l| l["message"] == "job finished").expect("a finished line");
    assert_eq!(finished["span"]["attempt"], 2, "{finished}");
}
