//! The WhaleRay deployments API: one axum router, served by `lambda_http` behind API Gateway
//! or as a plain local HTTP server.

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
