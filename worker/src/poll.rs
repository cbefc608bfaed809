//! The long-polling worker: receive up to ten messages at a time with a 20 s wait and a short
//! visibility lease renewed by a heartbeat while each job runs, process them with bounded
//! concurrency, and stop cleanly once in-flight jobs end.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::{Message, MessageSystemAttributeName};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use whaleray_shared::aws::{LONG_POLL_WAIT, aws_error, long_poll_timeouts};

use crate::batch::receive_count;
use crate::deps::Deps;
use crate::message::{self, Disposition};
use crate::visibility::Retries;

/// The most SQS returns in one receive.
const MAX_BATCH: usize = 10;

/// A poller over one queue.
#[derive(Clone)]
pub struct Poller {
    client: Client,
    queue_url: String,
    deps: Deps,
    concurrency: usize,
    /// The first retry's delay; each later attempt doubles it.
    pub base_backoff: Duration,
    /// How long one receive waits for messages (at most 20 s, SQS's limit). A stop waits for
    /// the receive under way, so this bounds how long stopping takes.
    pub long_poll: Duration,
    /// The visibility timeout received messages get, renewed every third of it while their
    /// job runs: a worker that dies (SIGKILL, lost host) lets its jobs come back after at
    /// most this long instead of the queue's own timeout, which is sized for the Lambda.
    pub lease: Duration,
}

/// The poller's default lease: a dead worker's jobs come back within half a minute.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(30);

/// What a poller did before it stopped.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PollStats {
    /// Messages finished and deleted.
    pub done: u64,
    /// Messages left for a later retry.
    pub retried: u64,
    /// Messages left for the dead-letter queue (unreadable, or out of attempts).
    pub dead_lettered: u64,
}

impl Poller {
    /// A poller with `concurrency` jobs at once (at least one). Its receive calls override
    /// the client's timeouts with long-poll ones.
    pub fn new(
        client: Client,
        queue_url: impl Into<String>,
        deps: Deps,
        concurrency: usize,
    ) -> Self {
        Self {
            client,
            queue_url: queue_url.into(),
            deps,
            concurrency: concurrency.max(1),
            base_backoff: Duration::from_secs(10),
            long_poll: LONG_POLL_WAIT,
            lease: DEFAULT_LEASE,
        }
    }

    /// Polls until `shutdown` completes, then waits for in-flight jobs and returns.
    pub async fn run(&self, shutdown: impl Future<Output = ()>) -> PollStats {
        let permits = Arc::new(Semaphore::new(self.concurrency));
        let mut tasks: JoinSet<Disposition> = JoinSet::new();
        let mut stats = PollStats::default();
        tokio::pin!(shutdown);
        loop {
            while let Some(done) = tasks.try_join_next() {
                count(&mut stats, done);
            }
            let room = permits.available_permits().min(MAX_BATCH);
            if room == 0 {
                tokio::select! {
                    _ = &mut shutdown => break,
                    done = tasks.join_next() => { if let Some(done) = done { count(&mut stats, done); } }
                }
                continue;
            }
            // A receive already sent is finished, not abandoned: SQS would hand its messages
            // to the closed connection, and they would wait out their visibility timeout.
            let receive = self.receive(room);
            tokio::pin!(receive);
            let mut stopping = false;
            let messages = tokio::select! {
                received = &mut receive => received,
                () = &mut shutdown => {
                    stopping = true;
                    receive.await
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
            if stopping {
                break;
            }
        }
        tracing::info!(in_flight = tasks.len(), "stopping: waiting for in-flight jobs");
        while let Some(done) = tasks.join_next().await {
            count(&mut stats, done);
        }
        stats
    }

    async fn receive(&self, max: usize) -> Vec<Message> {
        let result = self
            .client
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(i32::try_from(max).unwrap_or(1))
            .wait_time_seconds(i32::try_from(self.long_poll.as_secs()).unwrap_or(20))
            .visibility_timeout(lease_seconds(self.lease))
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            // The long poll must outlast the client's ordinary operation timeout, whatever
            // client the poller was given.
            .customize()
            .config_override(
                aws_sdk_sqs::config::Builder::default().timeout_config(long_poll_timeouts()),
            )
            .send()
            .await;
        match result {
            Ok(output) => output.messages.unwrap_or_default(),
            Err(e) => {
                tracing::error!(error = ?aws_error("sqs:ReceiveMessage", e), "receive failed; pausing");
                tokio::time::sleep(Duration::from_secs(1)).await;
                Vec::new()
            }
        }
    }

    async fn process(&self, message: Message) -> Disposition {
        let (Some(id), Some(receipt)) =
            (message.message_id.as_deref(), message.receipt_handle.as_deref())
        else {
            tracing::error!("received a message without id or receipt handle");
            return Disposition::DeadLetter;
        };
        let attributes = message
            .attributes
            .as_ref()
            .map(|a| a.iter().map(|(k, v)| (k.as_str().to_owned(), v.clone())).collect())
            .unwrap_or_default();
        let attempt = receive_count(&attributes);
        // Dropped with this job's future too, so a cancelled job stops renewing its lease.
        let heartbeat = AbortOnDrop(tokio::spawn(heartbeat(
            self.client.clone(),
            self.queue_url.clone(),
            id.to_owned(),
            receipt.to_owned(),
            self.lease,
        )));
        let disposition =
            message::handle(&self.deps, id, message.body.as_deref().unwrap_or_default(), attempt)
                .await;
        // Stopped before the delete or the retry delay, which must have the last word.
        heartbeat.0.abort();
        if let Disposition::Done(_) = disposition {
            self.delete(id, receipt).await;
        } else {
            self.retries().schedule(id, receipt, &disposition, attempt).await;
        }
        disposition
    }

    async fn delete(&self, id: &str, receipt: &str) {
        let result = self
            .client
            .delete_message()
            .queue_url(&self.queue_url)
            .receipt_handle(receipt)
            .send()
            .await;
        if let Err(e) = result {
            // The job is done; a redelivery finds the deployment settled and is absorbed.
            tracing::warn!(message_id = id, error = ?aws_error("sqs:DeleteMessage", e), "delete failed");
        }
    }

    fn retries(&self) -> Retries {
        Retries {
            client: self.client.clone(),
            queue_url: self.queue_url.clone(),
            base_backoff: self.base_backoff,
        }
    }
}

/// Aborts the task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn lease_seconds(lease: Duration) -> i32 {
    i32::try_from(lease.as_secs().max(1)).unwrap_or(30)
}

/// Renews the message's visibility to `lease` from now, every third of `lease`, until aborted.
/// SQS counts a ChangeMessageVisibility timeout from the call, so a live job never reappears.
async fn heartbeat(
    client: Client,
    queue_url: String,
    id: String,
    receipt: String,
    lease: Duration,
) {
    let every = (lease / 3).max(Duration::from_millis(200));
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    loop {
        ticks.tick().await;
        let result = client
            .change_message_visibility()
            .queue_url(&queue_url)
            .receipt_handle(&receipt)
            .visibility_timeout(lease_seconds(lease))
            .send()
            .await;
        if let Err(e) = result {
            // The job goes on; at worst a duplicate delivery is absorbed by the claim.
            tracing::warn!(message_id = %id, error = ?aws_error("sqs:ChangeMessageVisibility", e), "could not extend the lease");
        }
    }
}

fn count(stats: &mut PollStats, joined: Result<Disposition, tokio::task::JoinError>) {
    match joined {
        Ok(Disposition::Done(_)) => stats.done += 1,
        Ok(Disposition::Retry { .. }) => stats.retried += 1,
        Ok(Disposition::DeadLetter) => stats.dead_lettered += 1,
        Err(e) => tracing::error!(error = %e, "a job task panicked or was cancelled"),
    }
}
