//! The one place the test support reads the environment.

/// The emulator endpoint the tests run against, from `AWS_ENDPOINT_URL`.
#[allow(clippy::disallowed_methods)]
pub fn emulator_endpoint() -> Option<String> {
    std::env::var("AWS_ENDPOINT_URL").ok().filter(|v| !v.trim().is_empty())
}

/// The HS256 secret the local API verifies tokens with, from `WHALERAY_DEV_JWT_SECRET`.
#[allow(clippy::disallowed_methods)]
pub fn dev_jwt_secret() -> Option<String> {
    std::env::var("WHALERAY_DEV_JWT_SECRET").ok().filter(|v| !v.trim().is_empty())
}
