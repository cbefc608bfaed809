//! Tolerant readers for the manifests detection looks at.
//!
//! Every reader accepts arbitrary bytes: a BOM is skipped, invalid UTF-8 is replaced, and
//! malformed or hostile content yields an empty model plus a note instead of an error.

pub(crate) mod package_json;
