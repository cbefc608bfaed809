//! The `deployments` table: conditional create, conditional transitions, reads.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};
use chrono::{DateTime, Utc};

use super::USER_INDEX;
use super::bounds::{MAX_TEXT_BYTES, bounded};
use super::item::{DEPLOYMENT, DeploymentItem, StoredOutcome, timestamp};
use super::plan_item::StoredPlan;
use crate::aws::aws_error;
use crate::domain::{Deployment, DeploymentId, DeploymentStatus, ProjectId, StatusChange, UserId};
use crate::error::{Chain, StoreError};
use crate::ports::{BuildClaim, BuildInputs, DeploymentStore, Page, PageCursor};

/// The `deployments` table in DynamoDB.
#[derive(Debug, Clone)]
pub struct DynamoDeploymentStore {
    client: Client,
    table: String,
}

impl DynamoDeploymentStore {
    /// An adapter over `table`, using `client`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into() }
    }
}

type Item = HashMap<String, AttributeValue>;

fn decode(item: Item) -> Result<Deployment, StoreError> {
    let item: DeploymentItem = serde_dynamo::from_item(item)
        .map_err(|source| StoreError::Malformed { item: DEPLOYMENT, source })?;
    Deployment::try_from(item)
}

fn key(id: DeploymentId) -> Item {
    HashMap::from([("deploymentId".to_owned(), AttributeValue::S(id.to_string()))])
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

/// An update expression built from named assignments, with its value placeholders.
#[derive(Default)]
struct Update {
    sets: Vec<String>,
    removes: Vec<&'static str>,
    values: Item,
}

impl Update {
    fn set(&mut self, attribute: &str, value: AttributeValue) {
        let placeholder = format!(":{attribute}");
        self.sets.push(format!("{attribute} = {placeholder}"));
        self.values.insert(placeholder, value);
    }

    fn expression(&self) -> String {
        let mut expression = format!("SET {}", self.sets.join(", "));
        if !self.removes.is_empty() {
            expression.push_str(&format!(" REMOVE {}", self.removes.join(", ")));
        }
        expression
    }
}

fn change_update(change: &StatusChange) -> Result<Update, StoreError> {
    let mut update = Update::default();
    update.sets.push("#status = :to".to_owned());
    update.values.insert(":to".to_owned(), s(change.to.as_str()));
    update.set("updatedAt", s(timestamp(Utc::now())));
    if change.to == DeploymentStatus::Inspecting {
        // A replay starts afresh: the old failure no longer describes the deployment.
        update.set("attempts", AttributeValue::N("0".into()));
        update.set("requeues", AttributeValue::N("0".into()));
        update.removes = vec!["reason", "lastError", "buildClaim", "buildClaimUntil"];
    }
    if let Some(reason) = &change.reason {
        update.set("reason", s(bounded(reason, MAX_TEXT_BYTES)));
    }
    if let Some(sha) = &change.commit_sha {
        update.set("commitSha", s(sha.to_string()));
    }
    if let Some(build_id) = &change.build_id {
        update.set("buildId", s(build_id));
    }
    if let Some(plan) = &change.plan {
        let value = serde_dynamo::to_attribute_value(StoredPlan::from(plan))
            .map_err(|source| StoreError::Encode { item: "detection", source })?;
        update.set("detection", value);
    }
    if let Some(outcome) = &change.outcome {
        let value = serde_dynamo::to_attribute_value(StoredOutcome::from(outcome))
            .map_err(|source| StoreError::Encode { item: "buildOutcome", source })?;
        update.set("buildOutcome", value);
    }
    Ok(update)
}

impl DynamoDeploymentStore {
    /// Runs a conditional update on `#status = :expected` and maps a lost condition to a
    /// `Conflict` carrying the status the item really had.
    async fn conditional_update(
        &self,
        id: DeploymentId,
        expected: DeploymentStatus,
        mut update: Update,
    ) -> Result<Deployment, StoreError> {
        update.values.insert(":expected".to_owned(), s(expected.as_str()));
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(id)))
            .update_expression(update.expression())
            .condition_expression("#status = :expected")
            .expression_attribute_names("#status", "status")
            .set_expression_attribute_values(Some(update.values))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(output) => decode(output.attributes.unwrap_or_default()),
            Err(e) => Err(condition_failure(id, expected, e)?),
        }
    }
}

impl DynamoDeploymentStore {
    /// Deployments in `status` unchanged since `cutoff`, oldest change first, at most `limit`.
    async fn list_unchanged(
        &self,
        status: DeploymentStatus,
        cutoff: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Deployment>, StoreError> {
        let pages = self
            .client
            .scan()
            .table_name(&self.table)
            .filter_expression("#status = :status AND updatedAt < :cutoff")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":status", s(status.as_str()))
            .expression_attribute_values(":cutoff", s(timestamp(cutoff)))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send()
            .collect::<Vec<_>>()
            .await;
        let mut found = Vec::new();
        for item in pages {
            let item = item.map_err(|e| aws_error("dynamodb:Scan", e))?;
            match decode(item) {
                Ok(deployment) => found.push(deployment),
                Err(e) => {
                    tracing::error!(error = %Chain(&e), "skipping an unreadable deployment item")
                }
            }
        }
        found.sort_by_key(|d| d.updated_at);
        found.truncate(limit);
        Ok(found)
    }
}

/// Maps a failed conditional update: a lost condition becomes `Conflict` with the status
/// the item really had (or `NotFound`); anything else is an AWS error.
fn condition_failure(
    id: DeploymentId,
    expected: DeploymentStatus,
    error: SdkError<UpdateItemError, aws_sdk_dynamodb::config::http::HttpResponse>,
) -> Result<StoreError, StoreError> {
    if let SdkError::ServiceError(ctx) = &error
        && let UpdateItemError::ConditionalCheckFailedException(failed) = ctx.err()
    {
        return match failed.item.clone() {
            None => Ok(StoreError::NotFound(id)),
            Some(old) => Ok(StoreError::Conflict { id, expected, actual: decode(old)?.status }),
        };
    }
    Ok(aws_error("dynamodb:UpdateItem", error).into())
}

#[async_trait]
impl DeploymentStore for DynamoDeploymentStore {
    async fn create(&self, deployment: &Deployment) -> Result<(), StoreError> {
        let item: Item = serde_dynamo::to_item(DeploymentItem::from(deployment))
            .map_err(|source| StoreError::Encode { item: DEPLOYMENT, source })?;
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(deploymentId)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|se| se.is_conditional_check_failed_exception()) =>
            {
                Err(StoreError::AlreadyExists(deployment.id))
            }
            Err(e) => Err(aws_error("dynamodb:PutItem", e).into()),
        }
    }

    async fn get(&self, id: DeploymentId) -> Result<Option<Deployment>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| aws_error("dynamodb:GetItem", e))?;
        output.item.map(decode).transpose()
    }

    async fn transition(
        &self,
        id: DeploymentId,
        expected: DeploymentStatus,
        change: StatusChange,
    ) -> Result<Deployment, StoreError> {
        expected.check_transition(change.to)?;
        let update = change_update(&change)?;
        self.conditional_update(id, expected, update).await
    }

    async fn record_attempt(
        &self,
        id: DeploymentId,
        expected: DeploymentStatus,
        error: Option<&str>,
    ) -> Result<Deployment, StoreError> {
        let mut update = Update::default();
        update.sets.push("attempts = if_not_exists(attempts, :zero) + :one".to_owned());
        update.values.insert(":zero".to_owned(), AttributeValue::N("0".into()));
        update.values.insert(":one".to_owned(), AttributeValue::N("1".into()));
        update.set("updatedAt", s(timestamp(Utc::now())));
        if let Some(error) = error {
            update.set("lastError", s(bounded(error, MAX_TEXT_BYTES)));
        }
        self.conditional_update(id, expected, update).await
    }

    async fn claim_build(
        &self,
        id: DeploymentId,
        claimant: &str,
        until: DateTime<Utc>,
        inputs: &BuildInputs,
    ) -> Result<BuildClaim, StoreError> {
        let now = timestamp(Utc::now());
        let detection = serde_dynamo::to_attribute_value(StoredPlan::from(&inputs.plan))
            .map_err(|source| StoreError::Encode { item: "detection", source })?;
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(id)))
            // The first claim pins commit and plan; later claims keep them.
            .update_expression(
                "SET buildClaim = :me, buildClaimUntil = :until, \
                 commitSha = if_not_exists(commitSha, :commit), \
                 detection = if_not_exists(detection, :detection)",
            )
            .condition_expression(
                "#status = :inspecting AND (attribute_not_exists(buildClaim) \
                 OR buildClaim = :me OR buildClaimUntil < :now)",
            )
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":me", s(claimant))
            .expression_attribute_values(":until", s(timestamp(until)))
            .expression_attribute_values(":now", s(now))
            .expression_attribute_values(":commit", s(inputs.commit.to_string()))
            .expression_attribute_values(":detection", detection)
            .expression_attribute_values(":inspecting", s(DeploymentStatus::Inspecting.as_str()))
            .return_values(ReturnValue::AllOld)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        let old = match result {
            Ok(output) => output.attributes.unwrap_or_default(),
            Err(e) => return Err(condition_failure(id, DeploymentStatus::Inspecting, e)?),
        };
        let previous_holder = old.get("buildClaim").and_then(|v| v.as_s().ok());
        let earlier = previous_holder.is_some_and(|holder| holder != claimant)
            || old.contains_key("commitSha");
        let before = decode(old)?;
        let inputs = match (before.commit_sha, before.plan) {
            (Some(commit), Some(plan)) => BuildInputs { commit, plan },
            _ => inputs.clone(),
        };
        Ok(BuildClaim { inputs, earlier })
    }

    async fn release_build_claim(
        &self,
        id: DeploymentId,
        claimant: &str,
    ) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(id)))
            .update_expression("REMOVE buildClaim, buildClaimUntil")
            .condition_expression("buildClaim = :me")
            .expression_attribute_values(":me", s(claimant))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|se| se.is_conditional_check_failed_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(aws_error("dynamodb:UpdateItem", e).into()),
        }
    }

    async fn list_stalled(
        &self,
        cutoff: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Deployment>, StoreError> {
        self.list_unchanged(DeploymentStatus::Inspecting, cutoff, limit).await
    }

    async fn list_building(
        &self,
        cutoff: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Deployment>, StoreError> {
        self.list_unchanged(DeploymentStatus::Building, cutoff, limit).await
    }

    async fn record_requeue(
        &self,
        id: DeploymentId,
        seen: DateTime<Utc>,
    ) -> Result<Deployment, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(id)))
            .update_expression(
                "SET requeues = if_not_exists(requeues, :zero) + :one, updatedAt = :now",
            )
            .condition_expression("#status = :expected AND updatedAt = :seen")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":zero", AttributeValue::N("0".into()))
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":now", s(timestamp(Utc::now())))
            .expression_attribute_values(":seen", s(timestamp(seen)))
            .expression_attribute_values(":expected", s(DeploymentStatus::Inspecting.as_str()))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(output) => decode(output.attributes.unwrap_or_default()),
            Err(e) => Err(condition_failure(id, DeploymentStatus::Inspecting, e)?),
        }
    }

    async fn list_for_user(
        &self,
        user: &UserId,
        limit: u32,
        after: Option<&PageCursor>,
    ) -> Result<Page, StoreError> {
        let start = after.map(|cursor| {
            HashMap::from([
                ("deploymentId".to_owned(), s(cursor.deployment_id.to_string())),
                ("userId".to_owned(), s(user.to_string())),
                ("createdAt".to_owned(), s(timestamp(cursor.created_at))),
            ])
        });
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(USER_INDEX)
            .key_condition_expression("userId = :user")
            .expression_attribute_values(":user", s(user.to_string()))
            .scan_index_forward(false)
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| aws_error("dynamodb:Query", e))?;
        let deployments = output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(decode)
            .collect::<Result<Vec<_>, _>>()?;
        // DynamoDB hands back where it stopped; the last item read says the same thing.
        let next = output
            .last_evaluated_key
            .and(deployments.last())
            .map(|d| PageCursor { deployment_id: d.id, created_at: d.created_at });
        Ok(Page { deployments, next })
    }

    async fn list_for_project(
        &self,
        user: &UserId,
        project: ProjectId,
        limit: u32,
        after: Option<&PageCursor>,
    ) -> Result<Page, StoreError> {
        let key = |id: DeploymentId, at: DateTime<Utc>| {
            HashMap::from([
                ("deploymentId".to_owned(), s(id.to_string())),
                ("userId".to_owned(), s(user.to_string())),
                ("createdAt".to_owned(), s(timestamp(at))),
            ])
        };
        let wanted = usize::try_from(limit).unwrap_or(usize::MAX);
        let mut start = after.map(|c| key(c.deployment_id, c.created_at));
        let mut deployments = Vec::new();
        // Each request reads at most `limit` items of the user's index; a page stops after
        // MAX_FILTERED_READS requests, so one call's cost stays bounded.
        for _ in 0..MAX_FILTERED_READS {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(USER_INDEX)
                .key_condition_expression("userId = :user")
                .filter_expression("projectId = :project")
                .expression_attribute_values(":user", s(user.to_string()))
                .expression_attribute_values(":project", s(project.to_string()))
                .scan_index_forward(false)
                .limit(i32::try_from(limit).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| aws_error("dynamodb:Query", e))?;
            for item in output.items.unwrap_or_default() {
                deployments.push(decode(item)?);
            }
            if deployments.len() >= wanted {
                deployments.truncate(wanted);
                // More may follow the last one kept, in this page or the next.
                let next = deployments
                    .last()
                    .map(|d| PageCursor { deployment_id: d.id, created_at: d.created_at });
                return Ok(Page { deployments, next });
            }
            match output.last_evaluated_key {
                Some(last) => start = Some(last),
                None => return Ok(Page { deployments, next: None }),
            }
        }
        // Out of reads: resume after the last item evaluated.
        let next = start.as_ref().and_then(cursor_of);
        Ok(Page { deployments, next })
    }
}

/// How many index reads one page of a project's deployments may take.
const MAX_FILTERED_READS: usize = 10;

/// The cursor of an index key DynamoDB handed back.
fn cursor_of(key: &HashMap<String, AttributeValue>) -> Option<PageCursor> {
    let text = |name: &str| key.get(name).and_then(|v| v.as_s().ok());
    let deployment_id = DeploymentId::parse(text("deploymentId")?).ok()?;
    let created_at = DateTime::parse_from_rfc3339(text("createdAt")?).ok()?.to_utc();
    Some(PageCursor { deployment_id, created_at })
}
