//! "CodeBuild Build State Change" events from EventBridge: parsed with `aws_lambda_events`'
//! CodeBuild types into a [`BuildReport`] and recorded by [`outcome::record`]. The Lambda
//! handler and the local event feed ([`crate::event_feed`]) call the same [`handle`].

use aws_lambda_events::event::codebuild::{CodeBuildEvent, CodeBuildPhase};
use serde_json::Value;
use whaleray_shared::error::StoreError;
use whaleray_shared::ports::DeploymentStore;
use whaleray_shared::{BuildLogs, BuildState};

use crate::outcome::{self, Recorded};
use crate::ports::{BuildReport, ReleaseCredentials, build_id_of};

/// The event's `detail-type`.
pub const DETAIL_TYPE: &str = "CodeBuild Build State Change";

/// A build state-change event that could not be handled.
#[derive(Debug, thiserror::Error)]
pub enum BuildEventError {
    /// Not the documented shape.
    #[error("malformed CodeBuild state-change event: {0}")]
    Malformed(#[from] serde_json::Error),
    /// A build status CodeBuild does not document.
    #[error("unknown build status {0:?} in a CodeBuild state-change event")]
    UnknownStatus(String),
    /// The deployments table failed (retryable or not, as the store says).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Whether `event` is a CodeBuild build state change (as the EventBridge rule sends).
pub fn is_build_state_change(event: &Value) -> bool {
    event.get("detail-type").and_then(Value::as_str) == Some(DETAIL_TYPE)
        && event.get("source").and_then(Value::as_str) == Some("aws.codebuild")
}

/// Parses one event into a report.
pub fn parse(event: Value) -> Result<BuildReport, BuildEventError> {
    let event: CodeBuildEvent = serde_json::from_value(event)?;
    let detail = event.detail;
    let status = detail.build_status.unwrap_or_default();
    let state = BuildState::parse(&status).ok_or(BuildEventError::UnknownStatus(status))?;
    let info = detail.additional_information;
    let deployment = info
        .environment
        .environment_variables
        .iter()
        .find(|v| v.name.as_deref() == Some("WHALERAY_DEPLOYMENT_ID"))
        .and_then(|v| v.value.as_deref()?.parse().ok());
    let failed =
        info.phases.iter().find(|p| p.phase_status.as_deref().is_some_and(|s| s != "SUCCEEDED"));
    let logs = match (info.logs.group_name, info.logs.stream_name) {
        (Some(group), Some(stream)) => Some(BuildLogs { group, stream, link: info.logs.deep_link }),
        _ => None,
    };
    let build_id =
        detail.build_id.or_else(|| event.resources.into_iter().next()).unwrap_or_default();
    Ok(BuildReport {
        build_id: build_id_of(&build_id).to_owned(),
        deployment,
        state,
        failed_phase: failed.map(|p| p.phase_type.clone()),
        phase_message: failed.and_then(context_message),
        logs,
    })
}

/// The first non-empty phase context: a string (`"CODE: message"`) or `{message}` object.
fn context_message(phase: &CodeBuildPhase) -> Option<String> {
    phase.phase_context.iter().flatten().find_map(|c| {
        let text = c.as_str().or_else(|| c.get("message").and_then(Value::as_str))?;
        (!text.trim().is_empty()).then(|| text.to_owned())
    })
}

/// Handles one event: parse, then record (which deletes an ended build's clone token from
/// `credentials`). Unknown builds and settled deployments are acknowledged (`Ok`) and change
/// no status.
pub async fn handle(
    store: &dyn DeploymentStore,
    credentials: &dyn ReleaseCredentials,
    event: Value,
) -> Result<Recorded, BuildEventError> {
    let report = parse(event)?;
    let recorded = outcome::record(store, credentials, &report).await?;
    tracing::info!(build_id = %report.build_id, state = report.state.as_str(), ?recorded, "build state change");
    Ok(recorded)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sample event of CodeBuild's build notifications reference, as `aws_lambda_events`
    /// ships it, with a failed BUILD phase and our variable.
    fn sample() -> Value {
        serde_json::json!({
            "version": "0", "id": "c030038d", "detail-type": "CodeBuild Build State Change",
            "source": "aws.codebuild", "account": "123456789012", "time": "2017-09-01T16:14:28Z",
            "region": "us-west-2",
            "resources": ["arn:aws:codebuild:us-west-2:123456789012:build/p:8745a7a9"],
            "detail": {
                "build-status": "FAILED", "project-name": "p",
                "build-id": "arn:aws:codebuild:us-west-2:123456789012:build/p:8745a7a9",
                "additional-information": {
                    "artifact": {"location": ""},
                    "environment": {
                        "image": "aws/codebuild/standard:7.0", "privileged-mode": false,
                        "compute-type": "BUILD_GENERAL1_SMALL", "type": "LINUX_CONTAINER",
                        "environment-variables": [
                            {"name": "WHALERAY_DEPLOYMENT_ID", "type": "PLAINTEXT", "value": "01JD0000000000000000000000"}
                        ]
                    },
                    "timeout-in-minutes": 60, "build-complete": true, "initiator": "me",
                    "build-start-time": "Sep 1, 2017 4:12:29 PM",
                    "source": {"type": "NO_SOURCE"},
                    "logs": {"group-name": "/aws/codebuild/p", "stream-name": "8745a7a9", "deep-link": "https://console"},
                    "phases": [
                        {"phase-context": [], "start-time": "Sep 1, 2017 4:12:29 PM", "end-time": "Sep 1, 2017 4:12:29 PM",
                         "duration-in-seconds": 0, "phase-type": "SUBMITTED", "phase-status": "SUCCEEDED"},
                        {"phase-context": ["COMMAND_EXECUTION_ERROR: Error while executing command: npm run build. Reason: exit status 1"],
                         "start-time": "Sep 1, 2017 4:13:10 PM", "end-time": "Sep 1, 2017 4:14:21 PM",
                         "duration-in-seconds": 70, "phase-type": "BUILD", "phase-status": "FAILED"},
                        {"start-time": "Sep 1, 2017 4:14:26 PM", "phase-type": "COMPLETED"}
                    ]
                },
                "current-phase": "COMPLETED", "current-phase-context": "[]", "version": "1"
            }
        })
    }

    #[test]
    fn the_documented_event_becomes_a_report_of_its_deployment() {
        assert!(is_build_state_change(&sample()));
        let report = parse(sample()).unwrap();
        assert_eq!(report.build_id, "p:8745a7a9");
        assert_eq!(report.deployment.unwrap().to_string(), "01JD0000000000000000000000");
        assert_eq!(report.state, BuildState::Failed);
        assert_eq!(report.failed_phase.as_deref(), Some("BUILD"));
        assert!(report.phase_message.unwrap().contains("exit status 1"));
        assert_eq!(report.logs.unwrap().stream, "8745a7a9");
    }

    #[test]
    fn other_events_and_bad_shapes_are_told_apart() {
        let mut other = sample();
        other["detail-type"] = "CodeBuild Build Phase Change".into();
        assert!(!is_build_state_change(&other));
        let mut unknown = sample();
        unknown["detail"]["build-status"] = "EXPLODED".into();
        assert!(matches!(parse(unknown), Err(BuildEventError::UnknownStatus(_))));
        let mut broken = sample();
        broken["detail"]["additional-information"] = Value::Null;
        assert!(matches!(parse(broken), Err(BuildEventError::Malformed(_))));
    }
}
