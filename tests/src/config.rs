//! The one place the test support reads the environment.

/// The emulator endpoint the tests run against, from `AWS_ENDPOINT_URL`.
#[allow(clippy::disallowed_methods)]
pub fn emulator_endpoint() -> Option<String> {
    std::env::var("AWS_ENDPOINT_URL")
        .ok()
        .filter(|v| !v.trim().is_empty())
}
