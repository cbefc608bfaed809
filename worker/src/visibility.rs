//! When a message comes back: the retry schedule shared by the poller and the Lambda handler.
//!
//! A retryable failure delays the message's next delivery with ChangeMessageVisibility, by the
//! wait a dependency asked for or by exponential backoff with jitter; a message bound for the
//! dead-letter queue is made visible at once, so the next receive past maxReceiveCount moves it.

use std::sync::Arc;
use std::time::Duration;

use whaleray_shared::error::Chain;

use crate::message::Disposition;
use crate::ports::{MAX_VISIBILITY, QueueConsumer};

/// The retry schedule of one queue.
#[derive(Clone)]
pub struct Retries {
    /// The queue the messages came from.
    pub queue: Arc<dyn QueueConsumer>,
    /// The first retry's delay; each later attempt doubles it.
    pub base_backoff: Duration,
}

impl Retries {
    /// Sets when a message that was not finished comes back. Done messages are left alone.
    pub async fn schedule(
        &self,
        message_id: &str,
        receipt: &str,
        disposition: &Disposition,
        attempt: u32,
    ) {
        let delay = match disposition {
            Disposition::Done(_) => return,
            Disposition::Retry { wait } => {
                wait.unwrap_or_else(|| backoff(self.base_backoff, attempt, message_id))
            }
            Disposition::DeadLetter => Duration::ZERO,
        };
        // SQS takes whole seconds, and at most 12 hours from the receive.
        let seconds = Duration::from_secs(delay.as_secs().min(MAX_VISIBILITY.as_secs()));
        if let Err(e) = self.queue.change_visibility(receipt, seconds).await {
            // The message still comes back, after the queue's own visibility timeout.
            tracing::warn!(message_id, error = %Chain(&e), "could not set the retry delay");
        }
    }
}

/// Exponential backoff with jitter: `base × 2^(attempt-1)`, capped at 15 minutes, plus up to
/// half of that again, spread by the message id so retries of a batch do not align.
pub fn backoff(base: Duration, attempt: u32, message_id: &str) -> Duration {
    let exponent = attempt.saturating_sub(1).min(16);
    let delay = base.saturating_mul(1 << exponent).min(Duration::from_secs(900));
    let spread = message_id
        .bytes()
        .fold(attempt as u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
    let half = delay.as_millis() as u64 / 2;
    let jitter = if half == 0 { 0 } else { spread % half };
    delay + Duration::from_millis(jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_caps_and_jitters_within_half() {
        let base = Duration::from_secs(10);
        for attempt in 1..=12 {
            let plain = base.saturating_mul(1 << (attempt - 1)).min(Duration::from_secs(900));
            let got = backoff(base, attempt, "msg-1");
            assert!(got >= plain && got <= plain + plain / 2, "attempt {attempt}: {got:?}");
        }
        assert_ne!(backoff(base, 3, "a"), backoff(base, 3, "b"));
    }
}
