//! The long-polling worker: receive up to ten messages at a time with a 20 s wait and a short
//! visibility lease renewed by a heartbeat while each job runs, process them with bounded
//! concurrency, and on stop wait for in-flight jobs up to a grace period, then abandon the rest.
//!
//! The poller speaks to the queue through the [`QueueConsumer`] port, so its rules (delete on
//! success, a delayed retry, the heartbeat, stopping) are tested on the in-memory queue.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::task::{JoinError, JoinSet};
use tokio::time::Instant;
use whaleray_shared::aws::LONG_POLL_WAIT;
use whaleray_shared::error::Chain;

use crate::deps::Deps;
use crate::handler::Handler;
use crate::message::Disposition;
use crate::ports::{MAX_RECEIVE_MESSAGES, QueueConsumer, Receive, ReceivedMessage};
use crate::visibility::Retries;

/// The poller's default lease: a dead worker's jobs come back within half a minute.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(30);

/// How long a stopping poller waits for in-flight jobs (and for the receive under way) before
/// it abandons them: below the 30 s that ECS and Kubernetes allow between SIGTERM and SIGKILL,
/// so the process exits on its own. An abandoned job is not marked FAILED: its heartbeat stops
/// and its message comes back to another worker when its lease lapses. Setting:
/// `STOP_GRACE_SECONDS`.
pub const DEFAULT_STOP_GRACE: Duration = Duration::from_secs(20);

/// A poller over one queue.
#[derive(Clone)]
pub struct Poller {
    queue: Arc<dyn QueueConsumer>,
    handler: Arc<dyn Handler>,
    concurrency: usize,
    /// The first retry's delay; each later attempt doubles it.
    pub base_backoff: Duration,
    /// How long one receive waits for messages (at most 20 s, SQS's limit).
    pub long_poll: Duration,
    /// The visibility timeout received messages get (whole seconds), renewed every third of it
    /// while their job runs: a worker that dies (SIGKILL, lost host) lets its jobs come back
    /// after at most this long instead of the queue's own timeout, which is sized for the Lambda.
    pub lease: Duration,
    /// How long a stop waits for in-flight jobs before abandoning them.
    pub grace: Duration,
}

/// What a poller did before it stopped.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PollStats {
    /// Messages finished and deleted.
    pub done: u64,
    /// Messages left for a later retry.
    pub retried: u64,
    /// Messages left for the dead-letter queue (unreadable, or out of attempts).
    pub dead_lettered: u64,
    /// Jobs still running when the grace period ended: abandoned, their messages left to
    /// come back when their lease lapses.
    pub abandoned: u64,
    /// Messages received while stopping and made visible again at once, unprocessed.
    pub released: u64,
}

impl Poller {
    /// A poller of `queue` running the production job step over `deps`, `concurrency` jobs at
    /// once (at least one).
    pub fn new(queue: Arc<dyn QueueConsumer>, deps: Deps, concurrency: usize) -> Self {
        Self::with_handler(queue, Arc::new(deps), concurrency)
    }

    /// A poller of `queue` running `handler` for each message.
    pub fn with_handler(
        queue: Arc<dyn QueueConsumer>,
        handler: Arc<dyn Handler>,
        concurrency: usize,
    ) -> Self {
        Self {
            queue,
            handler,
            concurrency: concurrency.max(1),
            base_backoff: Duration::from_secs(10),
            long_poll: LONG_POLL_WAIT,
            lease: DEFAULT_LEASE,
            grace: DEFAULT_STOP_GRACE,
        }
    }

    /// Polls until `shutdown` completes; then stops receiving, waits for in-flight jobs until
    /// the grace period ends, abandons the jobs still running and returns.
    pub async fn run(&self, shutdown: impl Future<Output = ()>) -> PollStats {
        let permits = Arc::new(Semaphore::new(self.concurrency));
        let mut tasks: JoinSet<Disposition> = JoinSet::new();
        let mut stats = PollStats::default();
        tokio::pin!(shutdown);
        let stop_by = loop {
            while let Some(done) = tasks.try_join_next() {
                count(&mut stats, done);
            }
            let room = permits.available_permits().min(MAX_RECEIVE_MESSAGES);
            if room == 0 {
                tokio::select! {
                    () = &mut shutdown => break Instant::now() + self.grace,
                    done = tasks.join_next() => if let Some(done) = done { count(&mut stats, done) },
                }
                continue;
            }
            let receive = self.receive(room);
            tokio::pin!(receive);
            let messages = tokio::select! {
                received = &mut receive => received,
                () = &mut shutdown => {
                    let stop_by = Instant::now() + self.grace;
                    // A receive already sent is finished (within the grace), not dropped: SQS
                    // would hand its messages to the closed connection and they would wait out
                    // their lease. What it brings is made visible again for another worker.
                    if let Ok(messages) = tokio::time::timeout_at(stop_by, receive).await {
                        stats.released += self.release(messages).await;
                    }
                    break stop_by;
                }
            };
            for message in messages {
                let Ok(permit) = permits.clone().acquire_owned().await else {
                    break;
                };
                let poller = self.clone();
                tasks.spawn(async move {
                    let disposition = poller.process(message).await;
                    drop(permit);
                    disposition
                });
            }
        };
        tracing::info!(in_flight = tasks.len(), grace = ?self.grace, "stopping: waiting for in-flight jobs");
        let drained = tokio::time::timeout_at(stop_by, async {
            while let Some(done) = tasks.join_next().await {
                count(&mut stats, done);
            }
        })
        .await;
        if drained.is_err() {
            stats.abandoned = tasks.len() as u64;
            tracing::warn!(
                abandoned = stats.abandoned,
                "grace period over: abandoning the jobs still running; their messages come back when their lease lapses"
            );
            tasks.abort_all();
            while let Some(joined) = tasks.join_next().await {
                // A job that finished just before the abort still counts.
                if let Ok(disposition) = joined {
                    stats.abandoned = stats.abandoned.saturating_sub(1);
                    count(&mut stats, Ok(disposition));
                }
            }
        }
        stats
    }

    async fn receive(&self, max: usize) -> Vec<ReceivedMessage> {
        let request = Receive { max, wait: self.long_poll, visibility: lease(self.lease) };
        match self.queue.receive(request).await {
            Ok(messages) => messages,
            Err(e) => {
                tracing::error!(error = %Chain(&e), "receive failed; pausing");
                tokio::time::sleep(Duration::from_secs(1)).await;
                Vec::new()
            }
        }
    }

    /// Makes messages received while stopping visible again, and returns how many.
    async fn release(&self, messages: Vec<ReceivedMessage>) -> u64 {
        let mut released = 0;
        for message in messages {
            match self.queue.change_visibility(&message.receipt, Duration::ZERO).await {
                Ok(()) => released += 1,
                Err(e) => {
                    tracing::warn!(message_id = %message.id, error = %Chain(&e), "could not release a message; it comes back when its lease lapses");
                }
            }
        }
        released
    }

    async fn process(&self, message: ReceivedMessage) -> Disposition {
        // Aborted with this job's task too, so an abandoned job stops renewing its lease.
        let heartbeat = AbortOnDrop(tokio::spawn(heartbeat(
            self.queue.clone(),
            message.id.clone(),
            message.receipt.clone(),
            lease(self.lease),
        )));
        let disposition =
            self.handler.handle(&message.id, &message.body, message.receive_count).await;
        // Stopped (and waited for) before the delete or the retry delay, which must have the
        // last word.
        heartbeat.stop().await;
        if let Disposition::Done(_) = disposition {
            if let Err(e) = self.queue.delete(&message.receipt).await {
                // The job is done; a redelivery finds the deployment settled and is absorbed.
                tracing::warn!(message_id = %message.id, error = %Chain(&e), "delete failed");
            }
        } else {
            self.retries()
                .schedule(&message.id, &message.receipt, &disposition, message.receive_count)
                .await;
        }
        disposition
    }

    fn retries(&self) -> Retries {
        Retries { queue: self.queue.clone(), base_backoff: self.base_backoff }
    }
}

/// Aborts the task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl AbortOnDrop {
    /// Aborts the task and waits until it has ended.
    async fn stop(mut self) {
        self.0.abort();
        let _ = (&mut self.0).await;
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The lease in whole seconds, at least one: SQS counts visibility in seconds.
fn lease(lease: Duration) -> Duration {
    Duration::from_secs(lease.as_secs().max(1))
}

/// Renews the message's visibility to `lease` from now, every third of `lease`, until aborted.
/// SQS counts a ChangeMessageVisibility timeout from the call, so a live job never reappears.
async fn heartbeat(queue: Arc<dyn QueueConsumer>, id: String, receipt: String, lease: Duration) {
    let every = (lease / 3).max(Duration::from_millis(200));
    let mut ticks = tokio::time::interval_at(Instant::now() + every, every);
    loop {
        ticks.tick().await;
        if let Err(e) = queue.change_visibility(&receipt, lease).await {
            // The job goes on; at worst a duplicate delivery is absorbed by the claim.
            tracing::warn!(message_id = %id, error = %Chain(&e), "could not extend the lease");
        }
    }
}

fn count(stats: &mut PollStats, joined: Result<Disposition, JoinError>) {
    match joined {
        Ok(Disposition::Done(_)) => stats.done += 1,
        Ok(Disposition::Retry { .. }) => stats.retried += 1,
        Ok(Disposition::DeadLetter) => stats.dead_lettered += 1,
        Err(e) => tracing::error!(error = %Chain(&e), "a job task panicked or was cancelled"),
    }
}
