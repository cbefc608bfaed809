//! Python installers, chosen by manifest as Nixpacks does: `requirements.txt` (pip), else
//! `pyproject.toml` with a poetry / pdm / uv lockfile or tool table, else `Pipfile` (pipenv).

use crate::detection::Detection;
use crate::node::package_manager::ancestors;
use crate::rules::tools;
use crate::toolchain::node::in_dir;
use crate::view::{Pending, Read, View, join, text};

/// Fills the Python package manager and install command.
pub(crate) fn plan(view: &View<'_>, dir: &str, d: &mut Detection) -> Result<(), Pending> {
    let has = |name: &str| view.exists(&join(dir, name));
    // A uv / Poetry / PDM workspace keeps one lockfile at its root, above the member.
    let lock = |name: &str| ancestors(dir).find(|a| view.exists(&join(a, name)));
    let (pm, install, why, at): (&str, String, String, Option<String>) = if has("requirements.txt")
    {
        (
            tools::PIP,
            "pip install -r requirements.txt".into(),
            "requirements.txt present".into(),
            None,
        )
    } else if has("pyproject.toml") {
        let pyproject = match view.read(&join(dir, "pyproject.toml"))? {
            Read::Bytes(bytes) => text(bytes).into_owned(),
            Read::Missing | Read::TooLarge => String::new(),
        };
        if let Some(at) = lock("poetry.lock").filter(|_| !has("uv.lock") && !has("pdm.lock")) {
            (
                tools::POETRY,
                "poetry install --no-root --only main".into(),
                "poetry project".into(),
                Some(at),
            )
        } else if pyproject.contains("[tool.poetry]") {
            (
                tools::POETRY,
                "poetry install --no-root --only main".into(),
                "poetry project".into(),
                None,
            )
        } else if let Some(at) = lock("pdm.lock").filter(|_| !has("uv.lock")) {
            (tools::PDM, "pdm install --prod".into(), "pdm project".into(), Some(at))
        } else if pyproject.contains("[tool.pdm]") {
            (tools::PDM, "pdm install --prod".into(), "pdm project".into(), None)
        } else if let Some(at) = lock("uv.lock") {
            (tools::UV, "uv sync --frozen --no-dev".into(), "uv project".into(), Some(at))
        } else if pyproject.contains("[tool.uv]") {
            (tools::UV, "uv sync --frozen --no-dev".into(), "uv project".into(), None)
        } else {
            (tools::PIP, "pip install .".into(), "pyproject.toml without a lockfile".into(), None)
        }
    } else if has("Pipfile") {
        let flag = if has("Pipfile.lock") { "--deploy" } else { "--skip-lock" };
        (tools::PIPENV, format!("pipenv install {flag}"), "Pipfile present".into(), None)
    } else if has("setup.py") {
        (tools::PIP, "pip install .".into(), "setup.py present".into(), None)
    } else {
        return Ok(());
    };
    d.package_manager = Some(pm.to_owned());
    let install = match at.as_deref() {
        Some(root) if root != dir => {
            d.evidence.push(format!("workspace lockfile at {root}: install from there"));
            in_dir(dir, root, &install)
        }
        _ => install,
    };
    d.install_command = Some(install);
    d.evidence.push(format!("{why}: install with {pm}"));
    Ok(())
}
