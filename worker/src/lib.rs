//! The WhaleRay inspection worker: reads a repository from GitHub, detects its framework and
//! build plan, and moves the deployment to BUILDING (starting CodeBuild) or NOT_SUPPORTED.
//!
//! It runs as an SQS-triggered Lambda ([`batch`]) or as a long-polling process ([`poll`]);
//! both hand each message to [`message::handle`], which calls [`process::inspect`].
//!
//! # What this crate may know
//!
//! - It depends on `whaleray-shared` and `whaleray-detect`, and is the only crate besides the
//!   tests that knows detection's verdict: [`plan`] turns it into the domain's `BuildPlan`
//!   before anything is stored or sent to a build.
//! - The GitHub and CodeBuild adapters live here, nowhere else, and so does the consumer side
//!   of SQS ([`ports::QueueConsumer`], adapters in [`queue`]): the poller, the retry schedule
//!   and `replay-dlq` reach the queue only through that port.
//! - Processing (`message`, `process/`) reaches GitHub and CodeBuild only through the traits
//!   in [`ports`], and the table through `whaleray-shared`'s ports, all held by [`Deps`];
//!   [`wiring`] alone picks the production adapters (`github/`, `codebuild.rs`, `queue/`), and
//!   tests build `Deps` from fakes.
//! - Errors are typed per module with `thiserror`, their sources kept. The text stored on a
//!   deployment (`reason`, `lastError`) comes from [`process::JobError::reason`], whose
//!   wording is stable; log lines print the whole cause chain with
//!   `whaleray_shared::error::Chain`. `anyhow` is used only by the binary (`main.rs`,
//!   `commands.rs`), which prints a failure as one line with its chain and exits non-zero.
//! - Only `config.rs` reads the environment, and only `main.rs` starts the Lambda runtime.

pub mod batch;
pub mod budget;
pub mod codebuild;
pub mod config;
pub mod credentials;
pub mod deps;
pub mod github;
pub mod handler;
pub mod lambda;
pub mod local;
pub mod message;
pub mod operator;
pub mod plan;
pub mod poll;
pub mod ports;
pub mod process;
pub mod queue;
pub mod replay;
pub mod sweep;
pub mod visibility;
pub mod wiring;

pub use config::WorkerConfig;
pub use deps::Deps;
