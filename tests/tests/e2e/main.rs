//! End-to-end tests of the pipeline against the local AWS emulator and the fake GitHub.
//! Every test creates its own tables and queues, so they run in parallel.

// The harness is test code: a failed unwrap there is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_flow;
mod api_guards;
mod build_faults;
mod build_outcomes;
mod cancel_flow;
mod dlq_flow;
mod github_app;
mod helpers;
mod hostile;
mod lambda_entry;
mod link_flow;
mod oauth_link;
mod private_clone;
mod projects;
mod push_flow;
mod request_guards;
mod webhook_flow;
mod worker_flow;
