//! Turns a directory verdict into the full detection: preset defaults, then the toolchain's
//! plan (scripts override defaults), then `vercel.json` / `netlify.toml` (explicit settings
//! override everything).

use crate::analyse::DirVerdict;
use crate::detection::Detection;
use crate::overrides::{self, Settings};
use crate::rules::{self, Toolchain};
use crate::toolchain::{
    self,
    node::{NodeContext, Workspace},
};
use crate::view::{Pending, View, join};

/// Plans the build for `verdict`; `workspace` is set when the app is a workspace package;
/// `root_netlify` is the repository root's `netlify.toml` when it governs this app.
pub(crate) fn plan(
    view: &View<'_>,
    mut verdict: DirVerdict,
    workspace: Option<Workspace>,
    root_netlify: Option<&Settings>,
) -> Result<Detection, Pending> {
    let dir = verdict.dir.clone();
    view.prefetch([join(&dir, "vercel.json"), join(&dir, "netlify.toml")])?;
    let vercel = overrides::vercel(view, &dir)?;
    let netlify = overrides::netlify(view, &dir)?
        .filter(|s| root_netlify.is_none_or(|r| r.source != s.source));
    let mut d = Detection::empty(&dir);
    d.evidence = std::mem::take(&mut verdict.evidence);
    let other = match vercel.as_ref().and_then(|v| v.framework.as_ref().map(|f| (v, f))) {
        Some((v, framework)) => {
            pin_framework(&v.source, framework.as_deref(), &mut verdict, &mut d)
        }
        None => false,
    };
    let toolchain = match verdict.preset {
        Some(preset) if !other => {
            d.framework = Some(preset.slug.to_owned());
            d.runtime = preset.runtime.map(str::to_owned);
            d.build_command = preset.build.map(str::to_owned);
            d.output_directory = preset.output.map(str::to_owned);
            d.install_command = preset.install.map(str::to_owned);
            if preset.slug == "static"
                && !view.exists(&join(&dir, "index.html"))
                && view.exists(&join(&dir, "public/index.html"))
            {
                d.output_directory = Some("public".to_owned());
            }
            preset.toolchain
        }
        _ if verdict.has_pkg => {
            d.runtime = Some("node".to_owned());
            Toolchain::Node
        }
        _ => Toolchain::None,
    };
    let ctx = NodeContext {
        dir: &dir,
        pkg: verdict.pkg.as_ref(),
        workspace,
        exec_defaults: toolchain == Toolchain::Node,
        nx_project: verdict.nx.as_ref().map(|nx| nx.name.as_str()),
    };
    toolchain::plan(view, toolchain, &ctx, &mut d)?;
    if let Some(output) = verdict.nx.as_ref().and_then(|nx| nx.output_path.as_deref()) {
        let output = relative_to(&dir, output);
        d.evidence.push(format!("output directory {output} from outputPath in project.json"));
        d.output_directory = Some(output);
    }
    if other {
        d.framework = Some("static".to_owned());
        d.output_directory.get_or_insert_with(|| ".".to_owned());
    }
    for settings in [root_netlify, netlify.as_ref(), vercel.as_ref()].into_iter().flatten() {
        overrides::apply(settings, &mut d);
    }
    // The last line of a verdict without a framework says why, for the NOT_SUPPORTED reason.
    if d.framework.is_none() {
        d.evidence.push(if verdict.has_pkg {
            format!(
                "{} has no framework dependency, server entry or start script",
                join(&dir, "package.json")
            )
        } else {
            format!("no framework or runtime marker found in {dir}")
        });
    }
    Ok(d)
}

/// Applies an explicit `framework` from `vercel.json` to the verdict before planning. Returns
/// whether it is `null` (Vercel's "Other": a static build driven by the scripts).
fn pin_framework(
    source: &str,
    framework: Option<&str>,
    verdict: &mut DirVerdict,
    d: &mut Detection,
) -> bool {
    let detected = verdict.preset.map_or("none", |p| p.slug);
    let Some(slug) = framework else {
        d.evidence.push(format!(
            "{source} sets framework null (Vercel's \"Other\"): a static build from the scripts \
             (detected {detected})"
        ));
        return true;
    };
    match rules::all().find(|p| p.slug == slug) {
        Some(_) if detected == slug => {
            d.evidence.push(format!("{source} confirms framework {slug}"))
        }
        Some(preset) => {
            d.evidence.push(format!("{source} sets framework {slug} (detected {detected})"));
            verdict.preset = Some(preset);
        }
        None => d.evidence.push(format!("{source} names unknown framework {slug:?}; ignored")),
    }
    false
}

/// `path` (relative to the repository root) as seen from `dir`.
fn relative_to(dir: &str, path: &str) -> String {
    let path = path.trim_start_matches("./").trim_end_matches('/');
    if dir == "." {
        return path.to_owned();
    }
    let up = vec![".."; dir.split('/').count()].join("/");
    format!("{up}/{path}")
}

#[cfg(test)]
mod tests {
    use super::relative_to;

    #[test]
    fn nx_output_paths_are_made_relative_to_the_app() {
        assert_eq!(relative_to("apps/web", "dist/apps/web"), "../../dist/apps/web");
        assert_eq!(relative_to(".", "./dist/web/"), "dist/web");
    }
}
