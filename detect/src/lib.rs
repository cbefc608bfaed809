//! Framework, package-manager and build-plan detection over a repository view.
//!
//! The crate is pure: no IO, no async, no clock, no environment. The caller lists a
//! repository's paths in a [`Snapshot`]; [`detect`] answers either a [`Detection`] or the few
//! files it needs read first ([`Step::Need`]), so a GitHub-backed caller fetches only those.
//! [`detect_with`] drives that loop with a synchronous reader. Which frameworks WhaleRay builds
//! is a separate [`SupportPolicy`].
//!
//! A repository is hostile input: every bound detection applies (steps per pass, paths kept,
//! glob patterns, range lengths, the size of every string in the verdict) is a documented
//! constant in [`limits`], re-exported here. A repository over a budget gets a verdict that
//! names it ([`Detection::exceeded`]), which the policy never allows.
//!
//! # What this crate may know
//!
//! - It depends on no crate of the workspace, and only the worker (and the tests) depend on
//!   it: `whaleray-shared` and `whaleray-api` never see a [`Detection`]. The worker turns a
//!   verdict into the domain's build plan before anything is stored or sent to a build, so a
//!   field renamed here changes no stored item and no HTTP body.
//! - It does no IO, is not async, reads no clock or environment and imports no AWS, Lambda,
//!   HTTP or GitHub crate. Files arrive as bytes in the [`Snapshot`]; each format goes through
//!   its ecosystem's parser (`serde_json`, `toml`, `yaml_serde`, `nodejs-semver`, `globset`).
//! - A malformed file is evidence, not an error: readers answer a typed reason that the
//!   verdict quotes. Only the driver [`detect_with`] fails, with a [`DetectError`].

mod analyse;
mod bounded;
mod build_plan;
mod detection;
mod engine;
mod error;
pub mod limits;
mod manifest;
mod monorepo;
mod node;
mod overrides;
mod policy;
mod rules;
mod snapshot;
mod toolchain;
mod view;

pub use detection::{Detection, Exceeded, Metered, Options, Step};
pub use error::DetectError;
pub use limits::*;
pub use policy::{PolicyError, SupportPolicy, known_slugs};
pub use snapshot::{FileContent, MAX_FILE_BYTES, Snapshot};

/// Every package-manager / build-tool name a verdict can report (`packageManager`); the one
/// vocabulary, documented in the crate README.
pub fn known_tools() -> &'static [&'static str] {
    rules::tools::ALL
}

/// Upper bound on read rounds in [`detect_with`]; detection settles in far fewer.
pub const MAX_ROUNDS: usize = 16;

/// Runs detection on what is loaded, under the default step budget [`MAX_STEPS`]. Never
/// panics and is deterministic: the same snapshot gives the same step. `Need` lists only paths
/// that exist in the snapshot and are not loaded.
pub fn detect(snapshot: &Snapshot, options: &Options) -> Step {
    detect_metered(snapshot, options, MAX_STEPS).step
}

/// Runs one detection pass under a budget of `max_steps` (a caller's override of
/// [`MAX_STEPS`]) and reports the steps it used. A pass that exceeds the budget stops by
/// itself and answers `Done` with a verdict whose [`Detection::exceeded`] is
/// [`Exceeded::Steps`]. Every `Done` verdict is bounded as [`limits`] documents.
pub fn detect_metered(snapshot: &Snapshot, options: &Options, max_steps: u64) -> Metered {
    let view = view::View::new(snapshot, max_steps);
    let outcome = engine::run(&view, options);
    let steps = view.steps();
    let step = if view.exhausted() {
        Step::Done(Detection::over_step_budget(max_steps, steps))
    } else {
        match outcome {
            Ok(detection) => Step::Done(bounded::bound(detection)),
            Err(view::Pending) => Step::Need(view.into_wanted()),
        }
    };
    Metered { step, steps }
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
    if let Err(engine::InvalidRoot { path }) = engine::requested_root(snapshot, options) {
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
