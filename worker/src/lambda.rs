//! What the Lambda function receives: SQS batches from the event source mapping, the
//! scheduled `{"whaleray": "sweep"}` event that runs the stall sweep and build
//! reconciliation, and EventBridge's "CodeBuild Build State Change" events.
//!
//! [`LambdaWorker`] holds what every invocation shares; [`LambdaWorker::handle_event`] looks at
//! the event's shape and hands it to the matching handler. Another event kind is one more
//! field (if it needs one) and one more branch there.

use std::sync::Arc;

use serde_json::Value;
use whaleray_shared::ports::JobQueue;

use crate::batch::{BatchOptions, handle_batch};
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

/// What the function's invocations share, built once at start-up.
#[derive(Clone)]
pub struct LambdaWorker {
    /// The job's ports and policy.
    pub deps: Deps,
    /// The job queue, for the sweep's re-queues.
    pub queue: Arc<dyn JobQueue>,
    /// The retry schedule of the job queue.
    pub retries: Retries,
    /// How the scheduled sweep behaves (its build reconciliation threshold from config).
    pub sweep: SweepOptions,
}

/// One invocation's context, as far as the handlers need it.
#[derive(Debug, Clone, Copy)]
pub struct Invocation {
    /// When Lambda stops the invocation, in milliseconds since the Unix epoch
    /// (`lambda_runtime::Context::deadline`).
    pub deadline_ms: u64,
}

impl LambdaWorker {
    /// Dispatches one Lambda event and returns the response payload.
    pub async fn handle_event(
        &self,
        event: Value,
        invocation: Invocation,
    ) -> Result<Value, EventError> {
        if event.get("Records").is_some() {
            let batch = serde_json::from_value(event).map_err(EventError::Malformed)?;
            let options = BatchOptions {
                retries: Some(&self.retries),
                ..BatchOptions::for_invocation(invocation.deadline_ms, &self.deps)
            };
            let response = handle_batch(&self.deps, batch, options).await;
            return serde_json::to_value(response).map_err(EventError::Malformed);
        }
        if build_events::is_build_state_change(&event) {
            let recorded = build_events::handle(
                self.deps.store.as_ref(),
                self.deps.credentials.as_ref(),
                event,
            )
            .await?;
            return Ok(serde_json::json!({ "recorded": format!("{recorded:?}") }));
        }
        if event.get("whaleray").and_then(Value::as_str) == Some("sweep") {
            let builds = crate::sweep::Builds::of(&self.deps);
            let report =
                sweep(self.deps.store.as_ref(), self.queue.as_ref(), builds, self.sweep).await;
            return serde_json::to_value(report).map_err(EventError::Malformed);
        }
        Err(EventError::Unrecognised)
    }
}

impl From<EventError> for lambda_runtime::Diagnostic {
    fn from(error: EventError) -> Self {
        let retryable = matches!(&error, EventError::BuildEvent(BuildEventError::Store(e))
            if e.class() == whaleray_shared::ErrorClass::Retryable);
        let error_type = if retryable { "Retryable" } else { "NonRetryable" };
        Self { error_type: error_type.to_owned(), error_message: error.to_string() }
    }
}
