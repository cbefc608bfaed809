//! Python installers, chosen by manifest as Nixpacks does: `requirements.txt` (pip), else
//! `pyproject.toml` with a poetry / pdm / uv lockfile or tool table, else `Pipfile` (pipenv).

use crate::detection::Detection;
use crate::rules::tools;
use crate::view::{Pending, Read, View, join, text};

/// Fills the Python package manager and install command.
pub(crate) fn plan(view: &View<'_>, dir: &str, d: &mut Detection) -> Result<(), Pending> {
    let has = |name: &str| view.exists(&join(dir, name));
    let (pm, install, why): (&str, String, String) = if has("requirements.txt") {
        (tools::PIP, "pip install -r requirements.txt".into(), "requirements.txt present".into())
    } else if has("pyproject.toml") {
        let pyproject = match view.read(&join(dir, "pyproject.toml"))? {
            Read::Bytes(bytes) => text(bytes).into_owned(),
            Read::Missing | Read::TooLarge => String::new(),
        };
        if has("poetry.lock") || pyproject.contains("[tool.poetry]") {
            (tools::POETRY, "poetry install --no-root --only main".into(), "poetry project".into())
        } else if has("pdm.lock") || pyproject.contains("[tool.pdm]") {
            (tools::PDM, "pdm install --prod".into(), "pdm project".into())
        } else if has("uv.lock") || pyproject.contains("[tool.uv]") {
            (tools::UV, "uv sync --frozen --no-dev".into(), "uv project".into())
        } else {
            (tools::PIP, "pip install .".into(), "pyproject.toml without a lockfile".into())
        }
    } else if has("Pipfile") {
        let flag = if has("Pipfile.lock") { "--deploy" } else { "--skip-lock" };
        (tools::PIPENV, format!("pipenv install {flag}"), "Pipfile present".into())
    } else if has("setup.py") {
        (tools::PIP, "pip install .".into(), "setup.py present".into())
    } else {
        return Ok(());
    };
    d.package_manager = Some(pm.to_owned());
    d.install_command = Some(install);
    d.evidence.push(format!("{why}: install with {pm}"));
    Ok(())
}
