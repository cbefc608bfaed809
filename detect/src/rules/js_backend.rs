//! JavaScript backends and the plain Node / Bun runtimes. A backend needs its dependency and an
//! entry file; each ranks above the bare runtime.

use super::entry::{APP_ENTRY, NEST_ENTRY, SERVER_ENTRY};
use super::{Det, Preset, Toolchain};

const fn backend(slug: &'static str, detect: Det) -> Preset {
    Preset::lang(slug, "node", detect, Toolchain::Node)
}

/// The presets of this family.
pub(crate) const PRESETS: &[Preset] = &[
    Preset {
        build: Some("nest build"),
        output: Some("dist"),
        hints: &["nest-cli.json"],
        ..backend("nestjs", Det::All(&[Det::Dep("@nestjs/core"), NEST_ENTRY]))
    },
    backend("express", Det::All(&[Det::Dep("express"), APP_ENTRY])),
    backend("hono", Det::All(&[Det::Dep("hono"), APP_ENTRY])),
    backend("h3", Det::All(&[Det::Dep("h3"), APP_ENTRY])),
    backend("koa", Det::All(&[Det::Dep("koa"), APP_ENTRY])),
    backend("fastify", Det::All(&[Det::Dep("fastify"), APP_ENTRY])),
    backend("elysia", Det::All(&[Det::Dep("elysia"), APP_ENTRY])),
    Preset::lang(
        "bun",
        "bun",
        Det::All(&[Det::Any(&[Det::File("bun.lock"), Det::File("bun.lockb")]), SERVER_ENTRY]),
        Toolchain::Node,
    ),
    backend("node", Det::Any(&[SERVER_ENTRY, Det::Script("start")])),
];
