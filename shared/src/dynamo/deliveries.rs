//! The `whaleray-webhook-deliveries` table: one item per webhook delivery acted on
//! (partition key `deliveryId`), expiring through DynamoDB's TTL on `expiresAt`.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};

use crate::aws::aws_error;
use crate::error::StoreError;
use crate::ports::DeliveryLog;

/// The deliveries table in DynamoDB.
#[derive(Debug, Clone)]
pub struct DynamoDeliveryLog {
    client: Client,
    table: String,
}

impl DynamoDeliveryLog {
    /// An adapter over `table`, using `client`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into() }
    }
}

#[async_trait]
impl DeliveryLog for DynamoDeliveryLog {
    #[tracing::instrument(skip_all, fields(delivery = id))]
    async fn record_first(&self, id: &str, expires_at: DateTime<Utc>) -> Result<bool, StoreError> {
        // TTL deletion lags expiry by up to days, so an expired item counts as absent.
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("deliveryId", AttributeValue::S(id.to_owned()))
            .item("expiresAt", AttributeValue::N(expires_at.timestamp().to_string()))
            .condition_expression("attribute_not_exists(deliveryId) OR expiresAt < :now")
            .expression_attribute_values(
                ":now",
                AttributeValue::N(Utc::now().timestamp().to_string()),
            )
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(SdkError::ServiceError(ctx))
                if matches!(ctx.err(), PutItemError::ConditionalCheckFailedException(_)) =>
            {
                Ok(false)
            }
            Err(e) => Err(aws_error("dynamodb:PutItem", e).into()),
        }
    }

    async fn forget(&self, id: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(HashMap::from([(
                "deliveryId".to_owned(),
                AttributeValue::S(id.to_owned()),
            )])))
            .send()
            .await
            .map_err(|e| aws_error("dynamodb:DeleteItem", e))?;
        Ok(())
    }
}
