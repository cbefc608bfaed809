//! The stored shape of a deployment, and its conversion to and from the domain record.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use whaleray_detect::Detection;

use crate::domain::{
    CommitSha, Deployment, DeploymentId, DeploymentStatus, GitRef, InstallationId, RepoFullName,
    RootDirectory, UserId,
};
use crate::error::StoreError;

/// One `deployments` item. Attribute names are camelCase; absent options are not stored.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DeploymentItem {
    pub deployment_id: String,
    pub user_id: String,
    pub repository: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    pub installation_id: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_directory: Option<String>,
    pub status: String,
    pub created_at: String,
    pub updated_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit_sha: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detection: Option<Detection>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default)]
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    #[serde(default)]
    pub requeues: u32,
}

/// Timestamps are stored as fixed-width RFC 3339 UTC strings, so they sort as text in the GSI.
pub(crate) fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub(crate) fn parse_time(field: &str, value: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt(format!("{field} {value:?}: {e}")))
}

impl From<&Deployment> for DeploymentItem {
    fn from(d: &Deployment) -> Self {
        Self {
            deployment_id: d.id.to_string(),
            user_id: d.user_id.to_string(),
            repository: d.repository.to_string(),
            branch: d.branch.as_ref().map(ToString::to_string),
            installation_id: d.installation_id.get(),
            root_directory: d.root_directory.as_ref().map(ToString::to_string),
            status: d.status.as_str().to_owned(),
            created_at: timestamp(d.created_at),
            updated_at: timestamp(d.updated_at),
            commit_sha: d.commit_sha.as_ref().map(ToString::to_string),
            detection: d.detection.clone(),
            build_id: d.build_id.clone(),
            reason: d.reason.clone(),
            attempts: d.attempts,
            last_error: d.last_error.clone(),
            requeues: d.requeues,
        }
    }
}

impl TryFrom<DeploymentItem> for Deployment {
    type Error = StoreError;

    fn try_from(item: DeploymentItem) -> Result<Self, Self::Error> {
        let corrupt = |e: crate::domain::DomainError| StoreError::Corrupt(e.to_string());
        Ok(Self {
            id: DeploymentId::parse(&item.deployment_id).map_err(corrupt)?,
            user_id: UserId::parse(&item.user_id).map_err(corrupt)?,
            repository: RepoFullName::parse(&item.repository).map_err(corrupt)?,
            branch: item.branch.as_deref().map(GitRef::parse).transpose().map_err(corrupt)?,
            installation_id: InstallationId::new(item.installation_id).map_err(corrupt)?,
            root_directory: item
                .root_directory
                .as_deref()
                .map(RootDirectory::parse)
                .transpose()
                .map_err(corrupt)?,
            status: item.status.parse::<DeploymentStatus>().map_err(corrupt)?,
            created_at: parse_time("createdAt", &item.created_at)?,
            updated_at: parse_time("updatedAt", &item.updated_at)?,
            commit_sha: item
                .commit_sha
                .as_deref()
                .map(CommitSha::parse)
                .transpose()
                .map_err(corrupt)?,
            detection: item.detection,
            build_id: item.build_id,
            reason: item.reason,
            attempts: item.attempts,
            last_error: item.last_error,
            requeues: item.requeues,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::types::AttributeValue;
    use std::collections::HashMap;

    fn sample() -> Deployment {
        Deployment::new(
            UserId::parse("u-1").unwrap(),
            RepoFullName::parse("acme/web").unwrap(),
            Some(GitRef::parse("main").unwrap()),
            InstallationId::new(9).unwrap(),
        )
    }

    #[test]
    fn a_deployment_round_trips_through_its_item() {
        let deployment = sample();
        let item: HashMap<String, AttributeValue> =
            serde_dynamo::to_item(DeploymentItem::from(&deployment)).unwrap();
        assert_eq!(item["status"], AttributeValue::S("INSPECTING".into()));
        assert_eq!(item["installationId"], AttributeValue::N("9".into()));
        assert!(!item.contains_key("buildId"), "absent options are not stored");
        let back: DeploymentItem = serde_dynamo::from_item(item).unwrap();
        let mut expected = deployment;
        // Stored timestamps keep millisecond precision.
        expected.created_at = parse_time("t", &timestamp(expected.created_at)).unwrap();
        expected.updated_at = expected.created_at;
        assert_eq!(Deployment::try_from(back).unwrap(), expected);
    }

    #[test]
    fn an_item_with_an_unknown_status_is_reported_corrupt() {
        let mut item = DeploymentItem::from(&sample());
        item.status = "DONE".into();
        assert!(matches!(Deployment::try_from(item), Err(StoreError::Corrupt(_))));
    }
}
