//! Choosing the app directory when the caller gave none.
//!
//! 1. A workspace root (npm/yarn `workspaces`, `pnpm-workspace.yaml`, `lerna.json`) lists its
//!    packages by glob; the deployable ones (a preset matched) are the candidates, and the root
//!    itself is one when a preset matches there too.
//! 2. An Nx integrated repository (`nx.json` + `project.json` files): each project is judged
//!    by its build executor or its own files, never by the root's dependencies (`nx.rs`).
//! 3. A Go / Cargo / uv / Poetry workspace: its runnable members are the candidates (`lang.rs`).
//! 4. A root that is itself a project (a preset matched, or it has a `package.json`) is the app.
//! 5. Otherwise directories that hold a manifest are analysed, two levels deep and then, when
//!    nothing deployable is there, four (skipping examples, tests and vendored code); the
//!    deployable ones are the candidates.
//!
//! Exactly one candidate is chosen; none keeps the root (with a single workspace package
//! preferred when there is exactly one); several make the verdict ambiguous.

mod glob;
mod lang;
mod nx;

use crate::analyse::{DirVerdict, analyse_dir};
use crate::limits::MAX_PACKAGES;
use crate::manifest::workspace_files::{lerna_packages, pnpm_packages};
use crate::view::{Pending, Read, View, text};

use glob::Workspaces;

/// Files whose presence makes a directory worth analysing in a scan.
const MARKERS: &[&str] = &[
    "package.json",
    "requirements.txt",
    "pyproject.toml",
    "Pipfile",
    "go.mod",
    "Cargo.toml",
    "Gemfile",
    "composer.json",
    "pom.xml",
    "build.gradle",
    "build.gradle.kts",
    "mix.exs",
    "deno.json",
    "deno.jsonc",
    "deno.lock",
    "hugo.toml",
    "config.toml",
    "_config.yml",
    "build.sbt",
    "project.clj",
    "deps.edn",
    "pubspec.yaml",
    "shard.yml",
    "Package.swift",
    "gleam.toml",
    "build.zig",
    "stack.yaml",
    "CMakeLists.txt",
    "meson.build",
    "Staticfile",
];

/// How deep below the root a repository without a root manifest is searched for its app.
const MAX_SCAN_DEPTH: usize = 4;

/// Directory names the search for an app below the root never enters, on top of [`SKIPPED`]:
/// examples, tests, fixtures and vendored code are not the repository's app.
const SCAN_SKIPPED: &[&str] = &[
    "example",
    "examples",
    "sample",
    "samples",
    "test",
    "tests",
    "__tests__",
    "e2e",
    "fixtures",
    "testdata",
    "third_party",
    "third-party",
    "vendored",
    "docs",
];

/// Directory names never scanned for apps.
const SKIPPED: &[&str] = &["node_modules", "vendor", "bower_components", "target", "dist"];

/// The outcome of choosing.
// Built once per detection; boxing the verdict would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub(crate) enum Choice {
    /// Deploy this directory's verdict.
    App(DirVerdict, Vec<String>),
    /// Several deployable apps: the caller must choose a root directory.
    Ambiguous(Vec<(String, &'static str)>, Vec<String>),
}

/// Chooses the app, given the root's verdict.
pub(crate) fn choose(view: &View<'_>, root: DirVerdict) -> Result<Choice, Pending> {
    let globs = workspace_globs(view, &root)?;
    if !globs.is_empty() {
        return workspace_choice(view, root, &globs);
    }
    if let Some(choice) = nx::choose(view, &root)? {
        return Ok(choice);
    }
    if let Some(choice) = lang::choose(view, &root)? {
        return Ok(choice);
    }
    if root.preset.is_some() || root.has_pkg {
        return Ok(Choice::App(root, Vec::new()));
    }
    scan_choice(view, root)
}

fn workspace_globs(view: &View<'_>, root: &DirVerdict) -> Result<Vec<String>, Pending> {
    view.prefetch(["pnpm-workspace.yaml", "lerna.json"])?;
    let mut globs: Vec<String> =
        root.pkg.as_ref().map(|p| p.workspaces.clone()).unwrap_or_default();
    if let Read::Bytes(bytes) = view.read("pnpm-workspace.yaml")? {
        globs.extend(pnpm_packages(&text(bytes)));
    }
    if let Read::Bytes(bytes) = view.read("lerna.json")? {
        globs.extend(lerna_packages(bytes));
    }
    globs.dedup();
    Ok(globs)
}

fn workspace_choice(
    view: &View<'_>,
    root: DirVerdict,
    globs: &[String],
) -> Result<Choice, Pending> {
    let workspaces = Workspaces::new(globs.iter().map(String::as_str));
    let dirs: Vec<&str> = view
        .dirs()?
        .into_iter()
        .filter(|d| !skipped(d))
        .filter(|d| view.exists(&format!("{d}/package.json")))
        .filter(|d| workspaces.matches(d))
        .take(MAX_PACKAGES)
        .collect();
    let mut notes = vec![format!(
        "workspace root with {} package(s) from globs {}",
        dirs.len(),
        globs.join(", ")
    )];
    let mut verdicts = analyse_all(view, &dirs)?;
    if verdicts.len() == 1 && !verdicts[0].is_app() && !root.is_app() {
        let only = verdicts.remove(0);
        notes.push(format!("the workspace has a single package, {}; using it", only.dir));
        return Ok(Choice::App(only, notes));
    }
    let mut apps: Vec<DirVerdict> = verdicts.into_iter().filter(DirVerdict::is_app).collect();
    if root.is_app() {
        apps.insert(0, root.clone());
    }
    Ok(decide(apps, notes, root))
}

/// Searches below a root without a manifest: first two levels deep (as Vercel does), then,
/// when nothing deployable is there, down to [`MAX_SCAN_DEPTH`].
fn scan_choice(view: &View<'_>, root: DirVerdict) -> Result<Choice, Pending> {
    let mut found = None;
    for max_depth in [2, MAX_SCAN_DEPTH] {
        let Some((apps, notes)) = scan(view, max_depth)? else { continue };
        let done = !apps.is_empty();
        found = Some((apps, notes));
        if done {
            break;
        }
    }
    Ok(match found {
        Some((apps, notes)) => decide(apps, notes, root),
        None => Choice::App(root, Vec::new()),
    })
}

/// Apps found by a scan, with the notes explaining the search.
type Scanned = (Vec<DirVerdict>, Vec<String>);

/// The apps among directories up to `max_depth` levels deep that hold a manifest; `None`
/// when there is no such directory.
fn scan(view: &View<'_>, max_depth: usize) -> Result<Option<Scanned>, Pending> {
    let dirs: Vec<&str> = view
        .dirs()?
        .into_iter()
        .filter(|d| depth(d) <= max_depth && !skipped(d) && !scan_skipped(d))
        .filter(|d| MARKERS.iter().any(|m| view.exists(&format!("{d}/{m}"))))
        .take(MAX_PACKAGES)
        .collect();
    if dirs.is_empty() {
        return Ok(None);
    }
    let mut notes = vec![format!(
        "no manifest at the repository root; looked for apps in {} director{} up to {max_depth} \
         levels deep (skipping dependencies, examples, tests and vendored code)",
        dirs.len(),
        if dirs.len() == 1 { "y" } else { "ies" }
    )];
    let verdicts = analyse_all(view, &dirs)?;
    let app_dirs: Vec<String> =
        verdicts.iter().filter(|v| v.is_app()).map(|v| v.dir.clone()).collect();
    // A folder inside an app belongs to that app (its functions, its docs site).
    let inside_another =
        |dir: &str| app_dirs.iter().any(|a| a != dir && dir.starts_with(&format!("{a}/")));
    let (mut apps, rest): (Vec<DirVerdict>, Vec<DirVerdict>) =
        verdicts.into_iter().partition(|v| v.is_app() && !inside_another(&v.dir));
    if apps.is_empty() {
        // A lone Node package with no framework below the root is still the repository's
        // project (Vercel's "Other"), as a lone workspace package is.
        let packages: Vec<DirVerdict> = rest.into_iter().filter(|v| v.has_pkg).collect();
        if let [only] = packages.as_slice() {
            notes.push(format!("{} holds the only package.json; using it", only.dir));
            apps.push(only.clone());
        }
    }
    Ok(Some((apps, notes)))
}

/// Analyses every directory, asking for all their files in the same round.
fn analyse_all(view: &View<'_>, dirs: &[&str]) -> Result<Vec<DirVerdict>, Pending> {
    let mut verdicts = Vec::with_capacity(dirs.len());
    let mut pending = false;
    for dir in dirs {
        match analyse_dir(view, dir) {
            Ok(v) => verdicts.push(v),
            Err(Pending) => pending = true,
        }
    }
    if pending { Err(Pending) } else { Ok(verdicts) }
}

/// One candidate is the app; none keeps the root; several are ambiguous.
fn decide(mut apps: Vec<DirVerdict>, mut notes: Vec<String>, root: DirVerdict) -> Choice {
    match apps.len() {
        0 => {
            notes.push("no deployable app found below the root".to_owned());
            Choice::App(root, notes)
        }
        1 => {
            let app = apps.remove(0);
            notes.push(format!(
                "{} is the only deployable app: root directory {}",
                app.dir, app.dir
            ));
            Choice::App(app, notes)
        }
        _ => {
            let listed = apps
                .iter()
                .map(|a| (a.dir.clone(), a.preset.map_or("unknown", |p| p.slug)))
                .collect();
            Choice::Ambiguous(listed, notes)
        }
    }
}

/// Path segments of `dir` (`apps/web` → 2).
fn depth(dir: &str) -> usize {
    dir.split('/').count()
}

fn scan_skipped(dir: &str) -> bool {
    dir.split('/').any(|seg| SCAN_SKIPPED.contains(&seg))
}

fn skipped(dir: &str) -> bool {
    dir.split('/').any(|seg| seg.starts_with('.') || SKIPPED.contains(&seg))
}
