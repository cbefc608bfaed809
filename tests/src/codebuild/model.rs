//! One fake build and how it moves through CodeBuild's phases as time passes. Pure: every
//! answer is computed from the build's start, its script and the time asked about.

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

/// The phases of a build, in order.
pub(crate) const PHASES: [&str; 11] = [
    "SUBMITTED",
    "QUEUED",
    "PROVISIONING",
    "DOWNLOAD_SOURCE",
    "INSTALL",
    "PRE_BUILD",
    "BUILD",
    "POST_BUILD",
    "UPLOAD_ARTIFACTS",
    "FINALIZING",
    "COMPLETED",
];

/// How a fake build ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every phase succeeds.
    Succeed,
    /// The named phase (`INSTALL`, `BUILD`, `DOWNLOAD_SOURCE`, ...) fails with `message`;
    /// FINALIZING and COMPLETED follow, and the build is FAILED.
    Fail {
        /// The failing phase.
        phase: &'static str,
        /// The phase context message, as CodeBuild reports it.
        message: String,
    },
    /// The BUILD phase runs until the build's timeout, then the build is TIMED_OUT.
    TimeOut,
}

/// How long the phases of a fake build take.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// Time in QUEUED.
    pub queued: std::time::Duration,
    /// Time in each later phase.
    pub phase: std::time::Duration,
}

impl Default for Timing {
    /// About two seconds from start to end.
    fn default() -> Self {
        Self {
            queued: std::time::Duration::from_millis(300),
            phase: std::time::Duration::from_millis(200),
        }
    }
}

/// A build as the fake stores it.
#[derive(Debug, Clone)]
pub(crate) struct FakeBuild {
    pub id: String,
    pub arn: String,
    pub number: u64,
    pub project: String,
    pub started: DateTime<Utc>,
    pub stopped: Option<DateTime<Utc>>,
    pub verdict: Verdict,
    pub timing: Timing,
    pub timeout_minutes: i64,
    pub queued_timeout_minutes: i64,
    pub source: Value,
    pub source_version: Option<String>,
    pub environment_variables: Value,
    pub initiator: String,
}

/// One phase as it stands at some moment.
#[derive(Debug, Clone)]
struct Span {
    phase: &'static str,
    start: DateTime<Utc>,
    end: Option<DateTime<Utc>>,
    status: Option<&'static str>,
    message: Option<String>,
}

fn span(phase: &'static str, start: DateTime<Utc>, length: Duration) -> Span {
    Span { phase, start, end: Some(start + length), status: Some("SUCCEEDED"), message: None }
}

fn duration(d: std::time::Duration) -> Duration {
    Duration::from_std(d).unwrap_or(Duration::zero())
}

impl FakeBuild {
    /// Every phase the build will go through if nothing stops it, with its end.
    fn script(&self) -> Vec<Span> {
        let (queued, step) = (duration(self.timing.queued), duration(self.timing.phase));
        let mut spans = vec![span("SUBMITTED", self.started, Duration::zero())];
        spans.push(span("QUEUED", self.started, queued));
        let mut at = self.started + queued;
        let mut failed = None;
        for phase in &PHASES[2..9] {
            let mut current = span(phase, at, step);
            match &self.verdict {
                Verdict::Fail { phase: failing, message } if failing == phase => {
                    current.status = Some("FAILED");
                    current.message = Some(message.clone());
                    failed = Some("FAILED");
                }
                Verdict::TimeOut if *phase == "BUILD" => {
                    let end = self.started + queued + Duration::minutes(self.timeout_minutes);
                    current.end = Some(end.max(at + step));
                    current.status = Some("TIMED_OUT");
                    current.message = Some("Build has timed out".into());
                    failed = Some("TIMED_OUT");
                }
                _ => {}
            }
            at = current.end.unwrap_or(at);
            spans.push(current);
            if failed.is_some() {
                break;
            }
        }
        spans.push(span("FINALIZING", at, step));
        spans.push(Span {
            phase: "COMPLETED",
            start: at + step,
            end: None,
            status: None,
            message: None,
        });
        spans
    }

    /// The phases as they stand at `now`: the script cut at `now`, and at a stop.
    fn phases_at(&self, now: DateTime<Utc>) -> Vec<Span> {
        let step = duration(self.timing.phase);
        let mut spans = self.script();
        if let Some(stopped) = self.stopped
            && let Some(index) = spans.iter().position(|s| s.end.is_none_or(|end| end > stopped))
            && spans[index].phase != "COMPLETED"
        {
            // The phase running at the stop ends STOPPED a moment later, then FINALIZING.
            spans.truncate(index + 1);
            let last = &mut spans[index];
            let end = stopped + step;
            last.end = Some(end);
            last.status = Some("STOPPED");
            last.message = Some("Build was stopped".into());
            spans.push(span("FINALIZING", end, step));
            spans.push(Span {
                phase: "COMPLETED",
                start: end + step,
                end: None,
                status: None,
                message: None,
            });
        }
        spans.retain(|s| s.start <= now);
        if let Some(last) = spans.last_mut()
            && last.end.is_some_and(|end| end > now)
        {
            last.end = None;
            last.status = None;
            last.message = None;
        }
        spans
    }

    /// The build status at `now`: IN_PROGRESS until COMPLETED starts.
    pub fn status_at(&self, now: DateTime<Utc>) -> &'static str {
        let spans = self.phases_at(now);
        if spans.last().is_none_or(|s| s.phase != "COMPLETED") {
            return "IN_PROGRESS";
        }
        spans.iter().filter_map(|s| s.status).find(|s| *s != "SUCCEEDED").unwrap_or("SUCCEEDED")
    }

    /// The phase under way at `now`.
    pub fn current_phase_at(&self, now: DateTime<Utc>) -> &'static str {
        self.phases_at(now).last().map_or("SUBMITTED", |s| s.phase)
    }

    /// The log stream name (the build id's part after the project).
    fn stream(&self) -> &str {
        self.id.rsplit(':').next().unwrap_or(&self.id)
    }

    /// The build in `BatchGetBuilds`' shape at `now`.
    pub fn to_json(&self, now: DateTime<Utc>, region: &str) -> Value {
        let secs = |t: DateTime<Utc>| t.timestamp_millis() as f64 / 1000.0;
        let spans = self.phases_at(now);
        let status = self.status_at(now);
        let complete = status != "IN_PROGRESS";
        let phases: Vec<Value> = spans
            .iter()
            .map(|s| {
                let mut phase = json!({ "phaseType": s.phase, "startTime": secs(s.start) });
                if let (Some(end), Some(status)) = (s.end, s.status) {
                    phase["endTime"] = json!(secs(end));
                    phase["durationInSeconds"] = json!((end - s.start).num_seconds());
                    phase["phaseStatus"] = json!(status);
                    let contexts = match &s.message {
                        Some(m) => json!([{ "statusCode": status, "message": m }]),
                        None => json!([{ "statusCode": "", "message": "" }]),
                    };
                    phase["contexts"] = contexts;
                }
                phase
            })
            .collect();
        let group = format!("/aws/codebuild/{}", self.project);
        let mut build = json!({
            "id": self.id,
            "arn": self.arn,
            "buildNumber": self.number,
            "startTime": secs(self.started),
            "currentPhase": self.current_phase_at(now),
            "buildStatus": status,
            "buildComplete": complete,
            "projectName": self.project,
            "phases": phases,
            "source": self.source,
            "initiator": self.initiator,
            "timeoutInMinutes": self.timeout_minutes,
            "queuedTimeoutInMinutes": self.queued_timeout_minutes,
            "environment": {
                "type": "LINUX_CONTAINER",
                "image": "aws/codebuild/standard:7.0",
                "computeType": "BUILD_GENERAL1_SMALL",
                "environmentVariables": self.environment_variables,
            },
            "logs": {
                "groupName": group,
                "streamName": self.stream(),
                "deepLink": format!(
                    "https://console.aws.amazon.com/cloudwatch/home?region={region}#logEvent:group={group};stream={}",
                    self.stream()
                ),
            },
        });
        if let Some(version) = &self.source_version {
            build["sourceVersion"] = json!(version);
        }
        if complete && let Some(last) = spans.last() {
            build["endTime"] = json!(secs(last.start));
        }
        build
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(verdict: Verdict) -> FakeBuild {
        FakeBuild {
            id: "p:1".into(),
            arn: "arn:aws:codebuild:us-east-1:123456789012:build/p:1".into(),
            number: 1,
            project: "p".into(),
            started: Utc::now(),
            stopped: None,
            verdict,
            timing: Timing {
                queued: std::time::Duration::from_secs(10),
                phase: std::time::Duration::from_secs(1),
            },
            timeout_minutes: 60,
            queued_timeout_minutes: 480,
            source: json!({ "type": "NO_SOURCE" }),
            source_version: None,
            environment_variables: json!([]),
            initiator: "test".into(),
        }
    }

    #[test]
    fn a_build_is_queued_then_in_progress_then_succeeds() {
        let b = build(Verdict::Succeed);
        let at = |s: i64| b.started + Duration::seconds(s);
        assert_eq!(b.current_phase_at(at(5)), "QUEUED");
        assert_eq!(b.status_at(at(5)), "IN_PROGRESS");
        assert_eq!(b.current_phase_at(at(12)), "INSTALL");
        assert_eq!(b.status_at(at(60)), "SUCCEEDED");
        assert_eq!(b.current_phase_at(at(60)), "COMPLETED");
    }

    #[test]
    fn a_failing_phase_fails_the_build_and_names_the_phase() {
        let b = build(Verdict::Fail { phase: "BUILD", message: "exit status 1".into() });
        let json = b.to_json(b.started + Duration::minutes(5), "us-east-1");
        assert_eq!(json["buildStatus"], "FAILED");
        let failed: Vec<_> = json["phases"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["phaseStatus"] == "FAILED")
            .map(|p| p["phaseType"].clone())
            .collect();
        assert_eq!(failed, vec![json!("BUILD")]);
        assert!(json["phases"].as_array().unwrap().iter().all(|p| p["phaseType"] != "POST_BUILD"));
    }

    #[test]
    fn a_timed_out_build_runs_until_its_timeout() {
        let b = build(Verdict::TimeOut);
        assert_eq!(b.status_at(b.started + Duration::minutes(30)), "IN_PROGRESS");
        assert_eq!(b.status_at(b.started + Duration::minutes(62)), "TIMED_OUT");
    }

    #[test]
    fn a_stop_ends_the_running_phase_stopped() {
        let mut b = build(Verdict::Succeed);
        b.stopped = Some(b.started + Duration::seconds(3));
        assert_eq!(b.status_at(b.started + Duration::seconds(3)), "IN_PROGRESS");
        let json = b.to_json(b.started + Duration::seconds(30), "us-east-1");
        assert_eq!(json["buildStatus"], "STOPPED");
        assert_eq!(json["phases"][1]["phaseStatus"], "STOPPED", "{json}");
    }
}
