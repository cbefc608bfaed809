//! What the Lambda function receives: SQS batches from the event source mapping, the
//! scheduled `{"whaleray": "sweep"}` event that runs the stall sweep and build
//! reconciliation, and EventBridge's "CodeBuild Build State Change" events.

use serde_json::Value;
use whaleray_shared::ports::JobQueue;

use crate::batch::handle_batch;
use crate::build_events::{self, BuildEventError};
use crate::deps::Deps;
use crate::sweep::{SweepOptions, sweep};
use crate::visibility::Retries;

/// An event this function does not handle.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    /// Neither an SQS batch nor a known command.
    #[error(
        "unrecognised event: expected an SQS batch, a CodeBuild Build State Change or {{\"whaleray\": \"sweep\"}}"
    )]
    Unrecognised,
    /// A build state change that could not be recorded (EventBridge retries the invocation).
    #[error(transparent)]
    BuildEvent(#[from] BuildEventError),
    /// Looked like an SQS batch but did not parse.
    #[error("malformed SQS event: {0}")]
    Malformed(#[source] serde_json::Error),
}

/// Dispatches one Lambda event and returns the response payload.
pub async fn handle_event(
    deps: &Deps,
    queue: &dyn JobQueue,
    retries: &Retries,
    sweep_options: SweepOptions,
    event: Value,
) -> Result<Value, EventError> {
    if event.get("Records").is_some() {
        let batch = serde_json::from_value(event).map_err(EventError::Malformed)?;
        let response = handle_batch(deps, batch, Some(retries)).await;
        return serde_json::to_value(response).map_err(EventError::Malformed);
    }
    if build_events::is_build_state_change(&event) {
        let recorded = build_events::handle(deps.store.as_ref(), event).await?;
        return Ok(serde_json::json!({ "recorded": format!("{recorded:?}") }));
    }
    if event.get("whaleray").and_then(Value::as_str) == Some("sweep") {
        let tracker = deps.tracker.as_ref();
        let report = sweep(deps.store.as_ref(), queue, tracker, sweep_options).await;
        return serde_json::to_value(report).map_err(EventError::Malformed);
    }
    Err(EventError::Unrecognised)
}

impl From<EventError> for lambda_runtime::Diagnostic {
    fn from(error: EventError) -> Self {
        let retryable = matches!(&error, EventError::BuildEvent(BuildEventError::Store(e))
            if e.class() == whaleray_shared::ErrorClass::Retryable);
        let error_type = if retryable { "Retryable" } else { "NonRetryable" };
        Self { error_type: error_type.to_owned(), error_message: error.to_string() }
    }
}
