//! Install and build planning per toolchain: the package manager reported, the install
//! command, and build defaults that depend on the repository (scripts, wrappers, lockfiles).

pub(crate) mod java;
pub(crate) mod node;
pub(crate) mod python;

use crate::detection::Detection;
use crate::rules::{Toolchain, tools};
use crate::view::{Pending, View, join};

use node::NodeContext;

/// Fills package manager, install and build fields of `d` for `toolchain`.
pub(crate) fn plan(
    view: &View<'_>,
    toolchain: Toolchain,
    ctx: &NodeContext<'_>,
    d: &mut Detection,
) -> Result<(), Pending> {
    let dir = ctx.dir;
    match toolchain {
        Toolchain::Node => node::plan(view, ctx, d),
        Toolchain::Python => python::plan(view, dir, d),
        Toolchain::Java => {
            java::plan(view, dir, d);
            Ok(())
        }
        Toolchain::Php => {
            let composer = "composer install --no-dev --optimize-autoloader --no-interaction";
            if view.exists(&join(dir, "composer.json")) {
                d.package_manager = Some(tools::COMPOSER.to_owned());
                d.install_command = Some(composer.to_owned());
                d.evidence
                    .push(format!("{} present: install with composer", join(dir, "composer.json")));
            }
            if ctx.pkg.is_some() {
                // The JavaScript front-end (Vite, Mix) is built after composer installs.
                let mut front = Detection::empty(dir);
                let front_ctx = NodeContext { exec_defaults: false, ..*ctx };
                node::plan(view, &front_ctx, &mut front)?;
                d.install_command = Some(match d.install_command.take() {
                    Some(php) => format!("{php} && {}", front.install_command.unwrap_or_default()),
                    None => front.install_command.unwrap_or_default(),
                });
                d.build_command = front.build_command.or(d.build_command.take());
                d.node_version = front.node_version;
                d.evidence.extend(front.evidence);
            }
            Ok(())
        }
        Toolchain::Fixed { pm, manifest } => {
            if manifest.is_empty() || view.exists(&join(dir, manifest)) {
                d.package_manager = Some(pm.to_owned());
            }
            Ok(())
        }
        Toolchain::Container => Ok(()),
        Toolchain::None => {
            if ctx.pkg.is_some() {
                node::plan(view, &NodeContext { exec_defaults: false, ..*ctx }, d)?;
            }
            Ok(())
        }
    }
}
