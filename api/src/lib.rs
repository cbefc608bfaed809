//! The WhaleRay deployments API: one axum router, served by `lambda_http` behind API Gateway
//! or as a plain local HTTP server.
//!
//! # What this crate may know
//!
//! - It depends on `whaleray-shared` only (never on `whaleray-detect` or the worker): the
//!   domain types, the store and queue ports, and their adapters for wiring.
//! - Only this crate knows HTTP. `dto.rs` owns the JSON shapes, each converted to or from
//!   domain types; `error.rs` alone decides statuses and `code`s.

pub mod app;
pub mod auth;
pub mod config;
pub mod dto;
pub mod error;
pub mod guards;
pub mod openapi;
pub mod routes;
pub mod service;

pub use app::{AppState, router};
pub use config::ApiConfig;
