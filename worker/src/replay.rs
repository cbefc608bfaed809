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

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::{Message, MessageSystemAttributeName};
use chrono::{DateTime, TimeZone, Utc};
use whaleray_shared::aws::aws_error;
use whaleray_shared::error::StoreError;
use whaleray_shared::job::InspectionJob;
use whaleray_shared::ports::{DeploymentStore, JobQueue};
use whaleray_shared::{DeploymentId, DeploymentStatus, StatusChange};

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
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct ReplayReport {
    /// Messages moved back to the main queue (or that would be, in a dry run).
    pub moved: Vec<ReplayItem>,
    /// Messages left or removed, with the reason.
    pub skipped: Vec<String>,
    /// Failures, one line each; the messages concerned stay in the dead-letter queue.
    pub errors: Vec<String>,
}

/// A step of the replay, for a progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Another message was examined.
    Examined,
    /// Another message was moved.
    Moved,
}

/// Replays one dead-letter queue into the main queue.
pub struct Replayer {
    /// The SQS client for the dead-letter queue.
    pub sqs: Client,
    /// The dead-letter queue's URL.
    pub dlq_url: String,
    /// The main queue.
    pub main: Arc<dyn JobQueue>,
    /// The deployments table.
    pub store: Arc<dyn DeploymentStore>,
    /// How long received messages stay hidden while the replay runs.
    pub hold: Duration,
}

enum Decision {
    Move(Box<(ReplayItem, InspectionJob)>),
    Keep(Option<String>),
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
                let (Some(id), Some(receipt)) =
                    (message.message_id.clone(), message.receipt_handle.clone())
                else {
                    continue;
                };
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
                            self.move_one(item, &job, &receipt, &mut report, &mut kept).await;
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
                }
                if options.max.is_some_and(|max| selected >= max) && !options.dry_run {
                    break 'receive;
                }
            }
        }
        self.release(kept).await;
        report
    }

    async fn receive(&self) -> Result<Vec<Message>, String> {
        let output = self
            .sqs
            .receive_message()
            .queue_url(&self.dlq_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .visibility_timeout(i32::try_from(self.hold.as_secs()).unwrap_or(120))
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .map_err(|e| {
                format!(
                    "receiving from the dead-letter queue: {}",
                    aws_error("sqs:ReceiveMessage", e)
                )
            })?;
        Ok(output.messages.unwrap_or_default())
    }

    async fn decide(&self, message: &Message, options: &ReplayOptions) -> Decision {
        let body = message.body.as_deref().unwrap_or_default();
        let job = match InspectionJob::from_json(body) {
            Ok(job) => job,
            Err(e) => {
                return Decision::Keep(Some(format!("unreadable message left in place ({e})")));
            }
        };
        if !options.deployments.is_empty() && !options.deployments.contains(&job.deployment_id) {
            return Decision::Keep(None);
        }
        let sent = attribute(message, MessageSystemAttributeName::SentTimestamp)
            .and_then(|ms| ms.parse::<i64>().ok())
            .and_then(|ms| Utc.timestamp_millis_opt(ms).single());
        let in_window = sent.is_none_or(|sent| {
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
            Err(e) => {
                return Decision::Keep(Some(format!(
                    "reading deployment {}: {e}",
                    job.deployment_id
                )));
            }
        };
        let item = ReplayItem {
            message_id: message.message_id.clone().unwrap_or_default(),
            deployment_id: job.deployment_id.to_string(),
            repository: job.repository.to_string(),
            reason,
            receive_count: attribute(message, MessageSystemAttributeName::ApproximateReceiveCount)
                .and_then(|c| c.parse().ok())
                .unwrap_or(0),
        };
        Decision::Move(Box::new((item, job)))
    }

    async fn move_one(
        &self,
        item: ReplayItem,
        job: &InspectionJob,
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
                self.delete(receipt, &item, report).await;
                return;
            }
            Err(e) => {
                report.errors.push(format!("{}: {e}", item.deployment_id));
                kept.push(receipt.to_owned());
                return;
            }
        }
        if let Err(e) = self.main.send(job).await {
            report.errors.push(format!("{}: sending to the main queue: {e}", item.deployment_id));
            kept.push(receipt.to_owned());
            return;
        }
        self.delete(receipt, &item, report).await;
        report.moved.push(item);
    }

    async fn delete(&self, receipt: &str, item: &ReplayItem, report: &mut ReplayReport) {
        let deleted =
            self.sqs.delete_message().queue_url(&self.dlq_url).receipt_handle(receipt).send().await;
        if let Err(e) = deleted {
            // The job was re-sent; the copy left behind is a duplicate the worker absorbs.
            report.errors.push(format!(
                "{}: re-sent but the dead-letter copy was not deleted: {}",
                item.deployment_id,
                aws_error("sqs:DeleteMessage", e)
            ));
        }
    }

    /// Makes every message the replay held visible again.
    async fn release(&self, receipts: Vec<String>) {
        for receipt in receipts {
            let released = self
                .sqs
                .change_message_visibility()
                .queue_url(&self.dlq_url)
                .receipt_handle(receipt)
                .visibility_timeout(0)
                .send()
                .await;
            if let Err(e) = released {
                tracing::warn!(error = ?aws_error("sqs:ChangeMessageVisibility", e), "a held message stays hidden until its timeout");
            }
        }
    }
}

fn attribute(message: &Message, name: MessageSystemAttributeName) -> Option<&str> {
    message.attributes.as_ref()?.get(&name).map(String::as_str)
}

/// Parses a time for `--since`/`--until`: RFC 3339, or an age such as `90m`, `6h`, `2d`.
pub fn parse_time(value: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Ok(t.with_timezone(&Utc));
    }
    let (number, unit) = value.split_at(value.len().saturating_sub(1));
    let amount: i64 = number
        .parse()
        .map_err(|_| format!("{value:?} is neither RFC 3339 nor an age like 90m, 6h, 2d"))?;
    let age = match unit {
        "s" => chrono::Duration::seconds(amount),
        "m" => chrono::Duration::minutes(amount),
        "h" => chrono::Duration::hours(amount),
        "d" => chrono::Duration::days(amount),
        _ => {
            return Err(format!("{value:?} is neither RFC 3339 nor an age like 90m, 6h, 2d"));
        }
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
