//! Workspace glob matching over directory paths: `*` and `?` within a segment, `**` across
//! segments, and a leading `!` for exclusions. Braces and character classes are not
//! supported (they are rare in workspace globs); such a pattern simply matches literally.

/// Patterns deeper than this are ignored (no real workspace needs them).
const MAX_SEGMENTS: usize = 16;

/// A workspace pattern, normalised (no `./`, no trailing `/` or `/package.json`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pattern {
    segments: Vec<String>,
    /// Whether the pattern excludes (`!pattern`).
    pub negated: bool,
}

impl Pattern {
    /// Parses one glob; `None` for an empty pattern or one that climbs out with `..`.
    pub(crate) fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        let (negated, raw) = match raw.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, raw),
        };
        let raw = raw.strip_suffix("/package.json").unwrap_or(raw);
        let mut segments: Vec<String> =
            raw.split('/').filter(|s| !s.is_empty() && *s != ".").map(str::to_owned).collect();
        // Consecutive `**` mean the same as one; collapsing them keeps matching linear-ish.
        segments.dedup_by(|a, b| a == "**" && b == "**");
        if segments.is_empty()
            || segments.len() > MAX_SEGMENTS
            || segments.iter().any(|s| s == "..")
        {
            return None;
        }
        Some(Self { segments, negated })
    }

    /// Whether the directory path matches.
    pub(crate) fn matches(&self, dir: &str) -> bool {
        let parts: Vec<&str> = dir.split('/').collect();
        let segs: Vec<&str> = self.segments.iter().map(String::as_str).collect();
        match_segments(&segs, &parts)
    }
}

fn match_segments(pattern: &[&str], parts: &[&str]) -> bool {
    match pattern.split_first() {
        None => parts.is_empty(),
        Some((&"**", rest)) => (0..=parts.len()).any(|skip| match_segments(rest, &parts[skip..])),
        Some((first, rest)) => match parts.split_first() {
            Some((part, more)) => {
                match_segment(first.as_bytes(), part.as_bytes()) && match_segments(rest, more)
            }
            None => false,
        },
    }
}

/// `*` and `?` wildcard match within one segment (iterative, linear backtracking).
fn match_segment(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == b'?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, dir: &str) -> bool {
        Pattern::parse(pattern).is_some_and(|p| p.matches(dir))
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
        assert!(m("**/app", "x/y/app"));
    }

    #[test]
    fn parse_rejects_escaping_and_empty_patterns() {
        assert_eq!(Pattern::parse("../x"), None);
        assert_eq!(Pattern::parse("  "), None);
        assert!(Pattern::parse("!packages/internal").is_some_and(|p| p.negated));
    }
}
