//! Explicit settings beat inferred ones: `vercel.json` (`framework`, `installCommand`,
//! `buildCommand`, `outputDirectory`) and the `[build]` table of `netlify.toml` (`command`,
//! `publish`, `base`; `NODE_VERSION` in `[build.environment]`).

use serde_json::Value;

use crate::detection::Detection;
use crate::manifest::toml_tables::table_strings;
use crate::view::{Pending, Read, View, join, text};

/// The settings one platform file states.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Settings {
    /// The file the settings come from.
    pub source: String,
    /// `Some(None)` is an explicit `"framework": null` (Vercel's "Other").
    pub framework: Option<Option<String>>,
    /// Install command.
    pub install: Option<String>,
    /// Build command.
    pub build: Option<String>,
    /// Output directory.
    pub output: Option<String>,
    /// Netlify base directory.
    pub base: Option<String>,
    /// Node version.
    pub node_version: Option<String>,
}

/// Reads `vercel.json` in `dir`.
pub(crate) fn vercel(view: &View<'_>, dir: &str) -> Result<Option<Settings>, Pending> {
    let path = join(dir, "vercel.json");
    let Read::Bytes(bytes) = view.read(&path)? else {
        return Ok(None);
    };
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let Ok(Value::Object(obj)) = serde_json::from_slice::<Value>(bytes) else {
        return Ok(None);
    };
    let string = |key: &str| obj.get(key).and_then(Value::as_str).map(str::to_owned);
    Ok(Some(Settings {
        source: path,
        framework: match obj.get("framework") {
            Some(Value::Null) => Some(None),
            Some(Value::String(s)) => Some(Some(s.clone())),
            _ => None,
        },
        install: string("installCommand"),
        build: string("buildCommand"),
        output: string("outputDirectory"),
        ..Settings::default()
    }))
}

/// Reads `netlify.toml` in `dir`.
pub(crate) fn netlify(view: &View<'_>, dir: &str) -> Result<Option<Settings>, Pending> {
    let path = join(dir, "netlify.toml");
    let Read::Bytes(bytes) = view.read(&path)? else {
        return Ok(None);
    };
    let body = text(bytes);
    let mut s = Settings { source: path, ..Settings::default() };
    for (key, value) in table_strings(&body, &["build"]) {
        match key.as_str() {
            "command" => s.build = Some(value),
            "publish" => s.output = Some(value),
            "base" => s.base = Some(value),
            _ => {}
        }
    }
    for (key, value) in table_strings(&body, &["build", "environment"]) {
        if key == "NODE_VERSION" {
            s.node_version = crate::node::semver::resolve(&value);
        }
    }
    Ok(Some(s))
}

/// Applies the commands and directories of `settings` on top of `d`, citing each override.
/// (An explicit `framework` is applied before planning, by the build plan.)
pub(crate) fn apply(settings: &Settings, d: &mut Detection) {
    let src = &settings.source;
    let mut notes = Vec::new();
    for (field, value, what) in [
        (&mut d.install_command, &settings.install, "install command"),
        (&mut d.build_command, &settings.build, "build command"),
        (&mut d.output_directory, &settings.output, "output directory"),
        (&mut d.node_version, &settings.node_version, "Node version"),
    ] {
        if let Some(value) = value {
            notes.push(format!("{what} {value:?} from {src}"));
            *field = Some(value.clone());
        }
    }
    d.evidence.extend(notes);
}
