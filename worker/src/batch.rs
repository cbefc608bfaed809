//! The Lambda entry point's logic: an SQS batch in, the ids of the messages to retry out.
//!
//! The body of every record is parsed here, one at a time, so one bad message cannot fail the
//! batch. Records run concurrently, up to a limit, and the whole batch answers before the
//! invocation's deadline (minus a margin for the last writes and the response):
//!
//! - A message starts only while enough time is left for a full job (its per-message time,
//!   or all the batch has when that is less); one that cannot start is reported failed and
//!   left untouched, so the queue delivers it again.
//! - A started message that overruns its per-message deadline is abandoned (its future is
//!   dropped) and its deployment marked FAILED, see [`settle_overrun`].

use std::time::Duration;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use futures::StreamExt;
use tokio::time::Instant;
use whaleray_shared::error::{Chain, StoreError};
use whaleray_shared::job::InspectionJob;
use whaleray_shared::{DeploymentStatus, StatusChange};

use crate::deps::Deps;
use crate::handler::Handler;
use crate::message::Disposition;
use crate::visibility::Retries;

/// What the batch keeps back from the invocation's remaining time: enough for an overrun
/// message's FAILED write, the retry delays and the batch response, well inside Lambda's
/// timeout.
pub const LAMBDA_DEADLINE_MARGIN: Duration = Duration::from_secs(5);
/// Time a job needs after its inspection deadline: the build claim, StartBuild and the status
/// write. A message's per-message time is the inspection deadline plus this.
pub const AFTER_INSPECTION: Duration = Duration::from_secs(10);
/// How long settling an overrun message may take (reading the deployment, looking for a
/// started build, the FAILED write), inside [`LAMBDA_DEADLINE_MARGIN`]; past it the message is
/// reported failed and delivered again.
pub const SETTLE_TIME: Duration = Duration::from_secs(3);
/// Messages of one batch processed at once: the SQS event source's default batch of ten runs
/// whole; larger batches (with a batching window) queue behind.
pub const LAMBDA_CONCURRENCY: usize = 10;

/// How one batch is run.
#[derive(Clone, Copy)]
pub struct BatchOptions<'a> {
    /// Delays a failed message's next delivery like the poller does, when set.
    pub retries: Option<&'a Retries>,
    /// When every message must be settled: the invocation's deadline minus
    /// [`LAMBDA_DEADLINE_MARGIN`].
    pub deadline: Instant,
    /// The time one message may run (see [`AFTER_INSPECTION`]).
    pub per_message: Duration,
    /// Messages processed at once.
    pub concurrency: usize,
}

impl BatchOptions<'_> {
    /// Options for an invocation whose deadline is `deadline_ms` (milliseconds since the Unix
    /// epoch, as `lambda_runtime::Context::deadline` gives it).
    pub fn for_invocation(deadline_ms: u64, deps: &Deps) -> BatchOptions<'static> {
        let now_ms = u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or(0);
        let remaining = Duration::from_millis(deadline_ms.saturating_sub(now_ms));
        BatchOptions {
            retries: None,
            deadline: Instant::now() + remaining.saturating_sub(LAMBDA_DEADLINE_MARGIN),
            per_message: deps.budgets.deadline + AFTER_INSPECTION,
            concurrency: LAMBDA_CONCURRENCY,
        }
    }
}

/// Processes a batch with the production job step and reports the failed message ids (partial
/// batch failure).
pub async fn handle_batch(
    deps: &Deps,
    event: SqsEvent,
    options: BatchOptions<'_>,
) -> SqsBatchResponse {
    handle_batch_with(deps, deps, event, options).await
}

/// Processes a batch, running `handler` for each message, and reports the failed message ids.
/// Messages without an id cannot be reported, so they are logged and treated as done. With
/// `options.retries`, a failed message's next delivery is delayed as the poller delays it
/// (backoff, or the wait GitHub asked for) instead of coming back after the queue's
/// visibility timeout.
pub async fn handle_batch_with(
    deps: &Deps,
    handler: &dyn Handler,
    event: SqsEvent,
    options: BatchOptions<'_>,
) -> SqsBatchResponse {
    let started = Instant::now();
    // What a message needs to be worth starting: its full time, or all there is at the start.
    let needed = options.per_message.min(options.deadline.saturating_duration_since(started));
    let concurrency = options.concurrency.max(1);
    let failed: Vec<Option<String>> = futures::stream::iter(event.records.into_iter().enumerate())
        .map(|(index, record)| {
            // The first wave starts at once with all the time there is.
            let needed = if index < concurrency { Duration::ZERO } else { needed };
            handle_record(deps, handler, record, options, needed)
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let mut response = SqsBatchResponse::default();
    for failed_id in failed.into_iter().flatten() {
        response.add_failure(failed_id);
    }
    response
}

async fn handle_record(
    deps: &Deps,
    handler: &dyn Handler,
    record: SqsMessage,
    options: BatchOptions<'_>,
    needed: Duration,
) -> Option<String> {
    let Some(message_id) = record.message_id.filter(|id| !id.is_empty()) else {
        tracing::error!("SQS record without a message id; it cannot be reported as failed");
        return None;
    };
    let now = Instant::now();
    let left = options.deadline.saturating_duration_since(now);
    if left.is_zero() || left < needed {
        tracing::warn!(%message_id, ?left, "too little time left to start; returned for redelivery");
        return Some(message_id);
    }
    let receive_count = receive_count(&record.attributes);
    let body = record.body.unwrap_or_default();
    let deadline = options.deadline.min(now + options.per_message);
    let handled =
        tokio::time::timeout_at(deadline, handler.handle(&message_id, &body, receive_count)).await;
    let disposition = match handled {
        Ok(disposition) => disposition,
        Err(_) => {
            let allowed = deadline.saturating_duration_since(now);
            tracing::error!(%message_id, ?allowed, "the job overran its per-message deadline; abandoned");
            let settled = tokio::time::timeout(SETTLE_TIME, settle_overrun(deps, &body, allowed))
                .await
                .unwrap_or(Settled::Retry);
            return (settled == Settled::Retry).then_some(message_id);
        }
    };
    if let Disposition::Done(_) = disposition {
        return None;
    }
    if let (Some(retries), Some(receipt)) = (options.retries, record.receipt_handle.as_deref()) {
        retries.schedule(&message_id, receipt, &disposition, receive_count).await;
    }
    Some(message_id)
}

/// What to report for an abandoned message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Settled {
    /// The deployment is settled (FAILED by us, or by whoever won the race): acknowledge the
    /// message.
    Acknowledge,
    /// Nothing could be settled: report the message failed so it is delivered again.
    Retry,
}

/// Settles the deployment of a message whose job overran its deadline.
///
/// The deployment is marked FAILED (conditional on INSPECTING) with a reason naming the
/// per-message deadline, and the message is then **acknowledged**, not sent on to the
/// dead-letter queue: the deployment has its verdict and the user sees why, the same
/// repository would overrun again (so a redelivery would only burn time and GitHub requests),
/// and any redelivery would be absorbed as settled anyway. An operator who fixes the cause
/// redeploys. The message is reported failed (delivered again, and through the last-attempt
/// rule eventually FAILED and dead-lettered) only when no verdict could be written: the table
/// could not be read or written, or a build of the deployment was found started, since then
/// the next delivery recovers that build through the claim instead of failing a deployment
/// whose build runs. A body that is not a job was never the job's fault; it is reported failed
/// and reaches the dead-letter queue as any unreadable message does.
async fn settle_overrun(deps: &Deps, body: &str, allowed: Duration) -> Settled {
    let Ok(job) = InspectionJob::from_json(body) else {
        return Settled::Retry;
    };
    let id = job.deployment_id;
    let deployment = match deps.store.get(id).await {
        Ok(Some(deployment)) => deployment,
        Ok(None) => return Settled::Acknowledge,
        Err(e) => {
            tracing::error!(deployment_id = %id, error = %Chain(&e), "could not read the overrun deployment");
            return Settled::Retry;
        }
    };
    if deployment.status != DeploymentStatus::Inspecting {
        return Settled::Acknowledge;
    }
    let since = deployment.created_at - chrono::Duration::minutes(1);
    match deps.builds.find_started(id, since).await {
        Ok(None) => {}
        Ok(Some(build_id)) => {
            tracing::warn!(deployment_id = %id, %build_id, "a build was started before the overrun; the next delivery records it");
            return Settled::Retry;
        }
        Err(e) => {
            tracing::error!(deployment_id = %id, error = %Chain(&e), "could not look for a started build");
            return Settled::Retry;
        }
    }
    let reason = overrun_reason(allowed);
    let change = StatusChange::failed(reason);
    match deps.store.transition(id, DeploymentStatus::Inspecting, change).await {
        Ok(_) | Err(StoreError::Conflict { .. }) => Settled::Acknowledge,
        Err(e) => {
            tracing::error!(deployment_id = %id, error = %Chain(&e), "could not mark the overrun deployment FAILED");
            Settled::Retry
        }
    }
}

/// The FAILED reason of a job abandoned after `allowed`.
pub fn overrun_reason(allowed: Duration) -> String {
    format!(
        "the inspection was abandoned: it exceeded the worker's per-message deadline of {:.1} seconds",
        allowed.as_secs_f64()
    )
}

/// The `ApproximateReceiveCount` attribute, 1 when absent or unreadable.
pub fn receive_count(attributes: &std::collections::HashMap<String, String>) -> u32 {
    attributes.get("ApproximateReceiveCount").and_then(|v| v.parse().ok()).unwrap_or(1)
}
