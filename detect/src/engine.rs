//! Top-level orchestration: choose the app directory (the caller's, a root `netlify.toml`
//! `base`, or the monorepo search), analyse it, and plan the build.

use crate::analyse::{analyse_dir, load_package_json};
use crate::build_plan::plan;
use crate::detection::{Detection, Options};
use crate::monorepo::{self, Choice};
use crate::overrides;
use crate::snapshot::{Snapshot, normalize_path};
use crate::toolchain::node::{MonorepoTool, Workspace};
use crate::view::{Pending, View, join};

/// The requested root directory is unsafe or is not a directory of the repository.
#[derive(Debug, thiserror::Error)]
#[error("root directory {path:?} is not a directory of the repository")]
pub(crate) struct InvalidRoot {
    /// The root directory as the caller gave it.
    pub path: String,
}

/// The root directory the caller asked for, normalised, or why it cannot be used.
pub(crate) fn requested_root(
    snapshot: &Snapshot,
    options: &Options,
) -> Result<Option<String>, InvalidRoot> {
    let Some(raw) = options.root_directory.as_deref() else {
        return Ok(None);
    };
    normalize_dir(snapshot, raw).map(Some).ok_or_else(|| InvalidRoot { path: raw.to_owned() })
}

fn normalize_dir(snapshot: &Snapshot, raw: &str) -> Option<String> {
    let trimmed = raw.trim().trim_end_matches('/');
    if trimmed.is_empty() || trimmed == "." {
        return Some(".".to_owned());
    }
    normalize_path(trimmed).filter(|dir| snapshot.contains_dir(dir))
}

/// Files read up front when no root directory is given: the root manifest, the platform
/// files, and the workspace declarations.
const ROOT_FILES: [&str; 5] =
    ["package.json", "vercel.json", "netlify.toml", "pnpm-workspace.yaml", "lerna.json"];

/// Runs detection over what the view has loaded.
pub(crate) fn run(view: &View<'_>, options: &Options) -> Result<Detection, Pending> {
    let snapshot = view.snapshot();
    match requested_root(snapshot, options) {
        Err(invalid) => {
            let mut d = Detection::empty(&invalid.path);
            d.evidence.push(invalid.to_string());
            Ok(d)
        }
        Ok(Some(dir)) => {
            view.prefetch(
                ["package.json", "vercel.json", "netlify.toml"].map(|name| join(&dir, name)),
            )?;
            let verdict = analyse_dir(view, &dir)?;
            let mut d = plan(view, verdict, workspace_root_of(view, &dir)?, None)?;
            d.evidence.insert(0, format!("root directory {dir} given by the deployment"));
            Ok(d)
        }
        Ok(None) => choose_and_plan(view),
    }
}

fn choose_and_plan(view: &View<'_>) -> Result<Detection, Pending> {
    let snapshot = view.snapshot();
    // Everything the root decision may need, in one round (only existing files are read).
    view.prefetch(ROOT_FILES)?;
    let root_netlify = overrides::netlify(view, ".")?;
    if let Some(base) = root_netlify.as_ref().and_then(|s| s.base.as_deref())
        && let Some(dir) = normalize_dir(snapshot, base).filter(|d| d != ".")
    {
        let verdict = analyse_dir(view, &dir)?;
        let mut d = plan(view, verdict, workspace_root_of(view, &dir)?, root_netlify.as_ref())?;
        d.evidence.insert(0, format!("root directory {dir} from base in netlify.toml"));
        return Ok(d);
    }
    let root = analyse_dir(view, ".")?;
    match monorepo::choose(view, root)? {
        Choice::App(verdict, notes) => {
            let dir = verdict.dir.clone();
            let ws = if dir == "." { None } else { workspace_root_of(view, &dir)? };
            let netlify = if dir == "." { None } else { root_netlify.as_ref() };
            let mut d = plan(view, verdict, ws, netlify)?;
            d.evidence.splice(0..0, notes);
            Ok(d)
        }
        Choice::Ambiguous(apps, notes) => {
            let root = analyse_dir(view, ".")?;
            let mut d = plan(view, root, None, None)?;
            d.framework = None;
            d.build_command = None;
            d.output_directory = None;
            d.candidates = apps.iter().map(|(dir, _)| dir.clone()).collect();
            let listed: Vec<String> =
                apps.iter().map(|(dir, slug)| format!("{dir} ({slug})")).collect();
            d.evidence = notes;
            if let Some(pm) = &d.package_manager {
                d.evidence.push(format!("package manager of the workspace root: {pm}"));
            }
            d.evidence.push(format!(
                "several deployable apps: {}; choose a root directory",
                listed.join(", ")
            ));
            Ok(d)
        }
    }
}

/// The repository root is the workspace root of an app below it when it declares workspaces
/// (`workspaces`, `pnpm-workspace.yaml`, `lerna.json`, `rush.json`) or is an Nx / Turborepo
/// root, whose dependencies are installed at the root.
fn workspace_root_of(view: &View<'_>, dir: &str) -> Result<Option<Workspace>, Pending> {
    if dir == "." {
        return Ok(None);
    }
    let mut notes = Vec::new();
    let (pkg, _) = load_package_json(view, ".", &mut notes)?;
    let turbo = view.exists("turbo.json")
        || view.exists("turbo.jsonc")
        || pkg.as_ref().is_some_and(|p| p.has_turbo_key);
    let tool = if turbo {
        Some(MonorepoTool::Turbo)
    } else if view.exists("nx.json") {
        Some(MonorepoTool::Nx)
    } else {
        None
    };
    let declared =
        ["pnpm-workspace.yaml", "lerna.json", "rush.json"].iter().any(|m| view.exists(m))
            || pkg.as_ref().is_some_and(|p| p.has_workspaces);
    Ok((declared || tool.is_some()).then_some(Workspace { root: ".", tool }))
}
