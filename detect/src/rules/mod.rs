//! The preset catalogue: declarative detectors plus build defaults, one file per family, and
//! the single precedence list that decides between several matches.

mod detector;
mod precedence;

pub(crate) mod js_frontend;
pub(crate) mod languages;

pub(crate) use detector::{Det, Facts, evaluate};
pub(crate) use precedence::ORDER;

/// One framework or runtime preset.
#[derive(Debug)]
pub(crate) struct Preset {
    /// Vercel's slug where Vercel has one; otherwise a runtime or framework name.
    pub slug: &'static str,
    /// Language runtime the preset runs on (`None` for static files and containers).
    pub runtime: Option<&'static str>,
    /// When the preset applies.
    pub detect: Det,
    /// Default build command (before the repository's own scripts override it).
    pub build: Option<&'static str>,
    /// Default output directory.
    pub output: Option<&'static str>,
    /// Install command for non-JavaScript presets (JavaScript derives it from the package
    /// manager).
    pub install: Option<&'static str>,
}

/// Every preset, in no particular order; [`ORDER`] decides precedence.
pub(crate) fn all() -> impl Iterator<Item = &'static Preset> {
    js_frontend::PRESETS.iter().chain(languages::PRESETS)
}

/// The preset with `slug`.
pub(crate) fn by_slug(slug: &str) -> Option<&'static Preset> {
    all().find(|p| p.slug == slug)
}
