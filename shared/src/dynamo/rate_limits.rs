//! Token buckets in the API state table (hash key `pk`, TTL attribute `expiresAt`).
//!
//! One item per bucket: `pk = "rate#" + name`, `tokens` and `updatedMs` (Unix ms). DynamoDB
//! cannot do the refill arithmetic in an update expression, so a take is a consistent read,
//! the arithmetic here, and a write conditional on the bucket being unchanged since the read
//! (optimistic locking). A lost race reads again after a short random pause that grows with
//! each loss (so contenders spread out instead of colliding again), up to [`ATTEMPTS`] times;
//! only a bucket that busy is refused as limited. Eight creates at once from one user used to
//! get 429 for some of them at any limit (the soak measured 39 of 200) with four immediate
//! retries. `expiresAt` is set to when the bucket would be full again, after which it is
//! as good as absent and TTL may remove it.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use std::time::Duration;

use crate::aws::aws_error;
use crate::error::GuardError;
use crate::ports::RateLimitStore;
use crate::rate_limit::{Bucket, Decision, RateLimit};

/// How many times a take reads and writes before a contended bucket is refused.
const ATTEMPTS: u32 = 10;
/// The first pause after a lost race; each later one may be twice as long, up to
/// [`MAX_PAUSE`]. The pause is drawn uniformly below that bound (full jitter).
const FIRST_PAUSE: Duration = Duration::from_millis(10);
/// The longest pause between two attempts (all of them together stay under about a second).
const MAX_PAUSE: Duration = Duration::from_millis(160);

/// A random pause below the bound for the `lost`-th lost race (1-based).
fn pause(lost: u32) -> Duration {
    let bound = FIRST_PAUSE.saturating_mul(1 << lost.saturating_sub(1).min(8)).min(MAX_PAUSE);
    bound.mul_f64(rand::random::<f64>())
}

/// Token buckets in DynamoDB.
#[derive(Debug, Clone)]
pub struct DynamoRateLimits {
    client: Client,
    table: String,
}

impl DynamoRateLimits {
    /// An adapter over the API state `table`, using `client`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into() }
    }

    async fn read(&self, key: &AttributeValue) -> Result<Option<Bucket>, GuardError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", key.clone())
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| aws_error("dynamodb:GetItem", e))?;
        output.item.map(|item| decode(&item)).transpose()
    }

    /// Writes `next` if the stored bucket is still `seen`; false when another instance won.
    async fn write(
        &self,
        key: &AttributeValue,
        seen: Option<Bucket>,
        next: Bucket,
        limit: RateLimit,
    ) -> Result<bool, GuardError> {
        let fill = i64::try_from(limit.time_to_fill().as_secs()).unwrap_or(i64::MAX);
        let expires = next.updated_ms / 1000 + fill + 1;
        let mut request = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", key.clone())
            .item("tokens", AttributeValue::N(next.tokens.to_string()))
            .item("updatedMs", AttributeValue::N(next.updated_ms.to_string()))
            .item("expiresAt", AttributeValue::N(expires.to_string()));
        request = match seen {
            None => request.condition_expression("attribute_not_exists(pk)"),
            Some(seen) => request
                .condition_expression("updatedMs = :seenMs AND tokens = :seenTokens")
                .expression_attribute_values(
                    ":seenMs",
                    AttributeValue::N(seen.updated_ms.to_string()),
                )
                .expression_attribute_values(
                    ":seenTokens",
                    AttributeValue::N(seen.tokens.to_string()),
                ),
        };
        match request.send().await {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|se| se.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(aws_error("dynamodb:PutItem", e).into()),
        }
    }
}

fn number<T: std::str::FromStr>(
    item: &HashMap<String, AttributeValue>,
    name: &str,
) -> Result<T, GuardError> {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| GuardError::Corrupt(format!("rate-limit item lacks a numeric {name}")))
}

fn decode(item: &HashMap<String, AttributeValue>) -> Result<Bucket, GuardError> {
    Ok(Bucket { tokens: number(item, "tokens")?, updated_ms: number(item, "updatedMs")? })
}

#[async_trait]
impl RateLimitStore for DynamoRateLimits {
    #[tracing::instrument(skip_all, fields(bucket))]
    async fn take(
        &self,
        bucket: &str,
        limit: RateLimit,
        now: DateTime<Utc>,
    ) -> Result<Decision, GuardError> {
        let key = AttributeValue::S(format!("rate#{bucket}"));
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(pause(attempt)).await;
            }
            let seen = self.read(&key).await?;
            let decision = limit.take(seen, now.timestamp_millis());
            let Decision::Allowed { bucket: next, .. } = decision else {
                return Ok(decision);
            };
            if self.write(&key, seen, next, limit).await? {
                return Ok(decision);
            }
        }
        tracing::warn!("rate-limit bucket contended; refusing this request");
        Ok(Decision::Limited { retry_after: Duration::from_secs(1), limit })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_grow_with_each_lost_race_and_stay_bounded() {
        for lost in 1..ATTEMPTS {
            let bound = FIRST_PAUSE.saturating_mul(1 << (lost - 1).min(8)).min(MAX_PAUSE);
            for _ in 0..50 {
                assert!(pause(lost) <= bound, "lost {lost}");
            }
        }
        let total: Duration = (1..ATTEMPTS).map(pause).sum();
        assert!(total <= MAX_PAUSE * ATTEMPTS, "{total:?}");
    }
}
