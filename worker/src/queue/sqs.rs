//! The SQS adapter of [`QueueConsumer`]: one queue URL, taken from the configuration.
//!
//! SQS refuses what the port documents (more than 10 messages, a wait over 20 s, a visibility
//! over 12 hours); its `ReceiptHandleIsInvalid` and `MessageNotInflight` errors become the
//! port's own variants, everything else keeps the SDK error and its class.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::error::ProvideErrorMetadata;
use aws_sdk_sqs::types::MessageSystemAttributeName;
use chrono::{DateTime, TimeZone, Utc};
use whaleray_shared::aws::{aws_error, long_poll_timeouts};

use crate::ports::{ConsumeError, QueueConsumer, Receive, ReceivedMessage};

/// One SQS queue, consumer side.
#[derive(Debug, Clone)]
pub struct SqsConsumer {
    client: Client,
    queue_url: String,
}

impl SqsConsumer {
    /// The queue at `queue_url` (from the configuration, never built here).
    pub fn new(client: Client, queue_url: impl Into<String>) -> Self {
        Self { client, queue_url: queue_url.into() }
    }

    /// The queue's URL.
    pub fn queue_url(&self) -> &str {
        &self.queue_url
    }
}

/// Whole seconds for an SQS timeout field, saturating.
fn seconds(duration: Duration) -> i32 {
    i32::try_from(duration.as_secs()).unwrap_or(i32::MAX)
}

/// The port's error for an SDK error: the two receipt errors by their code, the rest as is.
fn consume_error<E>(
    operation: &'static str,
    error: aws_sdk_sqs::error::SdkError<E, aws_sdk_sqs::config::http::HttpResponse>,
) -> ConsumeError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match error.as_service_error().and_then(ProvideErrorMetadata::code) {
        Some("ReceiptHandleIsInvalid" | "AWS.SimpleQueueService.ReceiptHandleIsInvalid") => {
            ConsumeError::ReceiptInvalid
        }
        Some("MessageNotInflight" | "AWS.SimpleQueueService.MessageNotInflight") => {
            ConsumeError::NotInFlight
        }
        _ => ConsumeError::Aws(aws_error(operation, error)),
    }
}

#[async_trait]
impl QueueConsumer for SqsConsumer {
    async fn receive(&self, request: Receive) -> Result<Vec<ReceivedMessage>, ConsumeError> {
        let output = self
            .client
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(i32::try_from(request.max).unwrap_or(i32::MAX))
            .wait_time_seconds(seconds(request.wait))
            .visibility_timeout(seconds(request.visibility))
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .message_system_attribute_names(MessageSystemAttributeName::SentTimestamp)
            // The long poll must outlast the client's ordinary operation timeout, whatever
            // client the adapter was given.
            .customize()
            .config_override(
                aws_sdk_sqs::config::Builder::default().timeout_config(long_poll_timeouts()),
            )
            .send()
            .await
            .map_err(|e| consume_error("sqs:ReceiveMessage", e))?;
        Ok(output.messages.unwrap_or_default().into_iter().filter_map(received).collect())
    }

    async fn delete(&self, receipt: &str) -> Result<(), ConsumeError> {
        self.client
            .delete_message()
            .queue_url(&self.queue_url)
            .receipt_handle(receipt)
            .send()
            .await
            .map_err(|e| consume_error("sqs:DeleteMessage", e))?;
        Ok(())
    }

    async fn change_visibility(
        &self,
        receipt: &str,
        timeout: Duration,
    ) -> Result<(), ConsumeError> {
        self.client
            .change_message_visibility()
            .queue_url(&self.queue_url)
            .receipt_handle(receipt)
            .visibility_timeout(seconds(timeout))
            .send()
            .await
            .map_err(|e| consume_error("sqs:ChangeMessageVisibility", e))?;
        Ok(())
    }

    async fn send(&self, body: &str) -> Result<String, ConsumeError> {
        let output = self
            .client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .send()
            .await
            .map_err(|e| consume_error("sqs:SendMessage", e))?;
        output.message_id.ok_or_else(|| ConsumeError::Invalid("SendMessage returned no id".into()))
    }
}

/// The port's message for an SQS one; a message without id or receipt handle (SQS always
/// sends both) is logged and skipped, since it could be neither reported nor deleted.
fn received(message: aws_sdk_sqs::types::Message) -> Option<ReceivedMessage> {
    let attribute = |name: MessageSystemAttributeName| {
        message.attributes.as_ref().and_then(|a| a.get(&name)).map(String::as_str)
    };
    let receive_count = attribute(MessageSystemAttributeName::ApproximateReceiveCount)
        .and_then(|c| c.parse().ok())
        .unwrap_or(1);
    let sent_at: Option<DateTime<Utc>> = attribute(MessageSystemAttributeName::SentTimestamp)
        .and_then(|ms| ms.parse::<i64>().ok())
        .and_then(|ms| Utc.timestamp_millis_opt(ms).single());
    let (Some(id), Some(receipt)) = (message.message_id, message.receipt_handle) else {
        tracing::error!("received a message without id or receipt handle; skipped");
        return None;
    };
    Some(ReceivedMessage {
        id,
        receipt,
        body: message.body.unwrap_or_default(),
        receive_count,
        sent_at,
    })
}
