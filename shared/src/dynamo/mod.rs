//! DynamoDB adapters: the `deployments` table and the `whaleray-installations` table.

mod deployments;
mod installations;
mod item;
mod plan_item;

pub use deployments::DynamoDeploymentStore;
pub use installations::DynamoInstallations;

/// The name of the `deployments` index on `userId` + `createdAt`.
pub const USER_INDEX: &str = "userId-createdAt-index";
