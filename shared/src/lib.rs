//! Types and adapters shared by the WhaleRay API and worker.
//!
//! # What this crate may know
//!
//! - The crate graph is `api → shared`, `worker → shared + detect`, `tests → all`. This crate
//!   depends on no other crate of the workspace: not on `whaleray-detect` (the domain has its
//!   own [`BuildPlan`], which the worker derives from a detection), not on HTTP or GitHub.
//! - It knows the domain, the queue message, the DynamoDB and SQS adapters and their stored
//!   and wire shapes, configuration, errors and telemetry. Stored shapes are private to the
//!   adapter that writes them (`dynamo/item.rs`, `dynamo/plan_item.rs`).
//! - Errors are typed (`error.rs`), each with a retryable/permanent `class()`, and keep their
//!   sources: a stored item that cannot be read back names its item and attribute. Callers log
//!   the whole chain with [`error::Chain`].
//!
//! # Architecture invariants
//!
//! 1. `domain/` does no IO, is not async and imports no AWS, Lambda, axum or HTTP crate.
//! 2. Only the binaries' `main.rs` start a Lambda runtime; everything below takes plain
//!    payloads and is callable from a test.
//! 3. Serde types that cross a boundary (HTTP body, queue message, DynamoDB item) are their
//!    own structs, converted to domain types with `TryFrom`; stored and wire formats never
//!    leak inward.
//! 4. Only `config.rs` modules read the environment.
//! 5. Every status change is a conditional write on the expected current status, and every
//!    job may arrive twice.

pub mod aws;
pub mod config;
pub mod domain;
pub mod dynamo;
pub mod error;
pub mod idempotency;
pub mod job;
pub mod ports;
pub mod rate_limit;
pub mod sqs;
pub mod telemetry;
#[cfg(feature = "test-util")]
pub mod testing;

pub use domain::{
    BuildLogs, BuildOutcome, BuildPlan, BuildState, CommitDetails, CommitSha, Deployment,
    DeploymentId, DeploymentStatus, DomainError, GitRef, InstallationId, InstallationRefusal,
    ProjectId, RepoFullName, RootDirectory, StatusChange, Trigger, UserId,
};
pub use error::ErrorClass;
