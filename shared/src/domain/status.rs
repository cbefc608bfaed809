//! The deployment status state machine: every allowed transition is listed here, once.

use std::fmt;
use std::str::FromStr;

use super::DomainError;

/// Where a deployment stands. Serialised as exactly these upper-case strings, which the
/// front end knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeploymentStatus {
    /// The repository is being read and its framework detected.
    Inspecting,
    /// A CodeBuild build was started for it.
    Building,
    /// Detection found nothing WhaleRay builds.
    NotSupported,
    /// Something went wrong in the pipeline itself; the record's reason says what.
    Failed,
    /// The build ran to its end and succeeded.
    Succeeded,
    /// The build ended without success: a phase failed, it timed out, or CodeBuild itself
    /// faulted. The record names the phase, the reason and the build's logs.
    BuildFailed,
    /// The owner canceled it (while INSPECTING or FAILED, or BUILDING with the build stopped).
    Canceled,
}

impl DeploymentStatus {
    /// Every status, in the order a deployment usually meets them.
    pub const ALL: [Self; 7] = [
        Self::Inspecting,
        Self::Building,
        Self::NotSupported,
        Self::Failed,
        Self::Succeeded,
        Self::BuildFailed,
        Self::Canceled,
    ];

    /// The wire and storage spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Inspecting => "INSPECTING",
            Self::Building => "BUILDING",
            Self::NotSupported => "NOT_SUPPORTED",
            Self::Failed => "FAILED",
            Self::Succeeded => "SUCCEEDED",
            Self::BuildFailed => "BUILD_FAILED",
            Self::Canceled => "CANCELED",
        }
    }

    /// The state machine: INSPECTING → BUILDING | NOT_SUPPORTED | FAILED | CANCELED,
    /// BUILDING → SUCCEEDED | BUILD_FAILED | CANCELED, FAILED → INSPECTING when an operator
    /// replays the job, and FAILED → CANCELED when its owner cancels it (a replay then drops
    /// it). NOT_SUPPORTED, SUCCEEDED, BUILD_FAILED and CANCELED never move.
    pub fn can_transition_to(self, to: Self) -> bool {
        use DeploymentStatus::*;
        matches!(
            (self, to),
            (Inspecting, Building | NotSupported | Failed | Canceled)
                | (Building, Succeeded | BuildFailed | Canceled)
                | (Failed, Inspecting | Canceled)
        )
    }

    /// Checks a transition, naming both ends when it is not allowed.
    pub fn check_transition(self, to: Self) -> Result<(), DomainError> {
        if self.can_transition_to(to) {
            Ok(())
        } else {
            Err(DomainError::Transition { from: self, to })
        }
    }

    /// Whether no transition ever leaves this status (FAILED is not final: an operator's
    /// replay moves it back to INSPECTING).
    pub fn is_final(self) -> bool {
        matches!(self, Self::NotSupported | Self::Succeeded | Self::BuildFailed | Self::Canceled)
    }
}

impl fmt::Display for DeploymentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DeploymentStatus {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| DomainError::Status(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::DeploymentStatus::*;
    use super::*;

    #[test]
    fn only_the_documented_transitions_are_allowed() {
        let allowed = [
            (Inspecting, Building),
            (Inspecting, NotSupported),
            (Inspecting, Failed),
            (Inspecting, Canceled),
            (Building, Succeeded),
            (Building, BuildFailed),
            (Building, Canceled),
            (Failed, Inspecting),
            (Failed, Canceled),
        ];
        for from in DeploymentStatus::ALL {
            for to in DeploymentStatus::ALL {
                let expected = allowed.contains(&(from, to));
                assert_eq!(from.can_transition_to(to), expected, "{from} -> {to}");
                assert_eq!(from.check_transition(to).is_ok(), expected);
            }
        }
    }

    #[test]
    fn statuses_round_trip_through_their_exact_strings() {
        let spelled: Vec<_> = DeploymentStatus::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(
            spelled,
            [
                "INSPECTING",
                "BUILDING",
                "NOT_SUPPORTED",
                "FAILED",
                "SUCCEEDED",
                "BUILD_FAILED",
                "CANCELED"
            ]
        );
        for status in DeploymentStatus::ALL {
            assert_eq!(status.as_str().parse::<DeploymentStatus>(), Ok(status));
        }
        assert!("building".parse::<DeploymentStatus>().is_err());
    }

    #[test]
    fn final_statuses_never_move() {
        for from in DeploymentStatus::ALL.into_iter().filter(|s| s.is_final()) {
            for to in DeploymentStatus::ALL {
                assert!(!from.can_transition_to(to), "{from} -> {to}");
            }
        }
        let finals: Vec<_> = DeploymentStatus::ALL.into_iter().filter(|s| s.is_final()).collect();
        assert_eq!(finals, [NotSupported, Succeeded, BuildFailed, Canceled]);
    }
}
