//! How a finished build ended, as CodeBuild reported it: the facts a BUILD_FAILED (or
//! SUCCEEDED) deployment keeps so its owner can find out why.

use super::DeploymentStatus;

/// CodeBuild's status of a build (`buildStatus` in `BatchGetBuilds`, `build-status` in the
/// "CodeBuild Build State Change" event).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BuildState {
    /// Still running (or queued).
    InProgress,
    /// Every phase succeeded.
    Succeeded,
    /// A phase failed: the user's code or configuration.
    Failed,
    /// CodeBuild itself failed.
    Fault,
    /// The build ran past its timeout.
    TimedOut,
    /// Someone called StopBuild.
    Stopped,
}

impl BuildState {
    /// CodeBuild's spelling; `None` for a value CodeBuild does not document.
    pub fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "IN_PROGRESS" => Self::InProgress,
            "SUCCEEDED" => Self::Succeeded,
            "FAILED" => Self::Failed,
            "FAULT" => Self::Fault,
            "TIMED_OUT" => Self::TimedOut,
            "STOPPED" => Self::Stopped,
            _ => return None,
        })
    }

    /// CodeBuild's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InProgress => "IN_PROGRESS",
            Self::Succeeded => "SUCCEEDED",
            Self::Failed => "FAILED",
            Self::Fault => "FAULT",
            Self::TimedOut => "TIMED_OUT",
            Self::Stopped => "STOPPED",
        }
    }

    /// The deployment status a build in this state leads to, `None` while it runs.
    ///
    /// FAILED, TIMED_OUT and FAULT all end as BUILD_FAILED (the reason says which): the
    /// build ran with pinned inputs and ended, so an operator's replay (FAILED → INSPECTING)
    /// would not help; a redeploy starts a fresh build. STOPPED ends as CANCELED.
    pub fn deployment_status(self) -> Option<DeploymentStatus> {
        match self {
            Self::InProgress => None,
            Self::Succeeded => Some(DeploymentStatus::Succeeded),
            Self::Failed | Self::Fault | Self::TimedOut => Some(DeploymentStatus::BuildFailed),
            Self::Stopped => Some(DeploymentStatus::Canceled),
        }
    }
}

/// Where a build's logs are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildLogs {
    /// The CloudWatch Logs group.
    pub group: String,
    /// The CloudWatch Logs stream.
    pub stream: String,
    /// The console link to the stream, as CodeBuild gives it (`deepLink`).
    pub link: Option<String>,
}

/// How a finished build ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildOutcome {
    /// CodeBuild's final status.
    pub state: BuildState,
    /// The phase that did not succeed (`BUILD`, `INSTALL`, ...), if one did not.
    pub failed_phase: Option<String>,
    /// The build's logs, when CodeBuild reported them.
    pub logs: Option<BuildLogs>,
}

impl BuildOutcome {
    /// The reason a user reads on a BUILD_FAILED or CANCELED deployment; `None` on success.
    /// `message` is the failing phase's context message, when CodeBuild gave one.
    pub fn reason(&self, message: Option<&str>) -> Option<String> {
        let phase = self.failed_phase.as_deref().unwrap_or("an unknown phase");
        let what = match self.state {
            BuildState::InProgress | BuildState::Succeeded => return None,
            BuildState::Failed => format!("the build failed in {phase}"),
            BuildState::TimedOut => format!("the build timed out in {phase}"),
            BuildState::Fault => {
                format!("CodeBuild faulted in {phase} (not your code); deploy again")
            }
            BuildState::Stopped => format!("the build was stopped in {phase}"),
        };
        Some(match message.map(str::trim).filter(|m| !m.is_empty()) {
            Some(message) => format!("{what}: {message}"),
            None => what,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_build_state_round_trips_and_maps_to_its_deployment_status() {
        use DeploymentStatus::*;
        let cases = [
            ("IN_PROGRESS", None),
            ("SUCCEEDED", Some(Succeeded)),
            ("FAILED", Some(BuildFailed)),
            ("FAULT", Some(BuildFailed)),
            ("TIMED_OUT", Some(BuildFailed)),
            ("STOPPED", Some(Canceled)),
        ];
        for (spelled, status) in cases {
            let state = BuildState::parse(spelled).unwrap();
            assert_eq!(state.as_str(), spelled);
            assert_eq!(state.deployment_status(), status, "{spelled}");
        }
        assert_eq!(BuildState::parse("failed"), None);
    }

    #[test]
    fn the_reason_names_the_state_the_phase_and_the_message() {
        let outcome =
            |state| BuildOutcome { state, failed_phase: Some("BUILD".into()), logs: None };
        let failed = outcome(BuildState::Failed).reason(Some("COMMAND_EXECUTION_ERROR: exit 1"));
        assert_eq!(
            failed.as_deref(),
            Some("the build failed in BUILD: COMMAND_EXECUTION_ERROR: exit 1")
        );
        let timed_out = outcome(BuildState::TimedOut).reason(Some("  "));
        assert_eq!(timed_out.as_deref(), Some("the build timed out in BUILD"));
        assert!(outcome(BuildState::Fault).reason(None).unwrap().contains("CodeBuild faulted"));
        assert_eq!(outcome(BuildState::Succeeded).reason(Some("x")), None);
    }
}
