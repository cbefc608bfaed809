//! The TEST-ONLY GitHub App identity the fake server trusts (see
//! `tests/fixtures/github-app/README.md`): never a real App's key.

/// The App id the fake expects as the JWT's `iss`.
pub const TEST_APP_ID: u64 = 31337;

/// The test App's private key (PKCS#1 PEM), for the worker under test.
pub const TEST_PRIVATE_KEY_PEM: &str =
    include_str!("../../fixtures/github-app/test-app.private-key.pem");

/// Its public key, which the fake verifies App JWTs with.
pub const TEST_PUBLIC_KEY_PEM: &str =
    include_str!("../../fixtures/github-app/test-app.public-key.pem");

/// A private key the fake does not trust: a JWT signed with it gets 401.
pub const OTHER_PRIVATE_KEY_PEM: &str =
    include_str!("../../fixtures/github-app/other-app.private-key.pem");
