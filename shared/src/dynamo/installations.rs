//! The `whaleray-installations` table: which GitHub App installations a user may deploy from.

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::Deserialize;

use crate::aws::aws_error;
use crate::domain::{InstallationId, UserId};
use crate::error::StoreError;
use crate::ports::{Installation, InstallationDirectory};

/// The installations table in DynamoDB (partition key `userId`, sort key `installationId`).
#[derive(Debug, Clone)]
pub struct DynamoInstallations {
    client: Client,
    table: String,
}

impl DynamoInstallations {
    /// An adapter over `table`, using `client`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into() }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InstallationItem {
    installation_id: u64,
    account_login: String,
}

#[async_trait]
impl InstallationDirectory for DynamoInstallations {
    async fn installations_of(&self, user: &UserId) -> Result<Vec<Installation>, StoreError> {
        let pages = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("userId = :user")
            .expression_attribute_values(":user", AttributeValue::S(user.to_string()))
            .into_paginator()
            .items()
            .send()
            .collect::<Vec<_>>()
            .await;
        let mut installations = Vec::new();
        for item in pages {
            let item = item.map_err(|e| aws_error("dynamodb:Query", e))?;
            let item: InstallationItem = serde_dynamo::from_item(item)
                .map_err(|source| StoreError::Malformed { item: "installation", source })?;
            let installation_id = InstallationId::new(item.installation_id)
                .map_err(|e| StoreError::corrupt("installation", "installationId", e))?;
            installations.push(Installation { installation_id, account_login: item.account_login });
        }
        Ok(installations)
    }
}
