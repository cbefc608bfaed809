//! Tolerant readers for the manifests detection looks at.
//!
//! Every reader accepts arbitrary bytes: a BOM is skipped, invalid UTF-8 is replaced, and
//! malformed or hostile content yields an empty model (or an `Err` with a short reason)
//! instead of a panic. JSON goes through `serde_json`, whose recursion limit rejects deep
//! nesting; TOML, YAML and JSONC are read by the small line-based readers here, which only
//! extract the handful of keys detection needs.

pub(crate) mod package_json;
pub(crate) mod toml_lite;
pub(crate) mod workspace_files;
