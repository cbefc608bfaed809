//! Tolerant readers for the manifests detection looks at.
//!
//! Every reader accepts arbitrary bytes: a BOM is skipped, invalid UTF-8 is replaced, and
//! malformed or hostile content yields an empty model (or an `Err` with a short reason)
//! instead of a panic. Each format goes through its ecosystem's parser, each with a recursion
//! limit that rejects deep nesting: JSON through `serde_json`, TOML through `toml`, YAML through
//! `yaml_serde` (which also caps alias expansion, so a "billion laughs" file fails fast).

/// Why a JSON manifest was ignored; its text goes into the detection's evidence.
#[derive(Debug, thiserror::Error)]
pub(crate) enum JsonManifestError {
    /// Not JSON at all (or nested deeper than the parser allows).
    #[error("invalid JSON ({0})")]
    Invalid(serde_json::Error),
    /// JSON, but not an object.
    #[error("not a JSON object")]
    NotAnObject,
}

pub(crate) mod lang_workspaces;
pub(crate) mod nx_project;
pub(crate) mod package_json;
pub(crate) mod toml_tables;
pub(crate) mod workspace_files;
