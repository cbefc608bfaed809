//! The `whaleray-installations` table: which GitHub App installations a user may deploy from.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::Utc;
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

    fn key(user: &UserId, id: InstallationId) -> HashMap<String, AttributeValue> {
        HashMap::from([
            ("userId".to_owned(), AttributeValue::S(user.to_string())),
            ("installationId".to_owned(), AttributeValue::N(id.to_string())),
        ])
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

    #[tracing::instrument(skip_all, fields(installation_id = %installation.installation_id))]
    async fn link(&self, user: &UserId, installation: &Installation) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(Self::key(user, installation.installation_id)))
            .item("accountLogin", AttributeValue::S(installation.account_login.clone()))
            .item("linkedAt", AttributeValue::S(Utc::now().to_rfc3339()))
            .send()
            .await
            .map_err(|e| aws_error("dynamodb:PutItem", e))?;
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(installation_id = %id))]
    async fn unlink(&self, user: &UserId, id: InstallationId) -> Result<bool, StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(user, id)))
            .condition_expression("attribute_exists(installationId)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(SdkError::ServiceError(ctx))
                if matches!(ctx.err(), DeleteItemError::ConditionalCheckFailedException(_)) =>
            {
                Ok(false)
            }
            Err(e) => Err(aws_error("dynamodb:DeleteItem", e).into()),
        }
    }
}
