//! An in-memory queue with SQS's consumer rules, for tests that must not need the emulator.
//!
//! It refuses what SQS refuses and forgets what SQS forgets: more than 10 messages per receive,
//! a wait over 20 s, a visibility over 12 hours (or not in whole seconds), an empty or
//! oversized body, characters SQS does not accept, a receipt handle it never issued, and a
//! visibility change for a message no longer in flight. A received message stays invisible
//! until its visibility ends; each delivery gets a new receipt handle and counts as a receive;
//! a delete with an earlier delivery's handle succeeds but leaves the message (as SQS
//! documents); and with a dead-letter queue, a message already received `max_receive_count`
//! times moves there on its next receive instead of being delivered.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tokio::sync::Notify;
use tokio::time::Instant;
use whaleray_shared::ErrorClass;
use whaleray_shared::error::AwsError;

use crate::ports::{
    ConsumeError, MAX_RECEIVE_MESSAGES, MAX_RECEIVE_WAIT, MAX_VISIBILITY, QueueConsumer, Receive,
    ReceivedMessage,
};

/// SQS's default maximum message size (a queue's `MaximumMessageSize`, 256 KiB).
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 262_144;

/// An in-memory queue; clones share it.
#[derive(Clone, Default)]
pub struct MemoryQueue {
    inner: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    arrived: Notify,
}

#[derive(Default)]
struct State {
    messages: Vec<Stored>,
    issued: HashSet<String>,
    sequence: u64,
    redrive: Option<(MemoryQueue, u32)>,
    max_message_bytes: Option<usize>,
    failing_sends: u32,
    counts: Counts,
}

/// How many calls of each kind the queue answered (successfully or not).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Receive calls.
    pub receives: u32,
    /// Delete calls.
    pub deletes: u32,
    /// ChangeMessageVisibility calls.
    pub visibility_changes: u32,
    /// Send calls.
    pub sends: u32,
}

#[derive(Debug, Clone)]
struct Stored {
    id: String,
    body: String,
    sent_at: DateTime<Utc>,
    receive_count: u32,
    visible_at: Instant,
    /// The handle of the latest delivery and when it was made.
    delivery: Option<(String, Instant)>,
}

/// What a test can see of one stored message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// The message id.
    pub id: String,
    /// The body.
    pub body: String,
    /// How many times it was delivered.
    pub receive_count: u32,
    /// Whether a receive could return it now.
    pub visible: bool,
    /// How long it stays invisible from now (zero when visible).
    pub invisible_for: Duration,
}

impl MemoryQueue {
    /// A queue whose messages move to `dead_letter` when received again after
    /// `max_receive_count` deliveries (SQS's redrive policy).
    pub fn with_redrive(dead_letter: &MemoryQueue, max_receive_count: u32) -> Self {
        let queue = Self::default();
        queue.lock().redrive = Some((dead_letter.clone(), max_receive_count.max(1)));
        queue
    }

    /// Sets the queue's maximum message size (default [`DEFAULT_MAX_MESSAGE_BYTES`]).
    pub fn set_max_message_bytes(&self, max: usize) {
        self.lock().max_message_bytes = Some(max);
    }

    /// Makes the next `n` sends fail with a retryable error, as an SQS outage would.
    pub fn fail_next_sends(&self, n: u32) {
        self.lock().failing_sends = n;
    }

    /// Every message in the queue, visible or in flight, in sending order.
    pub fn messages(&self) -> Vec<Snapshot> {
        let state = self.lock();
        let now = Instant::now();
        state
            .messages
            .iter()
            .map(|m| Snapshot {
                id: m.id.clone(),
                body: m.body.clone(),
                receive_count: m.receive_count,
                visible: m.visible_at <= now,
                invisible_for: m.visible_at.saturating_duration_since(now),
            })
            .collect()
    }

    /// Visible and in-flight message counts.
    pub fn depth(&self) -> (usize, usize) {
        let messages = self.messages();
        let visible = messages.iter().filter(|m| m.visible).count();
        (visible, messages.len() - visible)
    }

    /// How many calls the queue answered.
    pub fn counts(&self) -> Counts {
        self.lock().counts
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A test that panicked while holding the lock has failed already; carry on with the
        // state as it was.
        self.inner.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Delivers what is visible now, moving over-received messages to the dead-letter queue.
    fn take_visible(&self, request: Receive) -> (Vec<ReceivedMessage>, Option<Instant>) {
        let mut state = self.lock();
        let now = Instant::now();
        let mut delivered = Vec::new();
        let mut redriven = Vec::new();
        let redrive = state.redrive.clone();
        let mut index = 0;
        while index < state.messages.len() && delivered.len() < request.max {
            if state.messages[index].visible_at > now {
                index += 1;
                continue;
            }
            if let Some((_, max)) = &redrive
                && state.messages[index].receive_count >= *max
            {
                redriven.push(state.messages.remove(index));
                continue;
            }
            state.sequence += 1;
            let receipt = format!("rh-{}-{}", state.sequence, state.messages[index].id);
            state.issued.insert(receipt.clone());
            let message = &mut state.messages[index];
            message.receive_count += 1;
            message.visible_at = now + request.visibility;
            message.delivery = Some((receipt.clone(), now));
            delivered.push(ReceivedMessage {
                id: message.id.clone(),
                receipt,
                body: message.body.clone(),
                receive_count: message.receive_count,
                sent_at: Some(message.sent_at),
            });
            index += 1;
        }
        let next = state.messages.iter().map(|m| m.visible_at).filter(|at| *at > now).min();
        drop(state);
        if let Some((dead_letter, _)) = redrive {
            for mut message in redriven {
                message.visible_at = now;
                message.delivery = None;
                dead_letter.lock().messages.push(message);
                dead_letter.inner.arrived.notify_waiters();
            }
        }
        (delivered, next)
    }
}

/// Refuses a visibility timeout SQS would refuse.
fn check_visibility(timeout: Duration) -> Result<(), ConsumeError> {
    if timeout > MAX_VISIBILITY {
        return Err(ConsumeError::Invalid(format!(
            "visibility timeout {}s is above the maximum of 43200s",
            timeout.as_secs()
        )));
    }
    if timeout.subsec_nanos() != 0 {
        return Err(ConsumeError::Invalid(format!(
            "visibility timeout {timeout:?} is not a whole number of seconds"
        )));
    }
    Ok(())
}

/// Whether SQS accepts `c` in a message body (the XML character ranges it documents).
fn allowed(c: char) -> bool {
    matches!(c, '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
        || c >= '\u{10000}'
}

#[async_trait]
impl QueueConsumer for MemoryQueue {
    async fn receive(&self, request: Receive) -> Result<Vec<ReceivedMessage>, ConsumeError> {
        self.lock().counts.receives += 1;
        if !(1..=MAX_RECEIVE_MESSAGES).contains(&request.max) {
            return Err(ConsumeError::Invalid(format!(
                "MaxNumberOfMessages {} is not between 1 and 10",
                request.max
            )));
        }
        if request.wait > MAX_RECEIVE_WAIT {
            return Err(ConsumeError::Invalid(format!(
                "WaitTimeSeconds {:?} is above the maximum of 20s",
                request.wait
            )));
        }
        check_visibility(request.visibility)?;
        let until = Instant::now() + request.wait;
        loop {
            // Registered before looking, so a send between the look and the wait is not missed.
            let arrived = self.inner.arrived.notified();
            tokio::pin!(arrived);
            arrived.as_mut().enable();
            let (delivered, next) = self.take_visible(request);
            if !delivered.is_empty() || Instant::now() >= until {
                return Ok(delivered);
            }
            let wake = next.map_or(until, |next| next.min(until));
            tokio::select! {
                () = arrived => {}
                () = tokio::time::sleep_until(wake) => {}
            }
        }
    }

    async fn delete(&self, receipt: &str) -> Result<(), ConsumeError> {
        let mut state = self.lock();
        state.counts.deletes += 1;
        if !state.issued.contains(receipt) {
            return Err(ConsumeError::ReceiptInvalid);
        }
        // An earlier delivery's handle, or a message deleted already: success, nothing removed.
        state.messages.retain(|m| m.delivery.as_ref().is_none_or(|(latest, _)| latest != receipt));
        Ok(())
    }

    async fn change_visibility(
        &self,
        receipt: &str,
        timeout: Duration,
    ) -> Result<(), ConsumeError> {
        let mut state = self.lock();
        state.counts.visibility_changes += 1;
        check_visibility(timeout)?;
        if !state.issued.contains(receipt) {
            return Err(ConsumeError::ReceiptInvalid);
        }
        let now = Instant::now();
        let Some(message) = state.messages.iter_mut().find(|m| {
            m.visible_at > now && m.delivery.as_ref().is_some_and(|(latest, _)| latest == receipt)
        }) else {
            return Err(ConsumeError::NotInFlight);
        };
        let received_at = message.delivery.as_ref().map_or(now, |(_, at)| *at);
        if now + timeout > received_at + MAX_VISIBILITY {
            return Err(ConsumeError::Invalid(
                "a message cannot stay invisible for more than 12 hours after its receive".into(),
            ));
        }
        message.visible_at = now + timeout;
        drop(state);
        if timeout.is_zero() {
            self.inner.arrived.notify_waiters();
        }
        Ok(())
    }

    async fn send(&self, body: &str) -> Result<String, ConsumeError> {
        let mut state = self.lock();
        state.counts.sends += 1;
        if state.failing_sends > 0 {
            state.failing_sends -= 1;
            return Err(ConsumeError::Aws(AwsError {
                operation: "sqs:SendMessage",
                class: ErrorClass::Retryable,
                source: "injected fault: the queue is unavailable".into(),
            }));
        }
        let max = state.max_message_bytes.unwrap_or(DEFAULT_MAX_MESSAGE_BYTES);
        if body.len() > max {
            return Err(ConsumeError::TooLarge { size: body.len(), max });
        }
        if body.is_empty() {
            return Err(ConsumeError::Invalid("the message body is empty".into()));
        }
        if !body.chars().all(allowed) {
            return Err(ConsumeError::Invalid(
                "the message body contains characters SQS does not accept".into(),
            ));
        }
        state.sequence += 1;
        let id = format!("msg-{:06}", state.sequence);
        state.messages.push(Stored {
            id: id.clone(),
            body: body.to_owned(),
            sent_at: Utc::now(),
            receive_count: 0,
            visible_at: Instant::now(),
            delivery: None,
        });
        drop(state);
        self.inner.arrived.notify_waiters();
        Ok(id)
    }
}
