//! The WhaleRay deployments API: one axum router, served by `lambda_http` behind API Gateway
//! or as a plain local HTTP server.
//!
//! # What this crate may know
//!
//! - It depends on `whaleray-shared` only (never on `whaleray-detect` or the worker): the
//!   domain types, the store and queue ports, and their adapters for wiring.
//! - Modules import in one direction, never in a circle: `app` → `routes`, `state`, `error`;
//!   `routes` → `auth`, `dto`, `service`, `state`, `error`; `state` → `auth`; `auth` and
//!   `dto` → `error`; `dto` and `error` → `service`; `routes` and `error` → `github` (webhook
//!   signature, payloads, handling and the OAuth client), which imports nothing of this crate;
//!   `linking` (the `/github/installations` use cases) → `github`; `routes` and `error` →
//!   `linking`; `service` → nothing of this crate. The
//!   service knows no HTTP: it takes domain values and answers a `ServiceError`, which only
//!   `error.rs` turns into a status and `code`.
//! - Only this crate knows HTTP. `dto.rs` owns the JSON shapes, each converted to or from
//!   domain types; `error.rs` alone decides statuses and `code`s.

pub mod app;
pub mod auth;
pub mod builds;
pub mod cancel;
pub mod config;
pub mod dto;
pub mod error;
pub mod github;
pub mod guards;
pub mod linking;
pub mod openapi;
pub mod projects;
pub mod push_deploy;
pub mod routes;
pub mod service;
pub mod state;

pub use app::router;
pub use config::ApiConfig;
pub use state::AppState;
