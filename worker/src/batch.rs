//! The Lambda entry point's logic: an SQS batch in, the ids of the messages to retry out.
//!
//! The body of every record is parsed here, one at a time, so one bad message cannot fail the
//! batch; records run concurrently.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use futures::future::join_all;

use crate::deps::Deps;
use crate::message::{self, Disposition};
use crate::visibility::Retries;

/// Processes a batch and reports the failed message ids (partial batch failure). Messages
/// without an id cannot be reported, so they are logged and treated as done. With `retries`,
/// a failed message's next delivery is delayed as the poller delays it (backoff, or the wait
/// GitHub asked for) instead of coming back after the queue's visibility timeout.
pub async fn handle_batch(
    deps: &Deps,
    event: SqsEvent,
    retries: Option<&Retries>,
) -> SqsBatchResponse {
    let results =
        join_all(event.records.into_iter().map(|record| handle_record(deps, record, retries)))
            .await;
    let mut response = SqsBatchResponse::default();
    for failed_id in results.into_iter().flatten() {
        response.add_failure(failed_id);
    }
    response
}

async fn handle_record(
    deps: &Deps,
    record: SqsMessage,
    retries: Option<&Retries>,
) -> Option<String> {
    let Some(message_id) = record.message_id.filter(|id| !id.is_empty()) else {
        tracing::error!("SQS record without a message id; it cannot be reported as failed");
        return None;
    };
    let receive_count = receive_count(&record.attributes);
    let body = record.body.unwrap_or_default();
    let disposition = message::handle(deps, &message_id, &body, receive_count).await;
    if let Disposition::Done(_) = disposition {
        return None;
    }
    if let (Some(retries), Some(receipt)) = (retries, record.receipt_handle.as_deref()) {
        retries.schedule(&message_id, receipt, &disposition, receive_count).await;
    }
    Some(message_id)
}

/// The `ApproximateReceiveCount` attribute, 1 when absent or unreadable.
pub fn receive_count(attributes: &std::collections::HashMap<String, String>) -> u32 {
    attributes.get("ApproximateReceiveCount").and_then(|v| v.parse().ok()).unwrap_or(1)
}
