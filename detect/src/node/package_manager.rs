//! Package manager from the `packageManager` field and lockfiles, resolved the way corepack
//! does: an explicit `packageManager` field wins, a lockfile of another manager is reported as a
//! conflict, and lockfiles are looked for in the app directory, then each parent up to the root.

use crate::rules::tools;
use crate::view::join;

/// JavaScript package managers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pm {
    /// npm.
    Npm,
    /// Yarn (classic or Berry).
    Yarn,
    /// pnpm.
    Pnpm,
    /// Bun.
    Bun,
}

impl Pm {
    /// The manager's command name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Npm => tools::NPM,
            Self::Yarn => tools::YARN,
            Self::Pnpm => tools::PNPM,
            Self::Bun => tools::BUN,
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        match name {
            "npm" => Some(Self::Npm),
            "yarn" => Some(Self::Yarn),
            "pnpm" => Some(Self::Pnpm),
            "bun" => Some(Self::Bun),
            _ => None,
        }
    }

    /// `<pm> run <script>`.
    pub(crate) fn run(self, script: &str) -> String {
        format!("{} run {script}", self.name())
    }
}

/// The resolved manager, the lockfile it goes with, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PmVerdict {
    /// The manager.
    pub pm: Pm,
    /// The lockfile used for a frozen install, if any.
    pub lockfile: Option<String>,
    /// Whether Yarn is Berry (2+), from `.yarnrc.yml` or a `yarn@2+` field.
    pub yarn_berry: bool,
    /// Evidence sentences, including conflicts.
    pub evidence: Vec<String>,
}

impl PmVerdict {
    /// Install command for this manager, frozen to the lockfile when there is one.
    pub(crate) fn install_command(&self) -> String {
        let locked = self.lockfile.is_some();
        match (self.pm, locked) {
            (Pm::Npm, true)
                if self.lockfile.as_deref().is_some_and(|l| l.ends_with("package-lock.json")) =>
            {
                "npm ci".to_owned()
            }
            (Pm::Npm, _) => "npm install".to_owned(),
            (Pm::Yarn, true) if self.yarn_berry => "yarn install --immutable".to_owned(),
            (Pm::Yarn, true) => "yarn install --frozen-lockfile".to_owned(),
            (Pm::Pnpm, true) => "pnpm install --frozen-lockfile".to_owned(),
            (Pm::Bun, true) => "bun install --frozen-lockfile".to_owned(),
            (pm, false) => format!("{} install", pm.name()),
        }
    }
}

/// Lockfile names and their managers, in the priority used when one directory has several
/// (bun and yarn lockfiles together mean bun, as in Vercel's build step).
const LOCKFILES: &[(&str, Pm)] = &[
    ("yarn.lock", Pm::Yarn),
    ("pnpm-lock.yaml", Pm::Pnpm),
    ("package-lock.json", Pm::Npm),
    ("npm-shrinkwrap.json", Pm::Npm),
    ("bun.lock", Pm::Bun),
    ("bun.lockb", Pm::Bun),
];

/// Resolves the manager for `app_dir`. `field` is the nearest `packageManager` field with the
/// `package.json` that holds it; `exists` answers whether a repository path is a file.
pub(crate) fn resolve(
    app_dir: &str,
    field: Option<(&str, &str)>,
    exists: impl Fn(&str) -> bool,
) -> PmVerdict {
    let lock = find_lockfiles(app_dir, &exists);
    let lock_pm = lock.as_ref().map(|(dir, found)| (dir.clone(), pick(found)));
    let mut evidence = Vec::new();
    let berry_rc = ancestors(app_dir).any(|d| exists(&join(&d, ".yarnrc.yml")));
    if let Some((source, value)) = field {
        let name = value.split('@').next().unwrap_or_default();
        match Pm::from_name(name) {
            Some(pm) => {
                evidence.push(format!("packageManager {value:?} in {source}"));
                let lockfile = match &lock_pm {
                    Some((dir, (lock_pm, file))) if *lock_pm == pm => Some(join(dir, file)),
                    Some((dir, (other, file))) => {
                        evidence.push(format!(
                            "conflict: {} belongs to {}, but packageManager says {}; following packageManager as corepack does",
                            join(dir, file),
                            other.name(),
                            pm.name()
                        ));
                        None
                    }
                    None => None,
                };
                let berry =
                    pm == Pm::Yarn && (berry_rc || yarn_major(value).is_some_and(|m| m >= 2));
                return PmVerdict { pm, lockfile, yarn_berry: berry, evidence };
            }
            None => evidence.push(format!(
                "packageManager {value:?} in {source} names no known manager; ignored"
            )),
        }
    }
    match lock_pm {
        Some((dir, (pm, file))) => {
            let found = &lock.as_ref().map(|(_, f)| f.clone()).unwrap_or_default();
            evidence.push(format!("lockfile {} present", join(&dir, file)));
            if found.len() > 1 {
                let names: Vec<&str> = found.iter().map(|(n, _)| *n).collect();
                evidence.push(format!(
                    "several lockfiles in {dir}: {}; chose {}",
                    names.join(", "),
                    pm.name()
                ));
            }
            PmVerdict {
                pm,
                lockfile: Some(join(&dir, file)),
                yarn_berry: pm == Pm::Yarn && berry_rc,
                evidence,
            }
        }
        None => {
            evidence.push("no lockfile and no packageManager field; defaulting to npm".to_owned());
            PmVerdict { pm: Pm::Npm, lockfile: None, yarn_berry: false, evidence }
        }
    }
}

/// The directory and the lockfiles of the nearest directory (walking up) that has any.
fn find_lockfiles(
    app_dir: &str,
    exists: &impl Fn(&str) -> bool,
) -> Option<(String, Vec<(&'static str, Pm)>)> {
    ancestors(app_dir).find_map(|dir| {
        let found: Vec<(&'static str, Pm)> =
            LOCKFILES.iter().copied().filter(|(name, _)| exists(&join(&dir, name))).collect();
        (!found.is_empty()).then_some((dir, found))
    })
}

fn pick(found: &[(&'static str, Pm)]) -> (Pm, &'static str) {
    let has = |pm: Pm| found.iter().find(|(_, p)| *p == pm).map(|(n, _)| *n);
    if let (Some(bun), Some(_)) = (has(Pm::Bun), has(Pm::Yarn)) {
        return (Pm::Bun, bun);
    }
    found.first().map(|(n, p)| (*p, *n)).unwrap_or((Pm::Npm, "package-lock.json"))
}

fn yarn_major(value: &str) -> Option<u32> {
    value.split('@').nth(1)?.split('.').next()?.parse().ok()
}

/// `dir`, then each parent up to the root `"."`.
pub(crate) fn ancestors(dir: &str) -> impl Iterator<Item = String> {
    let mut next = Some(if dir.is_empty() { ".".to_owned() } else { dir.to_owned() });
    std::iter::from_fn(move || {
        let current = next.take()?;
        if current != "." {
            next = Some(match current.rfind('/') {
                Some(i) => current[..i].to_owned(),
                None => ".".to_owned(),
            });
        }
        Some(current)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve_with(files: &[&str], field: Option<&str>) -> PmVerdict {
        resolve(".", field.map(|f| ("package.json", f)), |p| files.contains(&p))
    }

    #[test]
    fn package_manager_field_beats_lockfile_and_reports_conflict() {
        let v = resolve_with(&["package-lock.json"], Some("pnpm@9.0.0"));
        assert_eq!(v.pm, Pm::Pnpm);
        assert!(v.evidence.iter().any(|e| e.starts_with("conflict")));
    }

    #[test]
    fn bun_and_yarn_lockfiles_together_mean_bun() {
        assert_eq!(resolve_with(&["yarn.lock", "bun.lockb"], None).pm, Pm::Bun);
    }

    #[test]
    fn yarn_beats_pnpm_beats_npm_when_several_lockfiles() {
        assert_eq!(resolve_with(&["pnpm-lock.yaml", "yarn.lock"], None).pm, Pm::Yarn);
        assert_eq!(resolve_with(&["pnpm-lock.yaml", "package-lock.json"], None).pm, Pm::Pnpm);
    }

    #[test]
    fn no_signal_defaults_to_npm() {
        let v = resolve_with(&[], None);
        assert_eq!((v.pm, v.install_command().as_str()), (Pm::Npm, "npm install"));
    }

    #[test]
    fn unknown_package_manager_field_falls_back_to_lockfile() {
        assert_eq!(resolve_with(&["yarn.lock"], Some("deno@2")).pm, Pm::Yarn);
    }

    #[test]
    fn lockfile_is_found_in_a_parent_directory() {
        let v = resolve("apps/web", None, |p| p == "pnpm-lock.yaml");
        assert_eq!(v.pm, Pm::Pnpm);
        assert_eq!(v.lockfile.as_deref(), Some("pnpm-lock.yaml"));
    }

    #[test]
    fn berry_is_recognised_from_yarnrc_yml() {
        let v = resolve_with(&["yarn.lock", ".yarnrc.yml"], None);
        assert_eq!(v.install_command(), "yarn install --immutable");
    }

    #[test]
    fn ancestors_walk_up_to_root() {
        assert_eq!(ancestors("a/b").collect::<Vec<_>>(), vec!["a/b", "a", "."]);
        assert_eq!(ancestors(".").collect::<Vec<_>>(), vec!["."]);
    }
}
