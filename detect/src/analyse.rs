//! Preset matching for one directory: load its manifests, evaluate the catalogue in precedence
//! order, and report the winner with its evidence.

use crate::manifest::package_json::PackageJson;
use crate::rules::{self, Facts, ORDER, Preset, evaluate};
use crate::view::{Pending, Read, View, join};

/// Manifests read up front for every analysed directory (only those that exist cost a read).
pub(crate) const UPFRONT: &[&str] = &["package.json"];

/// What one directory is.
#[derive(Debug)]
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
}

/// Analyses `dir`.
pub(crate) fn analyse_dir(view: &View<'_>, dir: &str) -> Result<DirVerdict, Pending> {
    view.prefetch(UPFRONT.iter().map(|name| join(dir, name)))?;
    let mut evidence = Vec::new();
    let pkg_path = join(dir, "package.json");
    let (pkg, has_pkg) = match view.read(&pkg_path)? {
        Read::Missing => (None, false),
        Read::TooLarge => {
            evidence.push(format!(
                "{pkg_path} is larger than the size cap and was not read"
            ));
            (None, true)
        }
        Read::Bytes(bytes) => match PackageJson::parse(bytes) {
            Ok(pkg) => (Some(pkg), true),
            Err(reason) => {
                evidence.push(format!("{pkg_path} ignored: {reason}"));
                (None, true)
            }
        },
    };
    let facts = Facts {
        view,
        dir,
        pkg: pkg.as_ref(),
    };
    let mut pending = false;
    let mut winner = None;
    for slug in ORDER {
        let Some(preset) = rules::by_slug(slug) else {
            continue;
        };
        match evaluate(&preset.detect, &facts) {
            Ok(Some(found)) => {
                winner = Some((preset, found));
                break;
            }
            Ok(None) => {}
            Err(Pending) => pending = true,
        }
    }
    if pending {
        return Err(Pending);
    }
    let preset = winner.map(|(preset, mut found)| {
        evidence.splice(0..0, found.drain(..));
        preset
    });
    if let Some(preset) = preset {
        evidence.extend(runners_up(view, dir, pkg.as_ref(), preset));
    }
    Ok(DirVerdict {
        dir: dir.to_owned(),
        preset,
        evidence,
        pkg,
        has_pkg,
    })
}

/// Notes on presets that also matched but rank below the winner (using only loaded files).
fn runners_up(
    view: &View<'_>,
    dir: &str,
    pkg: Option<&PackageJson>,
    winner: &Preset,
) -> Vec<String> {
    let quiet = View::new(view.snapshot());
    let facts = Facts {
        view: &quiet,
        dir,
        pkg,
    };
    ORDER
        .iter()
        .skip_while(|slug| **slug != winner.slug)
        .skip(1)
        .filter_map(|slug| rules::by_slug(slug))
        .filter(|p| matches!(evaluate(&p.detect, &facts), Ok(Some(_))))
        .map(|p| format!("{} also matched; {} takes precedence", p.slug, winner.slug))
        .collect()
}
