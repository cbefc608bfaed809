//! The SQS job queue adapter. It takes the queue URL from configuration and never builds one.

use async_trait::async_trait;
use aws_sdk_sqs::Client;

use crate::aws::aws_error;
use crate::error::QueueError;
use crate::job::InspectionJob;
use crate::ports::JobQueue;

/// An SQS queue of inspection jobs.
#[derive(Debug, Clone)]
pub struct SqsJobQueue {
    client: Client,
    queue_url: String,
}

impl SqsJobQueue {
    /// An adapter for the queue at `queue_url`.
    pub fn new(client: Client, queue_url: impl Into<String>) -> Self {
        Self { client, queue_url: queue_url.into() }
    }

    /// The queue's URL.
    pub fn url(&self) -> &str {
        &self.queue_url
    }
}

#[async_trait]
impl JobQueue for SqsJobQueue {
    async fn send(&self, job: &InspectionJob) -> Result<String, QueueError> {
        let body = job.to_json().map_err(QueueError::Encode)?;
        let output = self
            .client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .send()
            .await
            .map_err(|e| aws_error("sqs:SendMessage", e))?;
        output.message_id.ok_or(QueueError::Incomplete("MessageId"))
    }
}
