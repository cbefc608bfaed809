//! Containers, static files and a bare `start.sh`. A `Dockerfile.vercel` / `Containerfile.vercel` is an explicit
//! opt-in and beats everything; a plain `Dockerfile` / `Containerfile` at the app root is used
//! only when nothing else is recognised (and is otherwise cited as evidence), so adding a
//! Dockerfile for local development never changes the framework of a recognised app.

use super::{Det, Preset, Toolchain};

const fn container(id: &'static str, detect: Det) -> Preset {
    Preset {
        id,
        slug: "container",
        runtime: None,
        detect,
        build: None,
        output: None,
        install: None,
        toolchain: Toolchain::Container,
        hints: &[],
    }
}

/// The presets of this family.
pub(crate) const PRESETS: &[Preset] = &[
    container(
        "container-opt-in",
        Det::Any(&[Det::File("Dockerfile.vercel"), Det::File("Containerfile.vercel")]),
    ),
    Preset {
        id: "static",
        slug: "static",
        runtime: None,
        detect: Det::Any(&[
            Det::File("Staticfile"),
            Det::File("index.html"),
            Det::File("public/index.html"),
        ]),
        build: None,
        output: Some("."),
        install: None,
        toolchain: Toolchain::None,
        hints: &[],
    },
    // Railpack's shell provider: a `start.sh` is the whole app when nothing else matched.
    Preset {
        id: "shell",
        slug: "shell",
        runtime: Some("shell"),
        detect: Det::File("start.sh"),
        build: None,
        output: None,
        install: None,
        toolchain: Toolchain::None,
        hints: &[],
    },
    container("container", Det::Any(&[Det::File("Dockerfile"), Det::File("Containerfile")])),
];
