//! "CodeBuild Build State Change" events in EventBridge's shape, and the faults EventBridge's
//! best-effort delivery allows: lost, repeated and late events.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::model::FakeBuild;

/// Which emitted events are dropped, repeated or held back. Counts are over every event the
/// fake emits, starting at 1; `None` disables a fault.
#[derive(Debug, Clone, Copy, Default)]
pub struct EventFaults {
    /// Every n-th event is never delivered.
    pub drop_every: Option<u64>,
    /// Every n-th event is delivered twice.
    pub duplicate_every: Option<u64>,
    /// Every n-th event is delivered after the event that follows it.
    pub reorder_every: Option<u64>,
}

/// The delivery side: applies the faults and keeps what is delivered.
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    pub faults: EventFaults,
    emitted: u64,
    held: Option<Value>,
    pub delivered: Vec<Value>,
    pub dropped: u64,
}

impl Outbox {
    /// An empty outbox applying `faults`.
    pub fn new(faults: EventFaults) -> Self {
        Self { faults, ..Self::default() }
    }
}

fn every(n: Option<u64>, count: u64) -> bool {
    n.is_some_and(|n| n > 0 && count.is_multiple_of(n))
}

impl Outbox {
    /// Emits one event through the faults.
    pub fn emit(&mut self, event: Value) {
        self.emitted += 1;
        let n = self.emitted;
        if every(self.faults.drop_every, n) {
            self.dropped += 1;
            return;
        }
        if every(self.faults.reorder_every, n) && self.held.is_none() {
            self.held = Some(event);
            return;
        }
        if every(self.faults.duplicate_every, n) {
            self.delivered.push(event.clone());
        }
        self.delivered.push(event);
        if let Some(held) = self.held.take() {
            self.delivered.push(held);
        }
    }

    /// Releases an event held back for reordering when nothing else follows it.
    pub fn flush(&mut self) {
        if let Some(held) = self.held.take() {
            self.delivered.push(held);
        }
    }
}

/// The event EventBridge delivers when `build` reaches `status`.
pub(crate) fn state_change(
    build: &FakeBuild,
    status: &str,
    now: DateTime<Utc>,
    region: &str,
    account: &str,
) -> Value {
    let detail = build.to_json(now, region);
    json!({
        "version": "0",
        "id": ulid::Ulid::new().to_string().to_ascii_lowercase(),
        "detail-type": "CodeBuild Build State Change",
        "source": "aws.codebuild",
        "account": account,
        "time": now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "region": region,
        "resources": [build.arn],
        "detail": {
            "build-status": status,
            "project-name": build.project,
            "build-id": build.arn,
            "current-phase": detail["currentPhase"],
            "current-phase-context": "[]",
            "version": "1",
            "additional-information": {
                "build-complete": status != "IN_PROGRESS",
                "initiator": build.initiator,
                "build-start-time": now.format("%b %-d, %Y %-I:%M:%S %p").to_string(),
                "source": detail["source"],
                "source-version": detail["sourceVersion"],
                "environment": {
                    "image": detail["environment"]["image"],
                    "compute-type": detail["environment"]["computeType"],
                    "type": detail["environment"]["type"],
                    "environment-variables": detail["environment"]["environmentVariables"],
                },
                "timeout-in-minutes": build.timeout_minutes,
                "queued-timeout-in-minutes": build.queued_timeout_minutes,
                "logs": {
                    "group-name": detail["logs"]["groupName"],
                    "stream-name": detail["logs"]["streamName"],
                    "deep-link": detail["logs"]["deepLink"],
                },
                "phases": detail["phases"],
            },
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deliver(faults: EventFaults, n: u64) -> Vec<u64> {
        let mut outbox = Outbox { faults, ..Outbox::default() };
        for i in 1..=n {
            outbox.emit(json!(i));
        }
        outbox.flush();
        outbox.delivered.iter().filter_map(Value::as_u64).collect()
    }

    #[test]
    fn faults_drop_repeat_and_reorder_the_chosen_events() {
        assert_eq!(deliver(EventFaults::default(), 4), vec![1, 2, 3, 4]);
        let drop = EventFaults { drop_every: Some(2), ..EventFaults::default() };
        assert_eq!(deliver(drop, 4), vec![1, 3]);
        let twice = EventFaults { duplicate_every: Some(3), ..EventFaults::default() };
        assert_eq!(deliver(twice, 4), vec![1, 2, 3, 3, 4]);
        let late = EventFaults { reorder_every: Some(2), ..EventFaults::default() };
        assert_eq!(deliver(late, 5), vec![1, 3, 2, 5, 4]);
    }
}
