//! What every handler can reach: the ports and the request policy, built once in `main`.

use std::sync::Arc;

use axum::http::HeaderValue;
use secrecy::SecretString;
use whaleray_shared::ports::{
    AppInstallations, DeliveryLog, DeploymentStore, IdempotencyStore, InstallationDirectory,
    JobQueue, ProjectStore, RateLimitStore,
};

use crate::auth::{Authenticator, Identifies};
use crate::builds::BuildStopper;
use crate::github::oauth::UserInstallations;
use crate::guards::rate_limit::Limits;

/// What every handler can reach.
pub struct AppState {
    /// The deployments table.
    pub store: Arc<dyn DeploymentStore>,
    /// The installations table.
    pub installations: Arc<dyn InstallationDirectory>,
    /// The projects table.
    pub projects: Arc<dyn ProjectStore>,
    /// What GitHub reported about each App installation.
    pub app_installations: Arc<dyn AppInstallations>,
    /// Webhook deliveries already acted on.
    pub deliveries: Arc<dyn DeliveryLog>,
    /// The secret GitHub signs webhook deliveries with.
    pub webhook_secret: SecretString,
    /// GitHub's user side (OAuth code exchange, the user's installations); `None` when no
    /// OAuth client is configured, and linking answers 501 `linking_unavailable`.
    pub github_users: Option<Arc<dyn UserInstallations>>,
    /// The inspection job queue.
    pub queue: Arc<dyn JobQueue>,
    /// Stops builds (a canceled deployment's).
    pub builds: Arc<dyn BuildStopper>,
    /// Idempotency keys and their stored answers.
    pub idempotency: Arc<dyn IdempotencyStore>,
    /// Rate-limit buckets.
    pub rate_limits: Arc<dyn RateLimitStore>,
    /// The rate limits applied.
    pub limits: Limits,
    /// How callers are identified.
    pub auth: Authenticator,
    /// Origins allowed by CORS.
    pub allowed_origins: Vec<HeaderValue>,
}

impl Identifies for AppState {
    fn authenticator(&self) -> &Authenticator {
        &self.auth
    }
}
