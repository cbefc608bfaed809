//! The `whaleray-projects` table: the repositories users connected.
//!
//! The table's key is `projectId`. Two kinds of item share it:
//! - a project: its fields, with `userId` + `createdAt` (index [`PROJECT_USER_INDEX`]) and
//!   `repositoryKey` (index [`PROJECT_REPOSITORY_INDEX`], which a push queries);
//! - a guard, keyed `identity#<owner, repository, root directory>`, holding the id of the
//!   project that owns that identity. It carries neither index attribute, so the indexes
//!   never see it.
//!
//! A create writes both in one transaction, each conditional on being new, so two creates of
//! one identity cannot both succeed; a delete removes both in one transaction.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, ReturnValue, TransactWriteItem};
use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::item::{parse_time, timestamp};
use crate::aws::aws_error;
use crate::domain::{GitRef, Project, ProjectId, RepoFullName, RootDirectory, UserId};
use crate::error::{AwsError, ErrorClass, StoreError};
use crate::ports::{ProjectCreate, ProjectStore};

/// The projects index on `userId` + `createdAt`.
pub const PROJECT_USER_INDEX: &str = "userId-createdAt-index";
/// The projects index on `repositoryKey` (the lower-case full name).
pub const PROJECT_REPOSITORY_INDEX: &str = "repositoryKey-index";

/// The projects table in DynamoDB.
#[derive(Debug, Clone)]
pub struct DynamoProjects {
    client: Client,
    table: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProjectItem {
    project_id: String,
    user_id: String,
    repository: String,
    repository_key: String,
    root_directory: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    production_branch: Option<String>,
    identity: String,
    created_at: String,
    updated_at: String,
}

impl From<&Project> for ProjectItem {
    fn from(p: &Project) -> Self {
        Self {
            project_id: p.id.to_string(),
            user_id: p.user_id.to_string(),
            repository: p.repository.to_string(),
            repository_key: p.repository_key(),
            root_directory: p.root_directory.to_string(),
            production_branch: p.production_branch.as_ref().map(ToString::to_string),
            identity: p.identity(),
            created_at: timestamp(p.created_at),
            updated_at: timestamp(p.updated_at),
        }
    }
}

impl TryFrom<ProjectItem> for Project {
    type Error = StoreError;

    fn try_from(item: ProjectItem) -> Result<Self, StoreError> {
        let corrupt = |attribute| move |e| StoreError::corrupt("project", attribute, e);
        Ok(Self {
            id: ProjectId::parse(&item.project_id).map_err(corrupt("projectId"))?,
            user_id: UserId::parse(&item.user_id).map_err(corrupt("userId"))?,
            repository: RepoFullName::parse(&item.repository).map_err(corrupt("repository"))?,
            root_directory: RootDirectory::parse(&item.root_directory)
                .map_err(corrupt("rootDirectory"))?,
            production_branch: item
                .production_branch
                .as_deref()
                .map(GitRef::parse)
                .transpose()
                .map_err(corrupt("productionBranch"))?,
            created_at: parse_time("project", "createdAt", &item.created_at)?,
            updated_at: parse_time("project", "updatedAt", &item.updated_at)?,
        })
    }
}

fn decode(item: HashMap<String, AttributeValue>) -> Result<Project, StoreError> {
    let item: ProjectItem = serde_dynamo::from_item(item)
        .map_err(|source| StoreError::Malformed { item: "project", source })?;
    Project::try_from(item)
}

fn key(id: &str) -> HashMap<String, AttributeValue> {
    HashMap::from([("projectId".to_owned(), AttributeValue::S(id.to_owned()))])
}

fn guard_key(identity: &str) -> String {
    format!("identity#{identity}")
}

/// A request that could not be built (a bug: every required field is set above).
fn build_error(e: aws_sdk_dynamodb::error::BuildError) -> StoreError {
    StoreError::Aws(AwsError {
        operation: "dynamodb:TransactWriteItems",
        class: ErrorClass::Permanent,
        source: Box::new(e),
    })
}

impl DynamoProjects {
    /// An adapter over `table`, using `client`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into() }
    }

    /// The project id a guard item names, read consistently.
    async fn guard_owner(&self, identity: &str) -> Result<Option<ProjectId>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(&guard_key(identity))))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| aws_error("dynamodb:GetItem", e))?;
        let owner = output.item().and_then(|item| item.get("ownerProject"));
        match owner.map(AttributeValue::as_s) {
            None => Ok(None),
            Some(Ok(id)) => ProjectId::parse(id)
                .map(Some)
                .map_err(|e| StoreError::corrupt("project guard", "ownerProject", e)),
            Some(Err(_)) => Err(StoreError::corrupt(
                "project guard",
                "ownerProject",
                crate::error::UnknownValue("not a string".into()),
            )),
        }
    }

    async fn query(
        &self,
        index: &str,
        condition: &str,
        name: &str,
        value: String,
    ) -> Result<Vec<Project>, StoreError> {
        let pages = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(index)
            .key_condition_expression(condition)
            .expression_attribute_values(name, AttributeValue::S(value))
            .into_paginator()
            .items()
            .send()
            .collect::<Vec<_>>()
            .await;
        let mut projects = Vec::with_capacity(pages.len());
        for item in pages {
            projects.push(decode(item.map_err(|e| aws_error("dynamodb:Query", e))?)?);
        }
        Ok(projects)
    }
}

#[async_trait]
impl ProjectStore for DynamoProjects {
    #[tracing::instrument(skip_all, fields(project_id = %project.id))]
    async fn create(&self, project: &Project) -> Result<ProjectCreate, StoreError> {
        let item = serde_dynamo::to_item(ProjectItem::from(project))
            .map_err(|source| StoreError::Encode { item: "project", source })?;
        let identity = project.identity();
        let guard = HashMap::from([
            ("projectId".to_owned(), AttributeValue::S(guard_key(&identity))),
            ("ownerProject".to_owned(), AttributeValue::S(project.id.to_string())),
        ]);
        let put = |item| {
            Put::builder()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(projectId)")
                .build()
                .map(|put| TransactWriteItem::builder().put(put).build())
                .map_err(build_error)
        };
        let result = self
            .client
            .transact_write_items()
            .transact_items(put(item)?)
            .transact_items(put(guard)?)
            .send()
            .await;
        match result {
            Ok(_) => Ok(ProjectCreate::Created),
            Err(SdkError::ServiceError(ctx))
                if matches!(
                    ctx.err(),
                    TransactWriteItemsError::TransactionCanceledException(_)
                ) =>
            {
                // A lost condition: the guard names the project that holds the identity. A
                // transaction cancelled for another reason (a concurrent transaction) leaves
                // no guard, and is worth retrying.
                match self.guard_owner(&identity).await? {
                    Some(existing) => Ok(ProjectCreate::Exists(existing)),
                    None => Err(StoreError::Aws(AwsError {
                        operation: "dynamodb:TransactWriteItems",
                        class: ErrorClass::Retryable,
                        source: Box::new(SdkError::ServiceError(ctx)),
                    })),
                }
            }
            Err(e) => Err(aws_error("dynamodb:TransactWriteItems", e).into()),
        }
    }

    async fn get(&self, id: ProjectId) -> Result<Option<Project>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(&id.to_string())))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| aws_error("dynamodb:GetItem", e))?;
        output.item.map(decode).transpose()
    }

    async fn list_for_user(&self, user: &UserId) -> Result<Vec<Project>, StoreError> {
        self.query(PROJECT_USER_INDEX, "userId = :user", ":user", user.to_string()).await
    }

    async fn for_repository(&self, repository: &RepoFullName) -> Result<Vec<Project>, StoreError> {
        let key = repository.as_ref().to_ascii_lowercase();
        self.query(PROJECT_REPOSITORY_INDEX, "repositoryKey = :repo", ":repo", key).await
    }

    #[tracing::instrument(skip_all, fields(project_id = %id))]
    async fn set_production_branch(
        &self,
        id: ProjectId,
        owner: &UserId,
        branch: Option<&GitRef>,
    ) -> Result<Option<Project>, StoreError> {
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(&id.to_string())))
            .condition_expression("userId = :owner")
            .expression_attribute_values(":owner", AttributeValue::S(owner.to_string()))
            .expression_attribute_values(":now", AttributeValue::S(timestamp(Utc::now())))
            .return_values(ReturnValue::AllNew);
        request = match branch {
            Some(branch) => request
                .update_expression("SET productionBranch = :branch, updatedAt = :now")
                .expression_attribute_values(":branch", AttributeValue::S(branch.to_string())),
            None => request.update_expression("SET updatedAt = :now REMOVE productionBranch"),
        };
        match request.send().await {
            Ok(output) => output.attributes.map(decode).transpose(),
            Err(SdkError::ServiceError(ctx))
                if matches!(ctx.err(), UpdateItemError::ConditionalCheckFailedException(_)) =>
            {
                Ok(None)
            }
            Err(e) => Err(aws_error("dynamodb:UpdateItem", e).into()),
        }
    }

    #[tracing::instrument(skip_all, fields(project_id = %id))]
    async fn delete(&self, id: ProjectId, owner: &UserId) -> Result<bool, StoreError> {
        let Some(project) = self.get(id).await? else {
            return Ok(false);
        };
        if &project.user_id != owner {
            return Ok(false);
        }
        let delete_project = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key(&id.to_string())))
            .condition_expression("userId = :owner")
            .expression_attribute_values(":owner", AttributeValue::S(owner.to_string()))
            .build()
            .map_err(build_error)?;
        let delete_guard = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key(&guard_key(&project.identity()))))
            .condition_expression("ownerProject = :id")
            .expression_attribute_values(":id", AttributeValue::S(id.to_string()))
            .build()
            .map_err(build_error)?;
        let result = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().delete(delete_project).build())
            .transact_items(TransactWriteItem::builder().delete(delete_guard).build())
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            // Deleted meanwhile by a concurrent request of the owner.
            Err(SdkError::ServiceError(ctx))
                if matches!(
                    ctx.err(),
                    TransactWriteItemsError::TransactionCanceledException(_)
                ) =>
            {
                Ok(false)
            }
            Err(e) => Err(aws_error("dynamodb:TransactWriteItems", e).into()),
        }
    }
}
