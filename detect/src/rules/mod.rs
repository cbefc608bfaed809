//! The preset catalogue: declarative detectors plus build defaults, one file per framework
//! family, and the single precedence list ([`ORDER`]) that decides between several matches.

use std::sync::LazyLock;

mod detector;
mod entry;
mod precedence;

pub(crate) mod fallback;
pub(crate) mod js_backend;
pub(crate) mod js_meta;
pub(crate) mod js_spa;
pub(crate) mod jvm_dotnet;
pub(crate) mod other_langs;
pub(crate) mod python;
pub(crate) mod ruby_php;
pub(crate) mod ssg;
pub(crate) mod systems;
pub(crate) mod tools;

pub(crate) use detector::{Det, Facts, evaluate};
pub(crate) use precedence::ORDER;

/// How dependencies are installed for a preset; decides the package manager reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Toolchain {
    /// npm / yarn / pnpm / bun, resolved from lockfiles and `packageManager`.
    Node,
    /// pip / poetry / pdm / uv / pipenv, resolved from Python manifests and lockfiles.
    Python,
    /// Maven or Gradle, resolved from the build files and wrappers.
    Java,
    /// Composer, plus the Node toolchain when the app also has a `package.json`.
    Php,
    /// A fixed package manager, reported only when its manifest file exists.
    Fixed {
        /// Package manager or build tool, from the [`tools`] vocabulary.
        pm: &'static str,
        /// Manifest whose presence makes the package manager apply (`""`: always applies).
        manifest: &'static str,
    },
    /// Nothing to install beyond an optional `package.json` (static files, Hugo, Zola).
    None,
    /// The Dockerfile installs and builds; nothing is planned.
    Container,
}

/// One framework or runtime preset.
#[derive(Debug)]
pub(crate) struct Preset {
    /// Unique id used by [`ORDER`]; equal to the slug except for a second rule with one slug.
    pub id: &'static str,
    /// Vercel's slug where Vercel has one; otherwise a runtime or framework name.
    pub slug: &'static str,
    /// Language runtime the preset runs on (`None` for static files and containers).
    pub runtime: Option<&'static str>,
    /// When the preset applies.
    pub detect: Det,
    /// Default build command (before the repository's own scripts override it).
    pub build: Option<&'static str>,
    /// Default output directory, relative to the app directory.
    pub output: Option<&'static str>,
    /// Default install command (JavaScript, Python, Java and PHP derive theirs).
    pub install: Option<&'static str>,
    /// How dependencies are installed.
    pub toolchain: Toolchain,
    /// Framework config files cited as extra evidence when present (never required).
    pub hints: &'static [&'static str],
}

impl Preset {
    /// A Node.js preset with a default build command and output directory.
    pub(crate) const fn js(
        slug: &'static str,
        detect: Det,
        build: &'static str,
        output: &'static str,
    ) -> Self {
        Self {
            id: slug,
            slug,
            runtime: Some("node"),
            detect,
            build: Some(build),
            output: Some(output),
            install: None,
            toolchain: Toolchain::Node,
            hints: &[],
        }
    }

    /// A preset of another runtime, with no build defaults.
    pub(crate) const fn lang(
        slug: &'static str,
        runtime: &'static str,
        detect: Det,
        toolchain: Toolchain,
    ) -> Self {
        Self {
            id: slug,
            slug,
            runtime: Some(runtime),
            detect,
            build: None,
            output: None,
            install: None,
            toolchain,
            hints: &[],
        }
    }
}

/// Every preset, in no particular order; [`ORDER`] decides precedence.
pub(crate) fn all() -> impl Iterator<Item = &'static Preset> {
    js_meta::PRESETS
        .iter()
        .chain(js_spa::PRESETS)
        .chain(ssg::PRESETS)
        .chain(js_backend::PRESETS)
        .chain(python::PRESETS)
        .chain(ruby_php::PRESETS)
        .chain(jvm_dotnet::PRESETS)
        .chain(systems::PRESETS)
        .chain(other_langs::PRESETS)
        .chain(fallback::PRESETS)
}

/// The preset with this id.
pub(crate) fn by_id(id: &str) -> Option<&'static Preset> {
    all().find(|p| p.id == id)
}

/// The presets in precedence order, resolved once.
pub(crate) fn ordered() -> &'static [&'static Preset] {
    static ORDERED: LazyLock<Vec<&'static Preset>> =
        LazyLock::new(|| ORDER.iter().filter_map(|id| by_id(id)).collect());
    &ORDERED
}
