//! GitHub's side of the App lifecycle: verifying signed webhook deliveries, reading their
//! payloads into domain changes, and acting on them.

pub mod events;
pub mod signature;
pub mod webhook;
