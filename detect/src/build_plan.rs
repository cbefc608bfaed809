//! Turns a directory verdict into the full detection: preset defaults, then the toolchain's
//! plan (scripts override defaults), then `vercel.json` / `netlify.toml` (explicit settings
//! override everything).

use crate::analyse::DirVerdict;
use crate::detection::Detection;
use crate::overrides::{self, Settings};
use crate::rules::Toolchain;
use crate::toolchain::{
    self,
    node::{NodeContext, Workspace},
};
use crate::view::{Pending, View, join};

/// Plans the build for `verdict`; `workspace` is set when the app is a workspace package;
/// `root_netlify` is the repository root's `netlify.toml` when it governs this app.
pub(crate) fn plan(
    view: &View<'_>,
    verdict: DirVerdict,
    workspace: Option<Workspace>,
    root_netlify: Option<&Settings>,
) -> Result<Detection, Pending> {
    let dir = verdict.dir.as_str();
    view.prefetch([join(dir, "vercel.json"), join(dir, "netlify.toml")])?;
    let mut d = Detection::empty(dir);
    d.evidence = verdict.evidence.clone();
    let toolchain = match verdict.preset {
        Some(preset) => {
            d.framework = Some(preset.slug.to_owned());
            d.runtime = preset.runtime.map(str::to_owned);
            d.build_command = preset.build.map(str::to_owned);
            d.output_directory = preset.output.map(str::to_owned);
            d.install_command = preset.install.map(str::to_owned);
            if preset.slug == "static"
                && !view.exists(&join(dir, "index.html"))
                && view.exists(&join(dir, "public/index.html"))
            {
                d.output_directory = Some("public".to_owned());
            }
            preset.toolchain
        }
        None if verdict.has_pkg => {
            d.runtime = Some("node".to_owned());
            Toolchain::Node
        }
        None => Toolchain::None,
    };
    let ctx = NodeContext {
        dir,
        pkg: verdict.pkg.as_ref(),
        workspace,
        exec_defaults: toolchain == Toolchain::Node,
    };
    toolchain::plan(view, toolchain, &ctx, &mut d)?;
    if let Some(settings) = root_netlify {
        overrides::apply(settings, &mut d);
    }
    if let Some(settings) = overrides::netlify(view, dir)?
        && root_netlify.is_none_or(|r| r.source != settings.source)
    {
        overrides::apply(&settings, &mut d);
    }
    if let Some(settings) = overrides::vercel(view, dir)? {
        overrides::apply(&settings, &mut d);
    }
    // The last line of a verdict without a framework says why, for the NOT_SUPPORTED reason.
    if d.framework.is_none() {
        d.evidence.push(if verdict.has_pkg {
            format!(
                "{} has no framework dependency, server entry or start script",
                join(dir, "package.json")
            )
        } else {
            format!("no framework or runtime marker found in {dir}")
        });
    }
    Ok(d)
}
