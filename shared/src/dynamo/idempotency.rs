//! Idempotency keys in the API state table (hash key `pk`, TTL attribute `expiresAt`).
//!
//! One item per key: `pk = "idem#" + scope`, the request's `fingerprint`, `state`
//! (`IN_FLIGHT` or `DONE`), `lockedUntil` (Unix ms) while in flight, the stored answer once
//! done, and `expiresAt` (Unix seconds) 24 hours after the claim. TTL removes expired items
//! only eventually (typically within two days), so every condition treats an item past its
//! `expiresAt` as absent.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};
use chrono::{DateTime, Utc};

use crate::aws::aws_error;
use crate::error::GuardError;
use crate::idempotency::{
    Claim, IdempotencyScope, KEY_LIFETIME, LOCK_LIFETIME, MAX_STORED_BODY, StoredResponse,
};
use crate::ports::IdempotencyStore;

const IN_FLIGHT: &str = "IN_FLIGHT";
const DONE: &str = "DONE";

/// Idempotency keys in DynamoDB.
#[derive(Debug, Clone)]
pub struct DynamoIdempotency {
    client: Client,
    table: String,
}

impl DynamoIdempotency {
    /// An adapter over the API state `table`, using `client`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into() }
    }
}

type Item = HashMap<String, AttributeValue>;

fn pk(scope: &IdempotencyScope) -> AttributeValue {
    AttributeValue::S(format!("idem#{}", scope.as_ref()))
}

fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_owned())
}

fn n(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn text<'a>(item: &'a Item, name: &str) -> Result<&'a str, GuardError> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
        .ok_or_else(|| GuardError::Corrupt(format!("idempotency item lacks {name}")))
}

/// What an existing (live) item means for a new request with `fingerprint`.
fn existing_claim(item: &Item, fingerprint: &str) -> Result<Claim, GuardError> {
    if text(item, "fingerprint")? != fingerprint {
        return Ok(Claim::Mismatch);
    }
    if text(item, "state")? != DONE {
        return Ok(Claim::InFlight);
    }
    let status = item
        .get("responseStatus")
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| GuardError::Corrupt("idempotency item lacks responseStatus".into()))?;
    let location = item.get("responseLocation").and_then(|v| v.as_s().ok()).cloned();
    Ok(Claim::Replay(StoredResponse {
        status,
        body: text(item, "responseBody")?.to_owned(),
        location,
    }))
}

fn seconds(duration: std::time::Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}

#[async_trait]
impl IdempotencyStore for DynamoIdempotency {
    #[tracing::instrument(skip_all)]
    async fn claim(
        &self,
        scope: &IdempotencyScope,
        fingerprint: &str,
        now: DateTime<Utc>,
    ) -> Result<Claim, GuardError> {
        let now_ms = now.timestamp_millis();
        let lock_ms = i64::try_from(LOCK_LIFETIME.as_millis()).unwrap_or(i64::MAX);
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", pk(scope))
            .item("fingerprint", s(fingerprint))
            .item("state", s(IN_FLIGHT))
            .item("lockedUntil", n(now_ms + lock_ms))
            .item("expiresAt", n(now.timestamp() + seconds(KEY_LIFETIME)))
            // New, expired (TTL not yet applied), or the same request whose lock lapsed.
            .condition_expression(
                "attribute_not_exists(pk) OR expiresAt <= :now \
                 OR (#state = :inflight AND lockedUntil <= :nowMs AND fingerprint = :fp)",
            )
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":now", n(now.timestamp()))
            .expression_attribute_values(":nowMs", n(now_ms))
            .expression_attribute_values(":inflight", s(IN_FLIGHT))
            .expression_attribute_values(":fp", s(fingerprint))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(Claim::Acquired),
            Err(SdkError::ServiceError(ctx))
                if matches!(ctx.err(), PutItemError::ConditionalCheckFailedException(_)) =>
            {
                let PutItemError::ConditionalCheckFailedException(failed) = ctx.into_err() else {
                    return Err(GuardError::Corrupt("unreachable condition error".into()));
                };
                let item = failed.item.ok_or_else(|| {
                    GuardError::Corrupt(
                        "a lost idempotency claim came back without its item".into(),
                    )
                })?;
                existing_claim(&item, fingerprint)
            }
            Err(e) => Err(aws_error("dynamodb:PutItem", e).into()),
        }
    }

    #[tracing::instrument(skip_all)]
    async fn complete(
        &self,
        scope: &IdempotencyScope,
        fingerprint: &str,
        response: &StoredResponse,
    ) -> Result<(), GuardError> {
        if response.body.len() > MAX_STORED_BODY {
            return Err(GuardError::TooLarge(response.body.len()));
        }
        let mut update = "SET #state = :done, responseStatus = :status, responseBody = :body \
                          REMOVE lockedUntil"
            .to_owned();
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", pk(scope))
            .condition_expression("#state = :inflight AND fingerprint = :fp")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":done", s(DONE))
            .expression_attribute_values(":inflight", s(IN_FLIGHT))
            .expression_attribute_values(":fp", s(fingerprint))
            .expression_attribute_values(":status", n(i64::from(response.status)))
            .expression_attribute_values(":body", s(&response.body));
        if let Some(location) = &response.location {
            update = update.replace(" REMOVE", ", responseLocation = :location REMOVE");
            request = request.expression_attribute_values(":location", s(location));
        }
        match request.update_expression(update).send().await {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failure(&e) => {
                tracing::warn!("the idempotency claim was taken over before its answer was stored");
                Ok(())
            }
            Err(e) => Err(aws_error("dynamodb:UpdateItem", e).into()),
        }
    }

    #[tracing::instrument(skip_all)]
    async fn release(&self, scope: &IdempotencyScope, fingerprint: &str) -> Result<(), GuardError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", pk(scope))
            .condition_expression("#state = :inflight AND fingerprint = :fp")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":inflight", s(IN_FLIGHT))
            .expression_attribute_values(":fp", s(fingerprint))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failure(&e) => Ok(()),
            Err(e) => Err(aws_error("dynamodb:DeleteItem", e).into()),
        }
    }
}

fn is_condition_failure<E: aws_sdk_dynamodb::error::ProvideErrorMetadata>(
    error: &SdkError<E, aws_sdk_dynamodb::config::http::HttpResponse>,
) -> bool {
    matches!(error, SdkError::ServiceError(ctx)
        if ctx.err().code() == Some("ConditionalCheckFailedException"))
}
