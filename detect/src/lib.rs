//! Framework, package-manager and build-plan detection over a repository view.
//!
//! The crate is pure: no IO, no async, no clock, no environment. The caller lists a
//! repository's paths in a [`Snapshot`]; [`detect`] answers either a [`Detection`] or the few
//! files it needs read first ([`Step::Need`]), so a GitHub-backed caller fetches only those.
//! [`detect_with`] drives that loop with a synchronous reader. Which frameworks WhaleRay builds
//! is a separate [`SupportPolicy`].

mod analyse;
mod build_plan;
mod detection;
mod engine;
mod error;
mod manifest;
mod monorepo;
mod node;
mod overrides;
mod policy;
mod rules;
mod snapshot;
mod toolchain;
mod view;

pub use detection::{Detection, Options, Step};
pub use error::DetectError;
pub use policy::{PolicyError, SupportPolicy, known_slugs};
pub use snapshot::{FileContent, MAX_FILE_BYTES, Snapshot};

/// Every package-manager / build-tool name a verdict can report (`packageManager`); the one
/// vocabulary, documented in the crate README.
pub fn known_tools() -> &'static [&'static str] {
    rules::tools::ALL
}

/// Upper bound on read rounds in [`detect_with`]; detection settles in far fewer.
pub const MAX_ROUNDS: usize = 16;

/// Runs detection on what is loaded. Never panics and is deterministic: the same snapshot
/// gives the same step. `Need` lists only paths that exist in the snapshot and are not loaded.
pub fn detect(snapshot: &Snapshot, options: &Options) -> Step {
    let view = view::View::new(snapshot);
    match engine::run(&view, options) {
        Ok(detection) => Step::Done(detection),
        Err(view::Pending) => Step::Need(view.into_wanted()),
    }
}

/// Drives [`detect`] to completion with a synchronous reader (local folders, tests, benches).
///
/// The reader returns the file's content, [`FileContent::Absent`] for a path that does not
/// exist, or [`FileContent::TooLarge`] for a file over [`MAX_FILE_BYTES`] it chose not to read.
pub fn detect_with<E>(
    snapshot: &mut Snapshot,
    options: &Options,
    mut read: impl FnMut(&str) -> Result<FileContent, E>,
) -> Result<Detection, DetectError<E>> {
    if let Err(path) = engine::requested_root(snapshot, options) {
        return Err(DetectError::InvalidRootDirectory { path });
    }
    for _ in 0..MAX_ROUNDS {
        match detect(snapshot, options) {
            Step::Done(detection) => return Ok(detection),
            Step::Need(paths) => {
                for path in paths {
                    let content = read(&path)
                        .map_err(|source| DetectError::Read { path: path.clone(), source })?;
                    snapshot.insert_file(&path, content);
                }
            }
        }
    }
    Err(DetectError::TooManyRounds)
}
