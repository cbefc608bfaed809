//! Workspace globs (`workspaces`, `pnpm-workspace.yaml`, `lerna.json`) matched against
//! directory paths with `globset`: `*`, `?`, `[...]` classes and `{a,b}` alternatives within a
//! segment, `**` across segments, and a leading `!` for exclusions. `globset` compiles every
//! pattern into one automaton, so matching a directory is linear in the length of its path
//! whatever the pattern (a pattern of many `**` segments cannot make it backtrack).

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use crate::limits::{MAX_GLOB_BYTES, MAX_GLOB_SEGMENTS, MAX_GLOBS};

/// A set of workspace patterns, split into inclusions and `!` exclusions.
#[derive(Debug, Clone)]
pub(crate) struct Workspaces {
    include: GlobSet,
    exclude: GlobSet,
}

impl Workspaces {
    /// Compiles the usable patterns among `raw` (at most [`MAX_GLOBS`]); patterns that are
    /// empty, climb out with `..`, are too long or too deep, or are not valid globs are
    /// skipped.
    pub(crate) fn new<'a>(raw: impl IntoIterator<Item = &'a str>) -> Self {
        let mut include = GlobSetBuilder::new();
        let mut exclude = GlobSetBuilder::new();
        for pattern in raw.into_iter().filter_map(Pattern::parse).take(MAX_GLOBS) {
            let set = if pattern.negated { &mut exclude } else { &mut include };
            for glob in pattern.globs() {
                set.add(glob);
            }
        }
        Self {
            include: include.build().unwrap_or_else(|_| GlobSet::empty()),
            exclude: exclude.build().unwrap_or_else(|_| GlobSet::empty()),
        }
    }

    /// Whether the directory is a workspace package: some pattern includes it and no `!`
    /// pattern excludes it.
    pub(crate) fn matches(&self, dir: &str) -> bool {
        self.include.is_match(dir) && !self.exclude.is_match(dir)
    }
}

/// One workspace pattern, normalised (no `./`, no trailing `/` or `/package.json`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pattern {
    /// The glob text, segments joined by `/`.
    text: String,
    /// Whether the pattern excludes (`!pattern`).
    negated: bool,
}

impl Pattern {
    /// Parses one pattern; `None` for an empty pattern, one that climbs out with `..`, or one
    /// over [`MAX_GLOB_BYTES`] / [`MAX_GLOB_SEGMENTS`].
    fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        if raw.len() > MAX_GLOB_BYTES {
            return None;
        }
        let (negated, raw) = match raw.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, raw),
        };
        let raw = raw.strip_suffix("/package.json").unwrap_or(raw);
        let mut segments: Vec<&str> =
            raw.split('/').filter(|s| !s.is_empty() && *s != ".").collect();
        // Consecutive `**` mean the same as one.
        segments.dedup_by(|a, b| *a == "**" && *b == "**");
        if segments.is_empty() || segments.len() > MAX_GLOB_SEGMENTS || segments.contains(&"..") {
            return None;
        }
        Some(Self { text: segments.join("/"), negated })
    }

    /// The compiled globs: the pattern itself, and for `dir/**` also `dir` (as npm's minimatch
    /// lets a trailing `**` match zero segments).
    fn globs(&self) -> Vec<globset::Glob> {
        let mut texts = vec![self.text.as_str()];
        if let Some(parent) = self.text.strip_suffix("/**") {
            texts.push(parent);
        }
        texts
            .into_iter()
            .filter_map(|t| GlobBuilder::new(t).literal_separator(true).build().ok())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, dir: &str) -> bool {
        Workspaces::new([pattern]).matches(dir)
    }

    #[test]
    fn star_matches_one_segment() {
        assert!(m("packages/*", "packages/app-1"));
        assert!(!m("packages/*", "packages/app-1/src"));
        assert!(m("./apps/web-*/", "apps/web-admin"));
    }

    #[test]
    fn double_star_matches_any_depth() {
        assert!(m("packages/**", "packages/a/b"));
        assert!(m("packages/**", "packages"));
        assert!(m("**/app", "x/y/app"));
        assert!(m("**/app", "app"));
    }

    #[test]
    fn braces_and_classes_are_understood() {
        assert!(m("{apps,services}/*", "apps/web"));
        assert!(m("{apps,services}/*", "services/api"));
        assert!(!m("{apps,services}/*", "libs/ui"));
        assert!(m("packages/[ab]-*", "packages/a-one"));
        assert!(!m("packages/[ab]-*", "packages/c-one"));
    }

    #[test]
    fn many_double_stars_over_a_very_deep_path_match_without_backtracking() {
        // The issue-14 shape: a backtracking matcher needs exponential time in the depth here;
        // the automaton answers in one linear scan (this test would not finish otherwise).
        let ws = Workspaces::new(["**/x/**/x/**/x/**/x/**/x/**/x/**/x/**/y"]);
        let chain = "x/".repeat(200);
        assert!(ws.matches(&format!("{chain}y")));
        assert!(!ws.matches(chain.trim_end_matches('/')));
        assert!(!ws.matches(&format!("{chain}z")));
    }

    #[test]
    fn exclusions_win() {
        let ws = Workspaces::new(["packages/*", "!packages/internal"]);
        assert!(ws.matches("packages/app"));
        assert!(!ws.matches("packages/internal"));
    }

    #[test]
    fn parse_rejects_escaping_empty_and_oversized_patterns() {
        assert_eq!(Pattern::parse("../x"), None);
        assert_eq!(Pattern::parse("  "), None);
        assert!(Pattern::parse("!packages/internal").is_some_and(|p| p.negated));
        assert_eq!(Pattern::parse(&"a/".repeat(MAX_GLOB_SEGMENTS + 1)), None);
        assert_eq!(Pattern::parse(&"a".repeat(MAX_GLOB_BYTES + 1)), None);
        assert!(!m("[unclosed", "[unclosed"));
    }
}
