//! Which frameworks WhaleRay builds: configuration, kept apart from detection so that
//! NOT_SUPPORTED is always a policy answer with a stated reason.

use std::collections::BTreeSet;

use crate::detection::Detection;

/// Slugs built by default besides the Node.js presets: plain static files.
const ALSO_BY_DEFAULT: &[&str] = &["static"];

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
    /// The default list: what the current build image can build, i.e. every preset that runs
    /// on Node.js (installed with npm, yarn or pnpm) plus static files. Other languages,
    /// containers and Bun are detected and reported, but not built unless configured.
    pub fn default_policy() -> Self {
        let node = crate::rules::all().filter(|p| p.runtime == Some("node")).map(|p| p.slug);
        let slugs = node.chain(ALSO_BY_DEFAULT.iter().copied()).map(str::to_owned);
        Self { allowed: Allowed::Only(slugs.collect()) }
    }

    /// The slugs this policy allows, sorted; `None` when every detected framework is allowed.
    pub fn allowed(&self) -> Option<Vec<&str>> {
        match &self.allowed {
            Allowed::All => None,
            Allowed::Only(slugs) => Some(slugs.iter().map(String::as_str).collect()),
        }
    }

    /// Parses a comma-separated list of slugs; `*` allows every detected framework.
    pub fn parse(list: &str) -> Result<Self, PolicyError> {
        let mut slugs = BTreeSet::new();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            if item == "*" {
                return Ok(Self { allowed: Allowed::All });
            }
            if !known_slugs().any(|k| k == item) {
                return Err(PolicyError::UnknownFramework(item.to_owned()));
            }
            slugs.insert(item.to_owned());
        }
        if slugs.is_empty() {
            return Err(PolicyError::Empty);
        }
        Ok(Self { allowed: Allowed::Only(slugs) })
    }

    /// Whether WhaleRay builds this detection (never when it exceeded a budget).
    pub fn allows(&self, detection: &Detection) -> bool {
        if detection.exceeded.is_some() {
            return false;
        }
        let Some(framework) = detection.framework.as_deref() else {
            return false;
        };
        match &self.allowed {
            Allowed::All => true,
            Allowed::Only(slugs) => slugs.contains(framework),
        }
    }

    /// A sentence explaining the policy's answer, for a NOT_SUPPORTED status: the budget the
    /// repository exceeded (such a verdict is never allowed), the unsupported
    /// framework, the candidate apps of an ambiguous monorepo, or why nothing was detected
    /// (the last evidence line of a verdict without a framework states it).
    pub fn reason(&self, detection: &Detection) -> String {
        if let Some(exceeded) = &detection.exceeded {
            return format!("repository exceeds a detection budget: {exceeded}");
        }
        match detection.framework.as_deref() {
            None if !detection.candidates.is_empty() => format!(
                "several apps: {} — choose a root directory",
                detection.candidates.join(", ")
            ),
            None => {
                let why = detection.evidence.last().map(String::as_str).unwrap_or("no evidence");
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

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(framework: Option<&str>) -> Detection {
        let mut d = Detection::empty(".");
        d.framework = framework.map(str::to_owned);
        d
    }

    #[test]
    fn default_policy_builds_node_presets_and_static_only() {
        let p = SupportPolicy::default_policy();
        for slug in ["nextjs", "vite", "express", "node", "static", "docusaurus-2"] {
            assert!(p.allows(&verdict(Some(slug))), "{slug}");
        }
        for slug in ["hugo", "django", "laravel", "container", "bun", "go"] {
            assert!(!p.allows(&verdict(Some(slug))), "{slug}");
        }
    }

    #[test]
    fn parse_rejects_unknown_slugs_by_name() {
        assert_eq!(
            SupportPolicy::parse("nextjs, hugoo").unwrap_err(),
            PolicyError::UnknownFramework("hugoo".to_owned())
        );
        assert_eq!(SupportPolicy::parse(" , ").unwrap_err(), PolicyError::Empty);
    }

    #[test]
    fn star_allows_every_detected_framework_but_not_none() {
        let p = SupportPolicy::parse("*").unwrap();
        assert!(p.allows(&verdict(Some("hugo"))));
        assert!(!p.allows(&verdict(None)));
        assert_eq!(p.allowed(), None);
    }

    #[test]
    fn reason_names_the_framework_the_candidates_or_the_cause() {
        let p = SupportPolicy::parse("nextjs").unwrap();
        assert_eq!(p.reason(&verdict(Some("hugo"))), "framework hugo is not supported yet");
        let mut ambiguous = verdict(None);
        ambiguous.candidates = vec!["apps/web".to_owned(), "apps/docs".to_owned()];
        assert_eq!(
            p.reason(&ambiguous),
            "several apps: apps/web, apps/docs — choose a root directory"
        );
        let mut nothing = verdict(None);
        nothing.evidence.push("no framework or runtime marker found in .".to_owned());
        assert_eq!(
            p.reason(&nothing),
            "no framework detected: no framework or runtime marker found in ."
        );
    }

    #[test]
    fn a_verdict_over_budget_is_never_allowed_and_its_reason_names_the_budget() {
        let all = SupportPolicy::parse("*").unwrap();
        let mut d = verdict(Some("nextjs"));
        d.exceeded = Some(crate::Exceeded::ValueLength {
            field: "buildCommand".to_owned(),
            limit: crate::MAX_VALUE_BYTES,
        });
        assert!(!all.allows(&d));
        assert_eq!(
            all.reason(&d),
            "repository exceeds a detection budget: buildCommand is longer than the 1024-byte \
             value budget"
        );
        let stopped = Detection::over_step_budget(10, 11);
        assert!(!all.allows(&stopped));
        assert_eq!(
            all.reason(&stopped),
            "repository exceeds a detection budget: detection step budget of 10 steps exceeded"
        );
    }
}
