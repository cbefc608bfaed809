//! Which frameworks WhaleRay builds: configuration, kept apart from detection so that
//! NOT_SUPPORTED is always a policy answer with a stated reason.

use std::collections::BTreeSet;

use crate::detection::Detection;

/// Frameworks built by default: every preset detection knows except the experimental or
/// special-purpose ones listed in [`NOT_BY_DEFAULT`].
const NOT_BY_DEFAULT: &[&str] = &["container"];

/// Which frameworks WhaleRay builds.
#[derive(Debug, Clone)]
pub struct SupportPolicy {
    allowed: Allowed,
}

#[derive(Debug, Clone)]
enum Allowed {
    All,
    Only(BTreeSet<String>),
}

/// Why a policy list was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The list names a slug detection never produces.
    #[error("unknown framework {0:?} in support policy")]
    UnknownFramework(String),
    /// The list is empty.
    #[error("support policy lists no framework")]
    Empty,
}

impl SupportPolicy {
    /// The default list: every known framework and runtime except those in `NOT_BY_DEFAULT`.
    pub fn default_policy() -> Self {
        let slugs = known_slugs()
            .filter(|s| !NOT_BY_DEFAULT.contains(s))
            .map(str::to_owned);
        Self {
            allowed: Allowed::Only(slugs.collect()),
        }
    }

    /// Parses a comma-separated list of slugs; `*` allows every detected framework.
    pub fn parse(list: &str) -> Result<Self, PolicyError> {
        let mut slugs = BTreeSet::new();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            if item == "*" {
                return Ok(Self {
                    allowed: Allowed::All,
                });
            }
            if !known_slugs().any(|k| k == item) {
                return Err(PolicyError::UnknownFramework(item.to_owned()));
            }
            slugs.insert(item.to_owned());
        }
        if slugs.is_empty() {
            return Err(PolicyError::Empty);
        }
        Ok(Self {
            allowed: Allowed::Only(slugs),
        })
    }

    /// Whether WhaleRay builds this detection.
    pub fn allows(&self, detection: &Detection) -> bool {
        let Some(framework) = detection.framework.as_deref() else {
            return false;
        };
        match &self.allowed {
            Allowed::All => true,
            Allowed::Only(slugs) => slugs.contains(framework),
        }
    }

    /// A sentence explaining the policy's answer, for a NOT_SUPPORTED status.
    pub fn reason(&self, detection: &Detection) -> String {
        match detection.framework.as_deref() {
            None if !detection.candidates.is_empty() => format!(
                "several apps: {} — choose a root directory",
                detection.candidates.join(", ")
            ),
            None => {
                let why = detection
                    .evidence
                    .last()
                    .map(String::as_str)
                    .unwrap_or("no evidence");
                format!("no framework detected: {why}")
            }
            Some(f) if self.allows(detection) => format!("framework {f} is supported"),
            Some(f) => format!("framework {f} is not supported yet"),
        }
    }
}

/// Every slug detection can produce.
pub fn known_slugs() -> impl Iterator<Item = &'static str> {
    crate::rules::all().map(|p| p.slug)
}
