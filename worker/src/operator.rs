//! Operator commands' logic and their text output: dead-letter replay, the stall sweep, and
//! queue status.

use std::io::{self, Write};

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName};
use chrono::{TimeZone, Utc};
use whaleray_shared::aws::aws_error;
use whaleray_shared::error::{AwsError, Chain, StoreError};
use whaleray_shared::ports::DeploymentStore;

use crate::replay::ReplayReport;
use crate::sweep::SweepReport;

/// Writes a replay report: the table of selected messages, then one summary line.
pub fn write_replay(out: &mut dyn Write, report: &ReplayReport, dry_run: bool) -> io::Result<()> {
    if !report.moved.is_empty() {
        writeln!(out, "{:<26}  {:<40}  {:>8}  REASON", "DEPLOYMENT", "REPOSITORY", "RECEIVES")?;
        for item in &report.moved {
            let reason = item.reason.as_deref().unwrap_or("-");
            writeln!(
                out,
                "{:<26}  {:<40}  {:>8}  {reason}",
                item.deployment_id, item.repository, item.receive_count
            )?;
        }
    }
    for line in &report.skipped {
        writeln!(out, "skipped {line}")?;
    }
    for error in &report.errors {
        writeln!(out, "error {}", whaleray_shared::error::Chain(error))?;
    }
    let verb = if dry_run { "would move" } else { "moved" };
    writeln!(
        out,
        "{verb} {}, skipped {}, errors {}",
        report.moved.len(),
        report.skipped.len(),
        report.errors.len()
    )
}

/// Writes a sweep report as one line per action and a summary line.
pub fn write_sweep(out: &mut dyn Write, report: &SweepReport) -> io::Result<()> {
    for id in &report.requeued {
        writeln!(out, "requeued {id}")?;
    }
    for id in &report.failed {
        writeln!(out, "failed {id}")?;
    }
    for error in &report.errors {
        writeln!(out, "error {}", Chain(error))?;
    }
    writeln!(
        out,
        "requeued {}, failed {}, skipped {}, errors {}",
        report.requeued.len(),
        report.failed.len(),
        report.skipped.len(),
        report.errors.len()
    )
}

/// Writes the `queues` table: both queues' depths and their oldest ages.
pub fn write_queues(
    out: &mut dyn Write,
    jobs: &QueueDepth,
    oldest_job: Option<i64>,
    dead: &QueueDepth,
    oldest_dead: Option<i64>,
) -> io::Result<()> {
    writeln!(out, "{:<12} {:>8} {:>9} {:>8}  OLDEST", "QUEUE", "VISIBLE", "IN FLIGHT", "DELAYED")?;
    let row = |name: &str, d: &QueueDepth, age: String| {
        format!("{name:<12} {:>8} {:>9} {:>8}  {age}", d.visible, d.in_flight, d.delayed)
    };
    writeln!(
        out,
        "{}",
        row("jobs", jobs, format!("{} (oldest INSPECTING deployment)", human_age(oldest_job)))
    )?;
    writeln!(out, "{}", row("dead-letter", dead, human_age(oldest_dead)))
}

/// One queue's depth.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueDepth {
    /// Messages ready to receive.
    pub visible: u64,
    /// Messages received and not yet deleted.
    pub in_flight: u64,
    /// Messages sent with a delay that has not passed.
    pub delayed: u64,
}

/// Depth of a queue from its attributes.
pub async fn queue_depth(sqs: &Client, url: &str) -> Result<QueueDepth, AwsError> {
    let attributes = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesDelayed)
        .send()
        .await
        .map_err(|e| aws_error("sqs:GetQueueAttributes", e))?
        .attributes
        .unwrap_or_default();
    let read = |name| attributes.get(&name).and_then(|v| v.parse().ok()).unwrap_or(0);
    Ok(QueueDepth {
        visible: read(QueueAttributeName::ApproximateNumberOfMessages),
        in_flight: read(QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
        delayed: read(QueueAttributeName::ApproximateNumberOfMessagesDelayed),
    })
}

/// The age in seconds of the oldest of up to ten dead-letter messages, peeked without hiding
/// them (the dead-letter queue has no redrive, so the extra receive count is harmless).
pub async fn oldest_dead_letter_age(sqs: &Client, dlq_url: &str) -> Result<Option<i64>, AwsError> {
    let output = sqs
        .receive_message()
        .queue_url(dlq_url)
        .max_number_of_messages(10)
        .visibility_timeout(0)
        // A peek: no long poll, whatever the queue's default wait.
        .wait_time_seconds(0)
        .message_system_attribute_names(MessageSystemAttributeName::SentTimestamp)
        .send()
        .await
        .map_err(|e| aws_error("sqs:ReceiveMessage", e))?;
    let now = Utc::now();
    Ok(output
        .messages()
        .iter()
        .filter_map(|m| {
            m.attributes()?.get(&MessageSystemAttributeName::SentTimestamp)?.parse::<i64>().ok()
        })
        .filter_map(|ms| Utc.timestamp_millis_opt(ms).single())
        .map(|sent| (now - sent).num_seconds())
        .max())
}

/// The age in seconds of the oldest deployment still INSPECTING: how long the main queue's
/// oldest unfinished job has waited (SQS reports that age only as a CloudWatch metric).
pub async fn oldest_inspecting_age(store: &dyn DeploymentStore) -> Result<Option<i64>, StoreError> {
    let stalled = store.list_stalled(Utc::now(), 1).await?;
    Ok(stalled.first().map(|d| (Utc::now() - d.created_at).num_seconds()))
}

/// Formats an age in seconds for people.
pub fn human_age(seconds: Option<i64>) -> String {
    match seconds {
        None => "-".to_owned(),
        Some(s) if s < 120 => format!("{s}s"),
        Some(s) if s < 7200 => format!("{}m", s / 60),
        Some(s) if s < 172_800 => format!("{}h", s / 3600),
        Some(s) => format!("{}d", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::ReplayItem;

    #[test]
    fn a_dry_run_lists_deployment_repository_receives_and_reason() {
        let report = ReplayReport {
            moved: vec![ReplayItem {
                message_id: "m1".into(),
                deployment_id: "01ARZ3NDEKTSV4RRFFQ69G5FAV".into(),
                repository: "acme/site".into(),
                reason: Some("gave up after 5 attempts: GitHub answered 502".into()),
                receive_count: 6,
            }],
            skipped: vec!["m2: unreadable message left in place".into()],
            errors: vec![],
        };
        let mut out = Vec::new();
        write_replay(&mut out, &report, true).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("01ARZ3NDEKTSV4RRFFQ69G5FAV  acme/site"), "{text}");
        assert!(text.contains("GitHub answered 502"));
        assert!(text.lines().last().unwrap().starts_with("would move 1, skipped 1, errors 0"));
    }

    #[test]
    fn ages_read_naturally() {
        assert_eq!(human_age(None), "-");
        assert_eq!(human_age(Some(59)), "59s");
        assert_eq!(human_age(Some(600)), "10m");
        assert_eq!(human_age(Some(3 * 3600)), "3h");
        assert_eq!(human_age(Some(3 * 86_400)), "3d");
    }
}
