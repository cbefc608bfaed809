//! Operator replay of the dead-letter queue: receive, re-send, delete.
//!
//! SQS's own StartMessageMoveTask cannot select by deployment, gives moved messages new ids and
//! is missing from the emulator, so replay is done by hand, in an order that loses nothing:
//! the deployment goes FAILED → INSPECTING (a conditional write), the job is sent to the main
//! queue, and only then is the dead-letter copy deleted. A crash between any two steps leaves at
//! worst a duplicate, which the worker absorbs; running the replay again finishes the work.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use whaleray_shared::error::{Chain, StoreError};
use whaleray_shared::job::InspectionJob;
use whaleray_shared::ports::DeploymentStore;
use whaleray_shared::{DeploymentId, DeploymentStatus, StatusChange};

use crate::ports::{ConsumeError, MAX_RECEIVE_MESSAGES, QueueConsumer, Receive, ReceivedMessage};

/// How long one receive of the replay waits for a message: a second, so an empty (or wholly
/// held) dead-letter queue ends the replay promptly.
const RECEIVE_WAIT: Duration = Duration::from_secs(1);

/// A failure that leaves a dead-letter message where it was (or, for [`ReplayError::Delete`],
/// leaves a duplicate the worker absorbs).
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The dead-letter queue could not be read; the replay stopped.
    #[error("receiving from the dead-letter queue")]
    Receive(#[source] ConsumeError),
    /// The deployment's record could not be read.
    #[error("reading deployment {deployment}")]
    Read {
        /// The deployment.
        deployment: DeploymentId,
        /// Why.
        #[source]
        source: StoreError,
    },
    /// The deployment could not be moved back to INSPECTING.
    #[error("moving deployment {deployment} back to INSPECTING")]
    Reopen {
        /// The deployment.
        deployment: DeploymentId,
        /// Why.
        #[source]
        source: StoreError,
    },
    /// The job could not be sent to the main queue.
    #[error("deployment {deployment}: sending the job to the main queue")]
    Send {
        /// The deployment.
        deployment: DeploymentId,
        /// Why.
        #[source]
        source: ConsumeError,
    },
    /// The job was re-sent but its dead-letter copy stayed: a duplicate the worker absorbs.
    #[error("deployment {deployment}: re-sent, but the dead-letter copy was not deleted")]
    Delete {
        /// The deployment.
        deployment: DeploymentId,
        /// Why.
        #[source]
        source: ConsumeError,
    },
}

/// An unreadable `--since`/`--until` value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is neither RFC 3339 nor an age like 90m, 6h, 2d")]
pub struct TimeError(pub String);

fn serialize_errors<S: serde::Serializer>(
    errors: &[ReplayError],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(errors.iter().map(|e| Chain(e).to_string()))
}

/// Which dead-letter messages to replay, and how.
#[derive(Debug, Clone, Default)]
pub struct ReplayOptions {
    /// Only these deployments (all when empty).
    pub deployments: Vec<DeploymentId>,
    /// Only messages first sent at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Only messages first sent before this time.
    pub until: Option<DateTime<Utc>>,
    /// List what would move without moving anything.
    pub dry_run: bool,
    /// At most this many messages moved per second.
    pub rate_per_second: Option<f64>,
    /// Stop after this many selected messages.
    pub max: Option<usize>,
}

/// One selected dead-letter message.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplayItem {
    /// The dead-letter message id.
    pub message_id: String,
    /// The deployment it is for.
    pub deployment_id: String,
    /// The repository.
    pub repository: String,
    /// Why the deployment failed, from its record.
    pub reason: Option<String>,
    /// How many times the message was received in all.
    pub receive_count: u32,
}

/// What a replay did. `moved` lists what would move in a dry run.
#[derive(Debug, Default, serde::Serialize)]
pub struct ReplayReport {
    /// Messages moved back to the main queue (or that would be, in a dry run).
    pub moved: Vec<ReplayItem>,
    /// Messages left or removed, with the reason.
    pub skipped: Vec<String>,
    /// Failures; the messages concerned stay in the dead-letter queue. In JSON, one line each
    /// with its causes.
    #[serde(serialize_with = "serialize_errors")]
    pub errors: Vec<ReplayError>,
}

/// A step of the replay, for a progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Another message was examined.
    Examined,
    /// Another message was moved.
    Moved,
}

/// Replays one dead-letter queue into the main queue. Bodies move unchanged: a message older
/// than the code reading it keeps its version field and is read by the worker as it was sent.
pub struct Replayer {
    /// The dead-letter queue.
    pub dlq: Arc<dyn QueueConsumer>,
    /// The main queue.
    pub main: Arc<dyn QueueConsumer>,
    /// The deployments table.
    pub store: Arc<dyn DeploymentStore>,
    /// How long received messages stay hidden while the replay runs.
    pub hold: Duration,
}

enum Decision {
    Move(Box<(ReplayItem, InspectionJob)>),
    Keep(Option<String>),
    Failed(ReplayError),
}

impl Replayer {
    /// Runs the replay, calling `progress` as it goes.
    pub async fn run(
        &self,
        options: &ReplayOptions,
        progress: &(dyn Fn(Progress) + Sync),
    ) -> ReplayReport {
        let mut report = ReplayReport::default();
        let mut seen = HashSet::new();
        let mut kept = Vec::new();
        let mut selected = 0usize;
        let pause =
            options.rate_per_second.filter(|r| *r > 0.0).map(|r| Duration::from_secs_f64(1.0 / r));
        'receive: loop {
            let messages = match self.receive().await {
                Ok(messages) if messages.is_empty() => break,
                Ok(messages) => messages,
                Err(e) => {
                    report.errors.push(e);
                    break;
                }
            };
            for message in messages {
                let (id, receipt) = (message.id.clone(), message.receipt.clone());
                if !seen.insert(id.clone()) {
                    kept.push(receipt);
                    continue;
                }
                progress(Progress::Examined);
                let over_limit = options.max.is_some_and(|max| selected >= max);
                match self.decide(&message, options).await {
                    Decision::Move(selected_message) if !over_limit => {
                        let (item, job) = *selected_message;
                        selected += 1;
                        if options.dry_run {
                            report.moved.push(item);
                            kept.push(receipt);
                        } else {
                            self.move_one(
                                item,
                                &job,
                                &message.body,
                                &receipt,
                                &mut report,
                                &mut kept,
                            )
                            .await;
                            progress(Progress::Moved);
                            if let Some(pause) = pause {
                                tokio::time::sleep(pause).await;
                            }
                        }
                    }
                    Decision::Move(_) => kept.push(receipt),
                    Decision::Keep(why) => {
                        if let Some(why) = why {
                            report.skipped.push(format!("{id}: {why}"));
                        }
                        kept.push(receipt);
                    }
                    Decision::Failed(error) => {
                        report.errors.push(error);
                        kept.push(receipt);
                    }
                }
                if options.max.is_some_and(|max| selected >= max) && !options.dry_run {
                    break 'receive;
                }
            }
        }
        self.release(kept).await;
        report
    }

    async fn receive(&self) -> Result<Vec<ReceivedMessage>, ReplayError> {
        let request =
            Receive { max: MAX_RECEIVE_MESSAGES, wait: RECEIVE_WAIT, visibility: self.hold };
        self.dlq.receive(request).await.map_err(ReplayError::Receive)
    }

    async fn decide(&self, message: &ReceivedMessage, options: &ReplayOptions) -> Decision {
        let job = match InspectionJob::from_json(&message.body) {
            Ok(job) => job,
            Err(e) => {
                return Decision::Keep(Some(format!("unreadable message left in place ({e})")));
            }
        };
        if !options.deployments.is_empty() && !options.deployments.contains(&job.deployment_id) {
            return Decision::Keep(None);
        }
        let in_window = message.sent_at.is_none_or(|sent| {
            options.since.is_none_or(|since| sent >= since)
                && options.until.is_none_or(|until| sent < until)
        });
        if !in_window {
            return Decision::Keep(None);
        }
        let reason = match self.store.get(job.deployment_id).await {
            Ok(Some(d)) => d.reason,
            Ok(None) => {
                return Decision::Keep(Some(format!(
                    "deployment {} does not exist",
                    job.deployment_id
                )));
            }
            Err(source) => {
                return Decision::Failed(ReplayError::Read {
                    deployment: job.deployment_id,
                    source,
                });
            }
        };
        let item = ReplayItem {
            message_id: message.id.clone(),
            deployment_id: job.deployment_id.to_string(),
            repository: job.repository.to_string(),
            reason,
            receive_count: message.receive_count,
        };
        Decision::Move(Box::new((item, job)))
    }

    async fn move_one(
        &self,
        item: ReplayItem,
        job: &InspectionJob,
        body: &str,
        receipt: &str,
        report: &mut ReplayReport,
        kept: &mut Vec<String>,
    ) {
        let back = StatusChange::to(DeploymentStatus::Inspecting);
        match self.store.transition(job.deployment_id, DeploymentStatus::Failed, back).await {
            // INSPECTING already: an earlier replay stopped after this step; finish its work.
            Ok(_) | Err(StoreError::Conflict { actual: DeploymentStatus::Inspecting, .. }) => {}
            Err(StoreError::Conflict { actual, .. }) => {
                // Settled since: the dead-letter copy has nothing left to do.
                report.skipped.push(format!(
                    "{}: deployment is {actual}; dead-letter copy removed",
                    item.message_id
                ));
                self.delete(receipt, job.deployment_id, report).await;
                return;
            }
            Err(source) => {
                report.errors.push(ReplayError::Reopen { deployment: job.deployment_id, source });
                kept.push(receipt.to_owned());
                return;
            }
        }
        // The body as it came, never re-encoded; the dead-letter copy is deleted only after
        // the send succeeded.
        if let Err(source) = self.main.send(body).await {
            report.errors.push(ReplayError::Send { deployment: job.deployment_id, source });
            kept.push(receipt.to_owned());
            return;
        }
        self.delete(receipt, job.deployment_id, report).await;
        report.moved.push(item);
    }

    async fn delete(&self, receipt: &str, deployment: DeploymentId, report: &mut ReplayReport) {
        if let Err(source) = self.dlq.delete(receipt).await {
            // The job was re-sent; the copy left behind is a duplicate the worker absorbs.
            report.errors.push(ReplayError::Delete { deployment, source });
        }
    }

    /// Makes every message the replay held visible again.
    async fn release(&self, receipts: Vec<String>) {
        for receipt in receipts {
            if let Err(e) = self.dlq.change_visibility(&receipt, Duration::ZERO).await {
                tracing::warn!(error = %Chain(&e), "a held message stays hidden until its timeout");
            }
        }
    }
}

/// Parses a time for `--since`/`--until`: RFC 3339, or an age such as `90m`, `6h`, `2d`.
pub fn parse_time(value: &str) -> Result<DateTime<Utc>, TimeError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Ok(t.with_timezone(&Utc));
    }
    let (number, unit) = value.split_at(value.len().saturating_sub(1));
    let amount: i64 = number.parse().map_err(|_| TimeError(value.to_owned()))?;
    let age = match unit {
        "s" => chrono::Duration::seconds(amount),
        "m" => chrono::Duration::minutes(amount),
        "h" => chrono::Duration::hours(amount),
        "d" => chrono::Duration::days(amount),
        _ => return Err(TimeError(value.to_owned())),
    };
    Ok(Utc::now() - age)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_as_rfc3339_or_as_ages() {
        let t = parse_time("2026-11-26T07:00:00Z").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-26T07:00:00+00:00");
        let two_hours_ago = parse_time("2h").unwrap();
        let drift = (Utc::now() - chrono::Duration::hours(2) - two_hours_ago).num_seconds().abs();
        assert!(drift <= 1);
        for bad in ["", "h", "2x", "yesterday"] {
            assert!(parse_time(bad).is_err(), "{bad:?}");
        }
    }
}
