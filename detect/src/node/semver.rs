//! Turning what a repository writes about Node (`>=18`, `^20.11`, `20.x`, `lts/iron`, `v22.3.0`)
//! into a version a builder can install: an exact version when one is pinned, otherwise the
//! newest supported major that satisfies the range (as Vercel intersects `engines.node` with
//! its supported majors).

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

/// A version triple; missing parts of a partial version are filled by the caller.
type V = (u64, u64, u64);

/// The version to install for `spec`, or `None` when it cannot be satisfied or understood.
pub(crate) fn resolve(spec: &str) -> Option<String> {
    let spec = spec.trim();
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
    let sets: Vec<Vec<Bound>> = spec.split("||").map(parse_set).collect::<Option<_>>()?;
    SUPPORTED_MAJORS
        .iter()
        .find(|major| sets.iter().any(|set| satisfiable_in_major(set, **major)))
        .map(u64::to_string)
        .or_else(|| pinned_major(spec))
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

/// A range naming a single unsupported major (`^16`, `16.x`) still resolves to that major, so
/// the builder reports the unsupported version instead of silently using another.
fn pinned_major(spec: &str) -> Option<String> {
    let digits: String = spec
        .trim_start_matches(['^', '~', '=', 'v', ' '])
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let rest = spec.trim_start_matches(['^', '~', '=', 'v', ' ']).get(digits.len()..)?;
    (!digits.is_empty() && (rest.is_empty() || rest.starts_with('.'))).then_some(digits)
}

/// One bound of a comparator set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bound {
    /// `>= v` (inclusive) or `> v`.
    Lower(V, bool),
    /// `<= v` (inclusive) or `< v`.
    Upper(V, bool),
}

/// Parses a space-separated comparator set (`>=18 <21`, `^20.1`, `18 - 20`, `20.x`).
fn parse_set(set: &str) -> Option<Vec<Bound>> {
    let tokens: Vec<&str> = set.split_whitespace().collect();
    if let [from, "-", to] = tokens.as_slice() {
        let (lo, _) = partial(from)?;
        let (hi, hi_len) = partial(to)?;
        return Some(vec![Bound::Lower(lo, true), upper_of_partial(hi, hi_len)]);
    }
    let mut bounds = Vec::new();
    let mut pending_op: Option<&str> = None;
    for token in tokens {
        if matches!(token, ">=" | "<=" | ">" | "<" | "=" | "^" | "~") {
            pending_op = Some(token);
            continue;
        }
        let joined;
        let token = match pending_op.take() {
            Some(op) => {
                joined = format!("{op}{token}");
                joined.as_str()
            }
            None => token,
        };
        bounds.extend(comparator(token)?);
    }
    Some(bounds)
}

fn comparator(token: &str) -> Option<Vec<Bound>> {
    let (op, rest) = ["^", "~", ">=", "<=", ">", "<", "="]
        .iter()
        .find_map(|op| token.strip_prefix(op).map(|r| (*op, r)))
        .unwrap_or(("", token));
    let (v, len) = partial(rest)?;
    Some(match op {
        ">=" => vec![Bound::Lower(v, true)],
        ">" if len < 3 => vec![upper_of_partial(v, len).flip()],
        ">" => vec![Bound::Lower(v, false)],
        "<=" if len < 3 => vec![upper_of_partial(v, len)],
        "<=" => vec![Bound::Upper(v, true)],
        "<" => vec![Bound::Upper(v, false)],
        "^" => {
            let hi = if v.0 > 0 { (v.0 + 1, 0, 0) } else { (0, v.1 + 1, 0) };
            vec![Bound::Lower(v, true), Bound::Upper(hi, false)]
        }
        "~" => {
            let hi = if len >= 2 { (v.0, v.1 + 1, 0) } else { (v.0 + 1, 0, 0) };
            vec![Bound::Lower(v, true), Bound::Upper(hi, false)]
        }
        _ if len == 0 => Vec::new(),
        _ => vec![Bound::Lower(v, true), upper_of_partial(v, len)],
    })
}

impl Bound {
    /// `> 20.x` means `>= 21.0.0`: turns an exclusive upper bound into an inclusive lower one.
    fn flip(self) -> Self {
        match self {
            Self::Upper(v, inclusive) => Self::Lower(v, !inclusive),
            other => other,
        }
    }
}

/// The upper bound of a partial version: `20` → `< 21.0.0`, `20.1` → `< 20.2.0`.
fn upper_of_partial(v: V, len: usize) -> Bound {
    match len {
        0 => Bound::Upper((u64::MAX, 0, 0), true),
        1 => Bound::Upper((v.0 + 1, 0, 0), false),
        2 => Bound::Upper((v.0, v.1 + 1, 0), false),
        _ => Bound::Upper(v, true),
    }
}

/// Parses `20`, `20.11`, `20.x`, `20.11.1` (optionally `v`-prefixed, pre-release ignored);
/// returns the version with zeros filled in and how many parts were given.
fn partial(text: &str) -> Option<(V, usize)> {
    let text = text.trim().trim_start_matches(['v', '=']);
    let text = text.split(['-', '+']).next().unwrap_or_default();
    if text.is_empty() || text == "*" || text.eq_ignore_ascii_case("x") {
        return Some(((0, 0, 0), 0));
    }
    let mut parts = [0u64; 3];
    let mut len = 0;
    for (i, part) in text.split('.').enumerate() {
        if i >= 3 {
            return None;
        }
        if part == "*" || part.eq_ignore_ascii_case("x") {
            break;
        }
        parts[i] = part.parse().ok().filter(|n: &u64| *n < 1_000_000)?;
        len = i + 1;
    }
    Some(((parts[0], parts[1], parts[2]), len))
}

/// Whether some version with major `major` satisfies every bound of the set.
fn satisfiable_in_major(set: &[Bound], major: u64) -> bool {
    let mut lo: (V, bool) = ((major, 0, 0), true);
    let mut hi: (V, bool) = ((major + 1, 0, 0), false);
    for bound in set {
        match *bound {
            Bound::Lower(v, inc) => {
                if v > lo.0 || (v == lo.0 && !inc) {
                    lo = (v, inc);
                }
            }
            Bound::Upper(v, inc) => {
                if v < hi.0 || (v == hi.0 && !inc) {
                    hi = (v, inc);
                }
            }
        }
    }
    lo.0 < hi.0 || (lo.0 == hi.0 && lo.1 && hi.1)
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
