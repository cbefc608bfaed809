//! Language runtimes without a JavaScript preset: static HTML and container builds.

use super::{Det, Preset};

/// The presets of this family.
pub(crate) const PRESETS: &[Preset] = &[Preset {
    slug: "static",
    runtime: None,
    detect: Det::Any(&[Det::File("index.html"), Det::File("Staticfile")]),
    build: None,
    output: Some("."),
    install: None,
}];
