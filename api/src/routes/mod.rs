//! HTTP routes: thin handlers that turn requests into service calls.

pub mod deployments;
pub mod installations;
pub mod projects;
pub mod webhook;
