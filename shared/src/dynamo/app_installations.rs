//! The `whaleray-github-installations` table: what GitHub reported about each installation
//! of the App, keyed on the numeric installation id (partition key `installationId`, N).

use std::collections::{BTreeSet, HashMap};

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::Utc;
use serde::Deserialize;

use super::item::{parse_time, timestamp};
use crate::aws::aws_error;
use crate::domain::{
    AppInstallation, InstallationId, InstallationUpdate, RepositoriesChange, RepositorySelection,
    SelectionKind,
};
use crate::error::{StoreError, UnknownValue};
use crate::ports::AppInstallations;

/// The App installations table in DynamoDB.
#[derive(Debug, Clone)]
pub struct DynamoAppInstallations {
    client: Client,
    table: String,
}

impl DynamoAppInstallations {
    /// An adapter over `table`, using `client`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into() }
    }
}

type Item = HashMap<String, AttributeValue>;

/// The item kind named in errors about this table's items.
const ITEM: &str = "app installation";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AppInstallationItem {
    installation_id: u64,
    account_id: u64,
    account_login: String,
    #[serde(default)]
    repository_selection: Option<String>,
    #[serde(default)]
    repositories: Option<BTreeSet<String>>,
    #[serde(default)]
    suspended: bool,
    #[serde(default)]
    deleted_at: Option<String>,
    updated_at: String,
}

impl TryFrom<AppInstallationItem> for AppInstallation {
    type Error = StoreError;

    fn try_from(item: AppInstallationItem) -> Result<Self, Self::Error> {
        let repositories = match item.repository_selection.as_deref() {
            Some("all") => RepositorySelection::All,
            // No selection recorded yet (only a rename was seen) grants nothing.
            Some("selected") | None => {
                RepositorySelection::Selected(item.repositories.unwrap_or_default())
            }
            Some(other) => {
                let value = UnknownValue(other.to_owned());
                return Err(StoreError::corrupt(ITEM, "repositorySelection", value));
            }
        };
        Ok(Self {
            installation_id: InstallationId::new(item.installation_id)
                .map_err(|e| StoreError::corrupt(ITEM, "installationId", e))?,
            account_id: item.account_id,
            account_login: item.account_login,
            repositories,
            suspended: item.suspended,
            deleted: item.deleted_at.is_some(),
            updated_at: parse_time(ITEM, "updatedAt", &item.updated_at)?,
        })
    }
}

fn key(id: InstallationId) -> Item {
    HashMap::from([("installationId".to_owned(), AttributeValue::N(id.get().to_string()))])
}

fn string_set(names: &BTreeSet<String>) -> AttributeValue {
    AttributeValue::Ss(names.iter().map(|n| n.to_ascii_lowercase()).collect())
}

/// The update expression for one reported change. DynamoDB allows one action per attribute,
/// which `RepositoriesChange` already guarantees (replace, add or remove, never two).
fn expression(update: &InstallationUpdate) -> (String, Item) {
    let now = AttributeValue::S(timestamp(Utc::now()));
    let mut sets = vec![
        "accountId = :accountId".to_owned(),
        "accountLogin = :accountLogin".to_owned(),
        "updatedAt = :now".to_owned(),
    ];
    let mut removes = Vec::new();
    let mut adds = Vec::new();
    let mut deletes = Vec::new();
    let mut values = HashMap::from([
        (":accountId".to_owned(), AttributeValue::N(update.account_id.to_string())),
        (":accountLogin".to_owned(), AttributeValue::S(update.account_login.clone())),
        (":now".to_owned(), now),
    ]);
    let all = update.selection == Some(SelectionKind::All);
    if update.selection.is_some() {
        let value = if all { "all" } else { "selected" };
        sets.push("repositorySelection = :selection".to_owned());
        values.insert(":selection".to_owned(), AttributeValue::S(value.to_owned()));
    }
    match &update.repositories {
        _ if all => removes.push("repositories"),
        RepositoriesChange::Unchanged => {}
        RepositoriesChange::Exactly(names) if names.is_empty() => removes.push("repositories"),
        RepositoriesChange::Exactly(names) => {
            sets.push("repositories = :repositories".to_owned());
            values.insert(":repositories".to_owned(), string_set(names));
        }
        RepositoriesChange::Add(names) if !names.is_empty() => {
            adds.push("repositories :repositories");
            values.insert(":repositories".to_owned(), string_set(names));
        }
        RepositoriesChange::Remove(names) if !names.is_empty() => {
            deletes.push("repositories :repositories");
            values.insert(":repositories".to_owned(), string_set(names));
        }
        RepositoriesChange::Add(_) | RepositoriesChange::Remove(_) => {}
    }
    if let Some(suspended) = update.suspended {
        sets.push("suspended = :suspended".to_owned());
        values.insert(":suspended".to_owned(), AttributeValue::Bool(suspended));
    }
    if update.deleted {
        sets.push("deletedAt = if_not_exists(deletedAt, :now)".to_owned());
    }
    let mut text = format!("SET {}", sets.join(", "));
    for (keyword, parts) in [("REMOVE", removes), ("ADD", adds), ("DELETE", deletes)] {
        if !parts.is_empty() {
            text.push_str(&format!(" {keyword} {}", parts.join(", ")));
        }
    }
    (text, values)
}

#[async_trait]
impl AppInstallations for DynamoAppInstallations {
    async fn get(&self, id: InstallationId) -> Result<Option<AppInstallation>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| aws_error("dynamodb:GetItem", e))?;
        let Some(item) = output.item else { return Ok(None) };
        let item: AppInstallationItem = serde_dynamo::from_item(item)
            .map_err(|source| StoreError::Malformed { item: ITEM, source })?;
        AppInstallation::try_from(item).map(Some)
    }

    #[tracing::instrument(skip_all, fields(installation_id = id.get()))]
    async fn apply(
        &self,
        id: InstallationId,
        update: &InstallationUpdate,
    ) -> Result<bool, StoreError> {
        let (text, values) = expression(update);
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(id)))
            .update_expression(text)
            .set_expression_attribute_values(Some(values));
        if !update.deleted {
            request = request.condition_expression("attribute_not_exists(deletedAt)");
        }
        match request.send().await {
            Ok(_) => Ok(true),
            Err(SdkError::ServiceError(ctx))
                if matches!(ctx.err(), UpdateItemError::ConditionalCheckFailedException(_)) =>
            {
                Ok(false)
            }
            Err(e) => Err(aws_error("dynamodb:UpdateItem", e).into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update() -> InstallationUpdate {
        InstallationUpdate::account(42, "acme")
    }

    #[test]
    fn an_added_list_becomes_one_add_action() {
        let mut u = update();
        u.selection = Some(SelectionKind::Selected);
        u.repositories = RepositoriesChange::Add(["Web".to_owned()].into());
        let (text, values) = expression(&u);
        assert!(text.ends_with(" ADD repositories :repositories"), "{text}");
        assert_eq!(values[":repositories"], AttributeValue::Ss(vec!["web".into()]));
        assert_eq!(values[":selection"], AttributeValue::S("selected".into()));
    }

    #[test]
    fn selecting_all_removes_the_list_whatever_else_the_event_says() {
        let mut u = update();
        u.selection = Some(SelectionKind::All);
        u.repositories = RepositoriesChange::Remove(["web".to_owned()].into());
        let (text, values) = expression(&u);
        assert!(text.ends_with(" REMOVE repositories"), "{text}");
        assert!(!values.contains_key(":repositories"));
    }

    #[test]
    fn an_empty_change_touches_no_set() {
        let mut u = update();
        u.repositories = RepositoriesChange::Remove(BTreeSet::new());
        let (text, _) = expression(&u);
        assert!(!text.contains("repositories"), "{text}");
    }
}
