//! Nx integrated repositories: `nx.json` at the root and a `project.json` per project, with
//! one root `package.json` holding every project's dependencies. The root's dependencies say
//! nothing about any one app, so each project is judged by its build executor
//! (`@nx/next:build` → `nextjs`) and, failing that, by its own files; libraries are skipped.

use crate::analyse::{DirVerdict, NxTarget, analyse_dir, load_package_json};
use crate::manifest::nx_project::NxProject;
use crate::rules;
use crate::view::{Pending, Read, View, join};

use super::{Choice, MAX_PACKAGES, decide, depth, skipped};

/// How deep below the root `project.json` files are looked for (`apps/web`, `apps/team/web`).
const MAX_DEPTH: usize = 4;

/// The choice for an Nx integrated repository, or `None` when the root has no `nx.json` or no
/// `project.json` exists.
pub(super) fn choose(view: &View<'_>, root: &DirVerdict) -> Result<Option<Choice>, Pending> {
    if !view.exists("nx.json") {
        return Ok(None);
    }
    let mut dirs: Vec<&str> = view
        .dirs()?
        .into_iter()
        .filter(|d| depth(d) <= MAX_DEPTH && !skipped(d))
        .filter(|d| view.exists(&join(d, "project.json")))
        .take(MAX_PACKAGES)
        .collect();
    if view.exists("project.json") {
        dirs.insert(0, ".");
    }
    if dirs.is_empty() {
        return Ok(None);
    }
    view.prefetch(dirs.iter().map(|d| join(d, "project.json")))?;
    let mut notes = vec![format!(
        "Nx workspace (nx.json) with {} project.json project(s): {}",
        dirs.len(),
        dirs.join(", ")
    )];
    if let Some(preset) = root.preset.filter(|_| !dirs.contains(&"."))
        && preset.runtime == Some("node")
    {
        notes.push(format!(
            "the root package.json holds every Nx project's dependencies, so its {} match does \
             not make the root an app",
            preset.slug
        ));
    }
    let mut apps = Vec::new();
    let mut pending = false;
    for dir in &dirs {
        match project_verdict(view, dir, &mut notes) {
            Ok(Some(verdict)) => apps.push(verdict),
            Ok(None) => {}
            Err(Pending) => pending = true,
        }
    }
    if pending {
        return Err(Pending);
    }
    let mut root = root.clone();
    if !dirs.contains(&".") {
        root.preset = None;
        root.evidence.clear();
    }
    Ok(Some(decide(apps, notes, root)))
}

/// The verdict for one Nx project, `None` when it is a library or nothing deployable.
fn project_verdict(
    view: &View<'_>,
    dir: &str,
    notes: &mut Vec<String>,
) -> Result<Option<DirVerdict>, Pending> {
    let path = join(dir, "project.json");
    let project = match view.read(&path)? {
        Read::Bytes(bytes) => match NxProject::parse(bytes) {
            Ok(project) => project,
            Err(reason) => {
                notes.push(format!("{path} ignored: {reason}"));
                return Ok(None);
            }
        },
        Read::Missing | Read::TooLarge => return Ok(None),
    };
    if project.is_library() {
        return Ok(None);
    }
    let name = project.name.clone().unwrap_or_else(|| {
        if dir == "." { "app".to_owned() } else { dir.rsplit('/').next().unwrap_or(dir).to_owned() }
    });
    // An output path must stay inside the repository: no `..`, no absolute path.
    let output_path = project.output_path.clone().filter(|p| {
        let inside = !p.starts_with('/')
            && !p.contains('\\')
            && !p.split('/').any(|seg| seg == "..")
            && !p.trim_matches(['.', '/']).is_empty();
        if !inside {
            notes.push(format!("outputPath {p:?} in {path} ignored: outside the repository"));
        }
        inside
    });
    let nx = Some(NxTarget { name, output_path });
    if let Some(preset) = project.executor_preset().and_then(rules::by_id) {
        let mut evidence = vec![format!(
            "build executor {} in {path}: {}",
            project.build_executor.as_deref().unwrap_or_default(),
            preset.slug
        )];
        let (pkg, has_pkg) = load_package_json(view, dir, &mut evidence)?;
        return Ok(Some(DirVerdict {
            dir: dir.to_owned(),
            preset: Some(preset),
            evidence,
            pkg,
            has_pkg,
            nx,
        }));
    }
    if dir == "." {
        return Ok(None);
    }
    let verdict = analyse_dir(view, dir)?;
    Ok(verdict.is_app().then_some(DirVerdict { nx, ..verdict }))
}
