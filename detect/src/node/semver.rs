//! Turning what a repository writes about Node (`>=18`, `^20.11`, `20.x`, `lts/iron`, `v22.3.0`)
//! into a version a builder can install: an exact version when one is pinned, otherwise the
//! newest supported major that satisfies the range (as Vercel intersects `engines.node` with
//! its supported majors). Range syntax is node-semver's, parsed by the `nodejs-semver` crate.

use nodejs_semver::Range;

use crate::limits::MAX_RANGE_BYTES;

/// Node majors a build can use, newest first (Vercel's list at the reference commit).
pub(crate) const SUPPORTED_MAJORS: &[u64] = &[24, 22, 20];

/// LTS code names and their majors, for `.nvmrc` values such as `lts/iron`.
const LTS: &[(&str, u64)] = &[
    ("argon", 4),
    ("boron", 6),
    ("carbon", 8),
    ("dubnium", 10),
    ("erbium", 12),
    ("fermium", 14),
    ("gallium", 16),
    ("hydrogen", 18),
    ("iron", 20),
    ("jod", 22),
    ("krypton", 24),
];

/// The version to install for `spec`, or `None` when it cannot be satisfied or understood.
///
/// Ranges are node-semver ranges (`||`, hyphen ranges, x-ranges, `~`, `^`, comparator sets),
/// parsed by `nodejs-semver`; LTS names and aliases such as `node` or `lts/*` are handled here
/// because they are nvm's, not semver's. A spec over [`MAX_RANGE_BYTES`] is not parsed, so a
/// hostile 900 KB range costs one length check.
pub(crate) fn resolve(spec: &str) -> Option<String> {
    let spec = spec.trim();
    if spec.len() > MAX_RANGE_BYTES {
        return None;
    }
    let lower = spec.to_ascii_lowercase();
    if let Some(name) = lower.strip_prefix("lts/") {
        if name == "*" {
            return SUPPORTED_MAJORS.first().map(u64::to_string);
        }
        return LTS.iter().find(|(n, _)| *n == name).map(|(_, m)| m.to_string());
    }
    if matches!(lower.as_str(), "node" | "latest" | "stable" | "current" | "*" | "x" | "") {
        return SUPPORTED_MAJORS.first().map(u64::to_string);
    }
    if let Some(exact) = exact_version(spec) {
        return Some(exact);
    }
    let range = Range::parse(spec).ok()?;
    SUPPORTED_MAJORS
        .iter()
        .find(|major| major_range(**major).is_some_and(|m| range.allows_any(&m)))
        .map(u64::to_string)
        .or_else(|| pinned_major(&range))
}

/// `20`, `20.11` or `20.11.1` (optionally `v`-prefixed): the text itself without the `v`.
fn exact_version(spec: &str) -> Option<String> {
    let bare = spec.strip_prefix('v').unwrap_or(spec);
    let parts: Vec<&str> = bare.split('.').collect();
    let numeric = parts.len() <= 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()));
    numeric.then(|| bare.to_owned())
}

/// Every version of one major (`20.x`).
fn major_range(major: u64) -> Option<Range> {
    Range::parse(format!("{major}.x")).ok()
}

/// A range that lies within a single unsupported major (`^16`, `16.x`, `>=16.2 <16.5`) still
/// resolves to that major, so the builder reports the unsupported version instead of silently
/// using another. Major 0 (`<1`) is not a Node release line and resolves to nothing.
fn pinned_major(range: &Range) -> Option<String> {
    let major = range.min_version()?.major();
    let whole = major_range(major)?;
    (major > 0 && whole.allows_all(range)).then(|| major.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(spec: &str) -> Option<String> {
        resolve(spec)
    }

    #[test]
    fn exact_versions_are_kept() {
        assert_eq!(r("v20.11.1").as_deref(), Some("20.11.1"));
        assert_eq!(r("18").as_deref(), Some("18"));
        assert_eq!(r("22.3").as_deref(), Some("22.3"));
    }

    #[test]
    fn ranges_pick_the_newest_supported_major() {
        assert_eq!(r(">=18").as_deref(), Some("24"));
        assert_eq!(r(">=18 <23").as_deref(), Some("22"));
        assert_eq!(r("^20.11.0").as_deref(), Some("20"));
        assert_eq!(r("20.x").as_deref(), Some("20"));
        assert_eq!(r("~22.1").as_deref(), Some("22"));
        assert_eq!(r("^18 || ^20").as_deref(), Some("20"));
        assert_eq!(r("18 - 22").as_deref(), Some("22"));
        assert_eq!(r(">= 20.0.0").as_deref(), Some("24"));
        assert_eq!(r("<21").as_deref(), Some("20"));
        assert_eq!(r(">20.x").as_deref(), Some("24"));
        assert_eq!(r("*").as_deref(), Some("24"));
    }

    #[test]
    fn node_range_syntax_is_understood() {
        assert_eq!(r("^14 || ^16 || >=18 <21").as_deref(), Some("20"));
        assert_eq!(r("16 - 20.5").as_deref(), Some("20"));
        assert_eq!(r("18.x || 20.x || 22.x").as_deref(), Some("22"));
        assert_eq!(r("~20.11.0").as_deref(), Some("20"));
        assert_eq!(r(">=16.2 <16.5").as_deref(), Some("16"));
        assert_eq!(r("^18 || ^20 || ^99").as_deref(), Some("20"));
    }

    #[test]
    fn an_overlong_range_is_not_parsed() {
        let long = format!(">=20 {}", "|| ^22 ".repeat(MAX_RANGE_BYTES));
        assert_eq!(r(&long), None);
    }

    #[test]
    fn lts_names_map_to_their_major() {
        assert_eq!(r("lts/iron").as_deref(), Some("20"));
        assert_eq!(r("lts/*").as_deref(), Some("24"));
        assert_eq!(r("lts/unknown"), None);
    }

    #[test]
    fn an_unsupported_single_major_is_kept_so_the_builder_can_refuse_it() {
        assert_eq!(r("^16.0.0").as_deref(), Some("16"));
        assert_eq!(r("16.x").as_deref(), Some("16"));
    }

    #[test]
    fn nonsense_resolves_to_nothing() {
        assert_eq!(r("banana"), None);
        assert_eq!(r(">=99999999999"), None);
        assert_eq!(r("<1"), None);
    }
}
