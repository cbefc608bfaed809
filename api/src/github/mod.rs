//! GitHub's side of the App lifecycle: verifying signed webhook deliveries, reading their
//! payloads into domain changes, acting on them, and linking users to installations through
//! the OAuth web flow.

pub mod events;
pub mod oauth;
pub mod push;
pub mod signature;
pub mod webhook;
