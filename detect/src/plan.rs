//! The build plan for an analysed directory: runtime, package manager, Node version and the
//! install / build / output defaults, overridden by the repository's own scripts.

use crate::analyse::DirVerdict;
use crate::detection::Detection;
use crate::node::{package_manager, version};
use crate::view::{Pending, View, join};

/// Scripts that stand for "build", in the order Vercel tries them.
const BUILD_SCRIPTS: &[&str] = &["vercel-build", "now-build", "build"];

/// Turns a directory verdict into the full detection.
pub(crate) fn plan(view: &View<'_>, verdict: DirVerdict) -> Result<Detection, Pending> {
    let mut d = Detection::empty(&verdict.dir);
    d.evidence = verdict.evidence;
    if let Some(preset) = verdict.preset {
        d.framework = Some(preset.slug.to_owned());
        d.runtime = preset.runtime.map(str::to_owned);
        d.build_command = preset.build.map(str::to_owned);
        d.output_directory = preset.output.map(str::to_owned);
        d.install_command = preset.install.map(str::to_owned);
    }
    let is_node = d.runtime.as_deref() == Some("node") || (d.runtime.is_none() && verdict.has_pkg);
    if is_node && verdict.has_pkg {
        d.runtime.get_or_insert_with(|| "node".to_owned());
        node_plan(view, &verdict.dir, verdict.pkg.as_ref(), &mut d)?;
    }
    if d.framework.is_none() && d.evidence.is_empty() {
        d.evidence.push(format!(
            "no framework or runtime marker found in {}",
            verdict.dir
        ));
    }
    Ok(d)
}

fn node_plan(
    view: &View<'_>,
    dir: &str,
    pkg: Option<&crate::manifest::package_json::PackageJson>,
    d: &mut Detection,
) -> Result<(), Pending> {
    let pkg_path = join(dir, "package.json");
    let field = pkg
        .and_then(|p| p.package_manager.as_deref())
        .map(|f| (pkg_path.as_str(), f));
    let pm = package_manager::resolve(dir, field, |p| view.exists(p));
    d.package_manager = Some(pm.pm.name().to_owned());
    d.install_command = Some(pm.install_command());
    d.evidence.extend(pm.evidence.iter().cloned());
    let engines = pkg
        .and_then(|p| p.engines_node.as_deref())
        .map(|r| (pkg_path.as_str(), r));
    if let Some((v, why)) = version::resolve(view, dir, engines)? {
        d.node_version = Some(v);
        d.evidence.push(why);
    }
    if let Some(pkg) = pkg {
        if let Some(script) = BUILD_SCRIPTS.iter().find(|s| pkg.scripts.contains_key(**s)) {
            d.build_command = Some(pm.pm.run(script));
            d.evidence
                .push(format!("build script {script:?} in {pkg_path}"));
        }
    }
    if d.framework.is_none() && d.output_directory.is_none() {
        let public = join(dir, "public");
        if view.snapshot().contains_dir(&public) {
            d.output_directory = Some("public".to_owned());
        }
    }
    Ok(())
}
