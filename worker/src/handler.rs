//! The processing step both consumers (the Lambda batch and the poller) run for each message,
//! as a trait so their delivery rules (deadlines, deletes, retries, stopping) can be tested with
//! a step that succeeds, fails or never finishes.

use async_trait::async_trait;

use crate::deps::Deps;
use crate::message::{self, Disposition};

/// Handles one message body delivered for the `receive_count`-th time.
#[async_trait]
pub trait Handler: Send + Sync {
    /// What to do with the message afterwards.
    async fn handle(&self, message_id: &str, body: &str, receive_count: u32) -> Disposition;
}

/// The production step: parse the job and inspect it ([`message::handle`]).
#[async_trait]
impl Handler for Deps {
    async fn handle(&self, message_id: &str, body: &str, receive_count: u32) -> Disposition {
        message::handle(self, message_id, body, receive_count).await
    }
}
