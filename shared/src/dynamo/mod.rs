//! DynamoDB adapters: the `deployments` table, the `whaleray-installations` table (user
//! links), the `whaleray-github-installations` table (what GitHub reported) and the
//! `whaleray-webhook-deliveries` table.

mod app_installations;
mod deliveries;
mod deployments;
mod installations;
mod item;
mod plan_item;

pub use app_installations::DynamoAppInstallations;
pub use deliveries::DynamoDeliveryLog;
pub use deployments::DynamoDeploymentStore;
pub use installations::DynamoInstallations;

/// The name of the `deployments` index on `userId` + `createdAt`.
pub const USER_INDEX: &str = "userId-createdAt-index";
