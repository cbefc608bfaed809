//! DynamoDB adapters: the `deployments` table, the `whaleray-installations` table (user
//! links), the `whaleray-github-installations` table (what GitHub reported), the
//! `whaleray-webhook-deliveries` table, the `whaleray-projects` table and the API state table (idempotency keys and
//! rate-limit buckets).

mod app_installations;
mod bounds;
mod deliveries;
mod deployments;
mod idempotency;
mod installations;
mod item;
mod plan_item;
mod projects;
mod rate_limits;

pub use app_installations::DynamoAppInstallations;
pub use deliveries::DynamoDeliveryLog;
pub use deployments::DynamoDeploymentStore;
pub use idempotency::DynamoIdempotency;
pub use installations::DynamoInstallations;
pub use projects::{DynamoProjects, PROJECT_REPOSITORY_INDEX, PROJECT_USER_INDEX};
pub use rate_limits::DynamoRateLimits;

/// The name of the `deployments` index on `userId` + `createdAt`.
pub const USER_INDEX: &str = "userId-createdAt-index";
