//! Preset matching for one directory: load its `package.json`, evaluate the catalogue in
//! precedence order, and report the winner with its evidence.

use crate::manifest::package_json::PackageJson;
use crate::rules::{self, Facts, Preset, evaluate};
use crate::view::{Pending, Read, View, join};

/// What one directory is.
#[derive(Debug, Clone)]
pub(crate) struct DirVerdict {
    /// The directory (`"."` for the root).
    pub dir: String,
    /// The winning preset, if any matched.
    pub preset: Option<&'static Preset>,
    /// Evidence for the winner, then notes about runners-up and unreadable manifests.
    pub evidence: Vec<String>,
    /// The directory's parsed `package.json`.
    pub pkg: Option<PackageJson>,
    /// Whether the directory has a `package.json` at all (valid or not).
    pub has_pkg: bool,
    /// Set when the directory is an Nx project (`project.json`): built with `nx build`.
    pub nx: Option<NxTarget>,
}

/// How an Nx project is built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NxTarget {
    /// The Nx project name (`name` in `project.json`, else the directory's name).
    pub name: String,
    /// `outputPath` of its build target, relative to the repository root.
    pub output_path: Option<String>,
}

impl DirVerdict {
    /// Whether the directory is a deployable app on its own (a preset other than the
    /// last-resort container matched).
    pub(crate) fn is_app(&self) -> bool {
        self.preset.is_some_and(|p| p.id != "container")
    }
}

/// Reads and parses `<dir>/package.json`, noting why it was ignored when unusable.
pub(crate) fn load_package_json(
    view: &View<'_>,
    dir: &str,
    notes: &mut Vec<String>,
) -> Result<(Option<PackageJson>, bool), Pending> {
    let path = join(dir, "package.json");
    Ok(match view.read(&path)? {
        Read::Missing => (None, false),
        Read::TooLarge => {
            notes.push(format!("{path} is larger than the size cap and was not read"));
            (None, true)
        }
        Read::Bytes(bytes) => match PackageJson::parse(bytes) {
            Ok(pkg) => (Some(pkg), true),
            Err(reason) => {
                notes.push(format!("{path} ignored: {reason}"));
                (None, true)
            }
        },
    })
}

/// Analyses `dir`: presets are evaluated in precedence order; files are read only for presets
/// ranked above the first definite match.
pub(crate) fn analyse_dir(view: &View<'_>, dir: &str) -> Result<DirVerdict, Pending> {
    let mut notes = Vec::new();
    let (pkg, has_pkg) = load_package_json(view, dir, &mut notes)?;
    let facts = Facts::new(view, dir, pkg.as_ref());
    let mut pending = false;
    let mut winner = None;
    for preset in rules::ordered() {
        match evaluate(&preset.detect, &facts) {
            Ok(Some(found)) => {
                winner = Some((*preset, found));
                break;
            }
            Ok(None) => {}
            Err(Pending) => pending = true,
        }
    }
    if pending {
        return Err(Pending);
    }
    let mut evidence = Vec::new();
    let preset = winner.map(|(preset, found)| {
        evidence.extend(found);
        evidence.extend(
            preset
                .hints
                .iter()
                .map(|h| join(dir, h))
                .filter(|p| view.exists(p))
                .map(|p| format!("{p} present")),
        );
        evidence.extend(runners_up(&facts, preset));
        preset
    });
    evidence.append(&mut notes);
    Ok(DirVerdict { dir: dir.to_owned(), preset, evidence, pkg, has_pkg, nx: None })
}

/// Notes on presets that also matched but rank below the winner, judged from loaded files
/// only (nothing is read for them).
fn runners_up(facts: &Facts<'_, '_>, winner: &Preset) -> Vec<String> {
    facts.go_quiet();
    let mut seen = vec![winner.slug];
    let mut notes = Vec::new();
    for preset in rules::ordered().iter().skip_while(|p| p.id != winner.id).skip(1) {
        // The winner's own bare runtime (`node` behind `nextjs`) says nothing new.
        let own_runtime = winner.runtime == Some(preset.slug);
        if own_runtime
            || seen.contains(&preset.slug)
            || !matches!(evaluate(&preset.detect, facts), Ok(Some(_)))
        {
            continue;
        }
        seen.push(preset.slug);
        notes.push(if preset.id == "container" {
            format!("Dockerfile present but {} was recognised, so it is not used", winner.slug)
        } else {
            format!("{} also matched; {} takes precedence", preset.slug, winner.slug)
        });
    }
    notes
}
