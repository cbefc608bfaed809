//! The inspection job message: versioned JSON, so messages already queued (or parked in the
//! dead-letter queue) stay readable after an upgrade.

use serde::{Deserialize, Serialize};

use crate::domain::{
    Deployment, DeploymentId, DomainError, GitRef, InstallationId, RepoFullName, RootDirectory,
    UserId,
};

/// The version this code writes.
pub const CURRENT_VERSION: u32 = 1;

/// Work for the worker: inspect one deployment's repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InspectionJob {
    /// The deployment to inspect.
    pub deployment_id: DeploymentId,
    /// Who asked for it.
    pub user_id: UserId,
    /// The repository.
    pub repository: RepoFullName,
    /// The branch asked for; `None` means the default branch.
    pub branch: Option<GitRef>,
    /// The installation that grants access.
    pub installation_id: InstallationId,
    /// The app's folder in a monorepo, when the user named one.
    pub root_directory: Option<RootDirectory>,
}

/// Why a message body is not a job this code can run. Always permanent: the same bytes will
/// fail the same way every time.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Not JSON, or not the shape of any known version.
    #[error("job message is not valid JSON of a known shape: {0}")]
    Malformed(#[source] serde_json::Error),
    /// A version this code does not know.
    #[error("job message version {0} is not supported (this worker reads version 1)")]
    UnsupportedVersion(u32),
    /// A field that fails domain validation.
    #[error("job message has an invalid field: {0}")]
    Invalid(#[from] DomainError),
}

#[derive(Deserialize)]
struct Envelope {
    version: u32,
}

#[derive(Serialize, Deserialize)]
// A tolerant reader: fields added later as optional stay readable by this version's code.
#[serde(rename_all = "camelCase")]
struct JobV1 {
    version: u32,
    deployment_id: String,
    user_id: String,
    repository: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    branch: Option<String>,
    installation_id: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    root_directory: Option<String>,
}

impl InspectionJob {
    /// The job that inspects `deployment`.
    pub fn for_deployment(deployment: &Deployment) -> Self {
        Self {
            deployment_id: deployment.id,
            user_id: deployment.user_id.clone(),
            repository: deployment.repository.clone(),
            branch: deployment.branch.clone(),
            installation_id: deployment.installation_id,
            root_directory: deployment.root_directory.clone(),
        }
    }

    /// Encodes the job as the current version's JSON.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(&JobV1 {
            version: CURRENT_VERSION,
            deployment_id: self.deployment_id.to_string(),
            user_id: self.user_id.to_string(),
            repository: self.repository.to_string(),
            branch: self.branch.as_ref().map(ToString::to_string),
            installation_id: self.installation_id.get(),
            root_directory: self.root_directory.as_ref().map(ToString::to_string),
        })
    }

    /// Decodes any supported version, validating every field.
    pub fn from_json(body: &str) -> Result<Self, JobError> {
        let envelope: Envelope = serde_json::from_str(body).map_err(JobError::Malformed)?;
        match envelope.version {
            1 => serde_json::from_str::<JobV1>(body).map_err(JobError::Malformed)?.try_into(),
            other => Err(JobError::UnsupportedVersion(other)),
        }
    }
}

impl TryFrom<JobV1> for InspectionJob {
    type Error = JobError;

    fn try_from(wire: JobV1) -> Result<Self, Self::Error> {
        Ok(Self {
            deployment_id: DeploymentId::parse(&wire.deployment_id)?,
            user_id: UserId::parse(&wire.user_id)?,
            repository: RepoFullName::parse(&wire.repository)?,
            branch: wire.branch.as_deref().map(GitRef::parse).transpose()?,
            installation_id: InstallationId::new(wire.installation_id)?,
            root_directory: wire.root_directory.as_deref().map(RootDirectory::parse).transpose()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job() -> InspectionJob {
        InspectionJob {
            deployment_id: DeploymentId::generate(),
            user_id: UserId::parse("user-1").unwrap(),
            repository: RepoFullName::parse("acme/site").unwrap(),
            branch: Some(GitRef::parse("feature/x").unwrap()),
            installation_id: InstallationId::new(7).unwrap(),
            root_directory: Some(RootDirectory::parse("apps/web").unwrap()),
        }
    }

    #[test]
    fn jobs_round_trip_and_carry_version_one() {
        let job = job();
        let json = job.to_json().unwrap();
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value["version"], 1);
        assert_eq!(value["repository"], "acme/site");
        assert_eq!(InspectionJob::from_json(&json).unwrap(), job);
    }

    #[test]
    fn a_version_one_message_written_by_hand_is_read() {
        let body = r#"{"version":1,"deploymentId":"01ARZ3NDEKTSV4RRFFQ69G5FAV","userId":"u","repository":"a/b","installationId":3}"#;
        let job = InspectionJob::from_json(body).unwrap();
        assert_eq!(job.branch, None);
        assert_eq!(job.installation_id.get(), 3);
    }

    #[test]
    fn unknown_versions_garbage_and_invalid_fields_are_typed_errors() {
        assert!(matches!(
            InspectionJob::from_json(r#"{"version":2}"#),
            Err(JobError::UnsupportedVersion(2))
        ));
        assert!(matches!(InspectionJob::from_json("not json"), Err(JobError::Malformed(_))));
        assert!(matches!(
            InspectionJob::from_json(r#"{"deploymentId":"x"}"#),
            Err(JobError::Malformed(_))
        ));
        let bad_repo = r#"{"version":1,"deploymentId":"01ARZ3NDEKTSV4RRFFQ69G5FAV","userId":"u","repository":"a/b/c","installationId":3}"#;
        assert!(matches!(InspectionJob::from_json(bad_repo), Err(JobError::Invalid(_))));
    }
}
