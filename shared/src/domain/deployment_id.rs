//! The deployment and project ids: ULIDs, so ids sort by creation time.

use std::fmt;
use std::str::FromStr;

use ulid::Ulid;

use super::DomainError;

/// Defines a ULID identifier type: generated now, parsed from its canonical 26-character form
/// (Crockford base32, case-insensitive), displayed canonically; lexicographic order is
/// creation order.
macro_rules! ulid_id {
    ($(#[$doc:meta])* $name:ident, $error:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Ulid);

        impl $name {
            /// A fresh id, created now.
            pub fn generate() -> Self {
                Self(Ulid::new())
            }

            /// Parses the canonical 26-character form (Crockford base32, case-insensitive).
            pub fn parse(value: &str) -> Result<Self, DomainError> {
                if value.len() != ulid::ULID_LEN {
                    return Err(DomainError::$error(value.to_owned()));
                }
                Ulid::from_string(value).map(Self).map_err(|_| DomainError::$error(value.to_owned()))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }

        impl FromStr for $name {
            type Err = DomainError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
    };
}

ulid_id!(
    /// Identifies one deployment. Lexicographic order is creation order.
    DeploymentId,
    DeploymentId
);

ulid_id!(
    /// Identifies one project (a repository a user connected). Lexicographic order is creation
    /// order.
    ProjectId,
    ProjectId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_round_trip_through_their_text_form() {
        let id = DeploymentId::generate();
        assert_eq!(DeploymentId::parse(&id.to_string()), Ok(id));
        let project = ProjectId::generate();
        assert_eq!(ProjectId::parse(&project.to_string().to_lowercase()), Ok(project));
    }

    #[test]
    fn later_ids_sort_after_earlier_ones() {
        let first = DeploymentId::generate();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let second = DeploymentId::generate();
        assert!(first.to_string() < second.to_string());
    }

    #[test]
    fn parse_rejects_wrong_length_and_alphabet() {
        for bad in
            ["", "abc", "01ARZ3NDEKTSV4RRFFQ69G5FAVX", "01ARZ3NDEKTSV4RRFFQ69G5FU!", "../../etc"]
        {
            assert!(DeploymentId::parse(bad).is_err(), "{bad:?} accepted");
            assert!(ProjectId::parse(bad).is_err(), "{bad:?} accepted as a project id");
        }
    }
}
