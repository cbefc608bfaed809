//! The SQS adapter of [`QueueConsumer`]: one queue URL, taken from the configuration.
//!
//! SQS refuses what the port documents (more than 10 messages, a wait over 20 s, a visibility
//! over 12 hours); its `ReceiptHandleIsInvalid` (and DeleteMessage's `InvalidIdFormat`) and
//! `MessageNotInflight` errors become the port's own variants, everything else keeps the SDK
//! error and its class.

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

/// The port's error for an SDK error the operation has no variant of its own for.
fn consume_error<E>(
    operation: &'static str,
    error: aws_sdk_sqs::error::SdkError<E, aws_sdk_sqs::config::http::HttpResponse>,
) -> ConsumeError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    ConsumeError::Aws(aws_error(operation, error))
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
            .map_err(|e| match e.as_service_error() {
                Some(s) if s.is_receipt_handle_is_invalid() || s.is_invalid_id_format() => {
                    ConsumeError::ReceiptInvalid
                }
                _ => consume_error("sqs:DeleteMessage", e),
            })?;
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
            .map_err(|e| match e.as_service_error() {
                Some(s) if s.is_receipt_handle_is_invalid() => ConsumeError::ReceiptInvalid,
                Some(s) if s.is_message_not_inflight() => ConsumeError::NotInFlight,
                _ => consume_error("sqs:ChangeMessageVisibility", e),
            })?;
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

#[cfg(test)]
mod tests {
    use aws_sdk_sqs::operation::change_message_visibility::{
        ChangeMessageVisibilityError, ChangeMessageVisibilityOutput,
    };
    use aws_sdk_sqs::operation::delete_message::DeleteMessageError;
    use aws_sdk_sqs::operation::receive_message::ReceiveMessageOutput;
    use aws_sdk_sqs::types::Message;
    use aws_sdk_sqs::types::error::{MessageNotInflight, ReceiptHandleIsInvalid, RequestThrottled};
    use aws_smithy_mocks::{mock, mock_client};
    use whaleray_shared::ErrorClass;

    use super::*;

    #[tokio::test]
    async fn receipt_errors_become_the_ports_own_and_throttling_stays_retryable() {
        let lapsed = mock!(Client::change_message_visibility).then_error(|| {
            ChangeMessageVisibilityError::MessageNotInflight(MessageNotInflight::builder().build())
        });
        let unknown = mock!(Client::change_message_visibility).then_error(|| {
            ChangeMessageVisibilityError::ReceiptHandleIsInvalid(
                ReceiptHandleIsInvalid::builder().build(),
            )
        });
        let throttled = mock!(Client::change_message_visibility).then_error(|| {
            let meta =
                aws_sdk_sqs::error::ErrorMetadata::builder().code("RequestThrottled").build();
            ChangeMessageVisibilityError::RequestThrottled(
                RequestThrottled::builder().meta(meta).build(),
            )
        });
        let ok = mock!(Client::change_message_visibility)
            .match_requests(|r| r.visibility_timeout() == Some(30) && r.queue_url() == Some("q"))
            .then_output(|| ChangeMessageVisibilityOutput::builder().build());
        let client = mock_client!(aws_sdk_sqs, [&lapsed, &unknown, &throttled, &ok]);
        let queue = SqsConsumer::new(client, "q");
        let extend = || queue.change_visibility("rh", Duration::from_secs(30));
        assert!(matches!(extend().await, Err(ConsumeError::NotInFlight)));
        assert!(matches!(extend().await, Err(ConsumeError::ReceiptInvalid)));
        let err = extend().await.unwrap_err();
        assert!(matches!(err, ConsumeError::Aws(_)), "{err:?}");
        assert_eq!(err.class(), ErrorClass::Retryable);
        extend().await.unwrap();
    }

    #[tokio::test]
    async fn a_delete_with_an_unknown_handle_is_refused_as_such() {
        let unknown = mock!(Client::delete_message).then_error(|| {
            DeleteMessageError::ReceiptHandleIsInvalid(ReceiptHandleIsInvalid::builder().build())
        });
        let client = mock_client!(aws_sdk_sqs, [&unknown]);
        let err = SqsConsumer::new(client, "q").delete("rh").await.unwrap_err();
        assert!(matches!(err, ConsumeError::ReceiptInvalid), "{err:?}");
    }

    #[tokio::test]
    async fn received_messages_carry_their_count_and_send_time_and_incomplete_ones_are_skipped() {
        let receive = mock!(Client::receive_message)
            .match_requests(|r| {
                r.max_number_of_messages() == Some(10)
                    && r.wait_time_seconds() == Some(20)
                    && r.visibility_timeout() == Some(30)
            })
            .then_output(|| {
                let whole = Message::builder()
                    .message_id("m-1")
                    .receipt_handle("rh-1")
                    .body("{}")
                    .attributes(MessageSystemAttributeName::ApproximateReceiveCount, "3")
                    .attributes(MessageSystemAttributeName::SentTimestamp, "1764633600000")
                    .build();
                let without_handle = Message::builder().message_id("m-2").body("{}").build();
                ReceiveMessageOutput::builder().messages(whole).messages(without_handle).build()
            });
        let client = mock_client!(aws_sdk_sqs, [&receive]);
        let request =
            Receive { max: 10, wait: Duration::from_secs(20), visibility: Duration::from_secs(30) };
        let got = SqsConsumer::new(client, "q").receive(request).await.unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!((got[0].id.as_str(), got[0].receipt.as_str()), ("m-1", "rh-1"));
        assert_eq!(got[0].receive_count, 3);
        assert_eq!(got[0].sent_at.unwrap().timestamp_millis(), 1_764_633_600_000);
    }
}
