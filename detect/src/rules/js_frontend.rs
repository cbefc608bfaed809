//! JavaScript and TypeScript front-end and full-stack frameworks (Vercel's preset list).

use super::{Det, Preset};

const fn node(
    slug: &'static str,
    detect: Det,
    build: &'static str,
    output: Option<&'static str>,
) -> Preset {
    Preset {
        slug,
        runtime: Some("node"),
        detect,
        build: Some(build),
        output,
        install: None,
    }
}

/// The presets of this family.
pub(crate) const PRESETS: &[Preset] = &[
    node("nextjs", Det::Dep("next"), "next build", Some(".next")),
    node(
        "create-react-app",
        Det::Any(&[Det::Dep("react-scripts"), Det::Dep("react-dev-utils")]),
        "react-scripts build",
        Some("build"),
    ),
    node("vite", Det::Dep("vite"), "vite build", Some("dist")),
];
