//! Node.js specifics: package manager and Node version resolution.

pub(crate) mod package_manager;
pub(crate) mod semver;
pub(crate) mod version;
