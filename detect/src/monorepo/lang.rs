//! Workspaces of other ecosystems: Go (`go.work`), Cargo (`[workspace] members`), uv
//! (`[tool.uv.workspace] members`) and Poetry (path dependencies). Members that can run on
//! their own are the candidates: a Go module with `main.go` or `cmd/`, a Cargo package with
//! `src/main.rs` or `src/bin/`, a Python project with a framework or an entry script. The
//! workspace's package manager is reported even when the root itself is not an app.

use crate::analyse::{DirVerdict, analyse_dir};
use crate::manifest::lang_workspaces::{cargo_members, go_work_uses, poetry_path_deps, uv_members};
use crate::view::{Pending, Read, View, join, text};

use super::glob::Workspaces;
use super::{Choice, MAX_PACKAGES, decide, skipped};

/// Entry scripts that make a Python project runnable on its own.
const PYTHON_ENTRIES: &[&str] =
    &["main.py", "app.py", "manage.py", "server.py", "wsgi.py", "asgi.py"];

/// Which workspace kind, with its manifest, the member manifest and the runnable test.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Go,
    Cargo,
    Uv,
    Poetry,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Self::Go => "Go workspace (go.work)",
            Self::Cargo => "Cargo workspace (Cargo.toml [workspace])",
            Self::Uv => "uv workspace (pyproject.toml [tool.uv.workspace])",
            Self::Poetry => "Poetry project with path dependencies (pyproject.toml)",
        }
    }

    fn member_manifest(self) -> &'static str {
        match self {
            Self::Go => "go.mod",
            Self::Cargo => "Cargo.toml",
            Self::Uv | Self::Poetry => "pyproject.toml",
        }
    }

    /// Whether a member (already recognised by a preset) runs on its own.
    fn runnable(self, view: &View<'_>, v: &DirVerdict) -> bool {
        let has = |name: &str| {
            let path = join(&v.dir, name);
            view.exists(&path) || view.snapshot().contains_dir(&path)
        };
        match self {
            Self::Go => has("main.go") || has("cmd"),
            Self::Cargo => has("src/main.rs") || has("src/bin"),
            Self::Uv | Self::Poetry => {
                v.preset.is_some_and(|p| p.slug != "python")
                    || PYTHON_ENTRIES.iter().any(|e| has(e))
            }
        }
    }
}

/// The choice for a workspace of another ecosystem at the root, or `None` when there is none.
pub(super) fn choose(view: &View<'_>, root: &DirVerdict) -> Result<Option<Choice>, Pending> {
    let Some((kind, members)) = members(view)? else {
        return Ok(None);
    };
    let patterns = Workspaces::new(members.iter().map(String::as_str));
    let manifest = kind.member_manifest();
    let dirs: Vec<&str> = view
        .dirs()?
        .into_iter()
        .filter(|d| !skipped(d))
        .filter(|d| view.exists(&join(d, manifest)))
        .filter(|d| patterns.matches(d))
        .take(MAX_PACKAGES)
        .collect();
    let mut notes = vec![format!(
        "{} with {} member(s): {}",
        kind.label(),
        dirs.len(),
        if dirs.is_empty() { "none found".to_owned() } else { dirs.join(", ") }
    )];
    let mut apps = Vec::new();
    let mut pending = false;
    for dir in &dirs {
        match analyse_dir(view, dir) {
            Ok(v) if v.is_app() && kind.runnable(view, &v) => apps.push(v),
            Ok(v) => notes.push(format!("{} is not runnable on its own (a library)", v.dir)),
            Err(Pending) => pending = true,
        }
    }
    if pending {
        return Err(Pending);
    }
    if root.is_app() && kind.runnable(view, root) {
        apps.insert(0, root.clone());
    }
    Ok(Some(decide(apps, notes, root.clone())))
}

/// The workspace kind at the root and its member paths or globs.
fn members(view: &View<'_>) -> Result<Option<(Kind, Vec<String>)>, Pending> {
    view.prefetch(["go.work", "Cargo.toml", "pyproject.toml"])?;
    let body = |path: &str| -> Result<Option<String>, Pending> {
        Ok(match view.read(path)? {
            Read::Bytes(bytes) => Some(text(bytes).into_owned()),
            Read::Missing | Read::TooLarge => None,
        })
    };
    let found = |kind: Kind, list: Vec<String>| {
        let list: Vec<String> = list.into_iter().filter(|m| !m.is_empty() && m != ".").collect();
        (!list.is_empty()).then_some((kind, list))
    };
    if let Some(go) = body("go.work")?
        && let Some(hit) = found(Kind::Go, go_work_uses(&go))
    {
        return Ok(Some(hit));
    }
    if let Some(cargo) = body("Cargo.toml")?
        && let Some(hit) = found(Kind::Cargo, cargo_members(&cargo))
    {
        return Ok(Some(hit));
    }
    if let Some(py) = body("pyproject.toml")? {
        if let Some(hit) = found(Kind::Uv, uv_members(&py)) {
            return Ok(Some(hit));
        }
        return Ok(found(Kind::Poetry, poetry_path_deps(&py)));
    }
    Ok(None)
}
