//! What the Lambda function receives: SQS batches from the event source mapping, and the
//! scheduled `{"whaleray": "sweep"}` event that runs the stall sweep.

use serde_json::Value;
use whaleray_shared::ports::JobQueue;

use crate::batch::handle_batch;
use crate::deps::Deps;
use crate::sweep::{SweepOptions, sweep};
use crate::visibility::Retries;

/// An event this function does not handle.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    /// Neither an SQS batch nor a known command.
    #[error("unrecognised event: expected an SQS batch or {{\"whaleray\": \"sweep\"}}")]
    Unrecognised,
    /// Looked like an SQS batch but did not parse.
    #[error("malformed SQS event: {0}")]
    Malformed(#[source] serde_json::Error),
}

/// Dispatches one Lambda event and returns the response payload.
pub async fn handle_event(
    deps: &Deps,
    queue: &dyn JobQueue,
    retries: &Retries,
    event: Value,
) -> Result<Value, EventError> {
    if event.get("Records").is_some() {
        let batch = serde_json::from_value(event).map_err(EventError::Malformed)?;
        let response = handle_batch(deps, batch, Some(retries)).await;
        return serde_json::to_value(response).map_err(EventError::Malformed);
    }
    if event.get("whaleray").and_then(Value::as_str) == Some("sweep") {
        let report = sweep(deps.store.as_ref(), queue, SweepOptions::default()).await;
        return serde_json::to_value(report).map_err(EventError::Malformed);
    }
    Err(EventError::Unrecognised)
}

impl From<EventError> for lambda_runtime::Diagnostic {
    fn from(error: EventError) -> Self {
        Self { error_type: "NonRetryable".to_owned(), error_message: error.to_string() }
    }
}
