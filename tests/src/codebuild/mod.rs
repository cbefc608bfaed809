//! A CodeBuild-compatible server for tests and local runs.
//!
//! It speaks CodeBuild's JSON protocol (`X-Amz-Target: CodeBuild_20161006.<Operation>`) for
//! what the pipeline uses, `CreateProject`, `StartBuild`, `BatchGetBuilds`,
//! `ListBuildsForProject` and `StopBuild`, and enforces what the API reference documents where
//! the emulator's stub does not:
//!
//! - an idempotency token is valid for 5 minutes; repeating it with the same parameters gives
//!   the same build, with different parameters an `InvalidInputException` (parameter
//!   mismatch), and after 5 minutes it starts a new build;
//! - `ListBuildsForProject` with a `sortOrder` fails once the project has more than 100
//!   builds; without one it lists newest first, 100 ids a page, with a `nextToken`;
//! - `BatchGetBuilds` takes at most 100 ids and does not answer in the order asked;
//! - builds move through their phases over time (queued, provisioning, download source,
//!   install, build, ...) and end SUCCEEDED, FAILED in a chosen phase, TIMED_OUT, or STOPPED
//!   after `StopBuild`;
//! - each change of build status emits a "CodeBuild Build State Change" event in
//!   EventBridge's shape, and events can be dropped, duplicated and reordered on purpose.
//!
//! `PARAMETER_STORE` environment variables are resolved against SSM (the emulator's) when a
//! build starts: a missing parameter fails the build at DOWNLOAD_SOURCE naming it, and
//! `BatchGetBuilds` shows only what the request held (the parameter's name, never its value).
//! A clone check ([`FakeCodeBuild::set_clone_check`]) sees the resolved values, so a test can
//! fail the build the way its `git fetch` would fail (a token that cannot read the repository).
//!
//! Where the documentation is silent the fake is pessimistic: a build whose source type is
//! overridden without a `buildspecOverride` fails at DOWNLOAD_SOURCE (whether the project's
//! inline buildspec survives the override is undocumented), and a `GITHUB` source of a
//! repository marked private fails at DOWNLOAD_SOURCE (the stack gives CodeBuild no GitHub
//! credential). Time can be moved forward ([`FakeCodeBuild::advance`]) to test the token
//! window and timeouts without waiting.

mod events;
mod model;
mod routes;
mod server;

pub use events::EventFaults;
pub use model::{Timing, Verdict};
pub use server::{CloneCheck, FakeCodeBuild, FakeCodeBuildOptions};

#[cfg(test)]
mod tests;
