//! Linking a user to GitHub App installations: the use cases behind `/github/installations`.
//!
//! The `whaleray-installations` table stays the one record of who may deploy from which
//! installation (`POST /deployments` reads it). Linking replaces the caller's rows with what
//! GitHub lists for the user now: one row per installation listed, and the rows of
//! installations GitHub no longer lists for them removed. What each installation grants comes
//! from `whaleray-github-installations` (the webhooks), never from the link.

use whaleray_shared::domain::AppInstallation;
use whaleray_shared::ports::{AppInstallations, Installation, InstallationDirectory};
use whaleray_shared::{ErrorClass, InstallationId, UserId};

use crate::github::oauth::{OAuthError, UserInstallations};
use whaleray_shared::error::StoreError;

/// One of the caller's linked installations, with what GitHub last reported about it.
#[derive(Debug, Clone)]
pub struct LinkedInstallation {
    /// The link.
    pub link: Installation,
    /// GitHub's report, when a webhook delivered one.
    pub reported: Option<AppInstallation>,
}

/// Why a linking use case did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// GitHub refused the code or could not be asked.
    #[error(transparent)]
    OAuth(#[from] OAuthError),
    /// The caller has no link to this installation.
    #[error("installation {0} is not linked to your account")]
    NotLinked(InstallationId),
    /// This deployment of the API has no OAuth client configured.
    #[error(
        "linking GitHub installations is not configured on this server (GITHUB_CLIENT_ID, GITHUB_CLIENT_SECRET)"
    )]
    Unconfigured,
    /// The store failed.
    #[error("the installations store failed")]
    Store(#[from] StoreError),
}

impl LinkError {
    /// Whether trying again later can succeed.
    pub fn class(&self) -> ErrorClass {
        match self {
            Self::OAuth(e) => e.class(),
            Self::Store(e) => e.class(),
            Self::NotLinked(_) | Self::Unconfigured => ErrorClass::Permanent,
        }
    }
}

/// Exchanges `code` and makes the caller's links exactly the installations GitHub lists for
/// them. The user token never leaves [`UserInstallations`].
#[tracing::instrument(skip_all, fields(user = %caller))]
pub async fn link(
    github: Option<&dyn UserInstallations>,
    directory: &dyn InstallationDirectory,
    reported: &dyn AppInstallations,
    caller: &UserId,
    code: &str,
) -> Result<Vec<LinkedInstallation>, LinkError> {
    let github = github.ok_or(LinkError::Unconfigured)?;
    let listed = github.installations_for_code(code).await?;
    for found in &listed {
        let link =
            Installation { installation_id: found.id, account_login: found.account_login.clone() };
        directory.link(caller, &link).await?;
    }
    for old in directory.installations_of(caller).await? {
        if !listed.iter().any(|found| found.id == old.installation_id) {
            directory.unlink(caller, old.installation_id).await?;
        }
    }
    tracing::info!(installations = listed.len(), "linked GitHub installations");
    list(directory, reported, caller).await
}

/// The caller's links, each with GitHub's last report.
pub async fn list(
    directory: &dyn InstallationDirectory,
    reported: &dyn AppInstallations,
    caller: &UserId,
) -> Result<Vec<LinkedInstallation>, LinkError> {
    let mut linked = Vec::new();
    for link in directory.installations_of(caller).await? {
        let record = reported.get(link.installation_id).await?;
        linked.push(LinkedInstallation { link, reported: record });
    }
    linked.sort_by_key(|l| l.link.installation_id);
    Ok(linked)
}

/// Removes the caller's link to installation `id`.
pub async fn unlink(
    directory: &dyn InstallationDirectory,
    caller: &UserId,
    id: InstallationId,
) -> Result<(), LinkError> {
    if directory.unlink(caller, id).await? { Ok(()) } else { Err(LinkError::NotLinked(id)) }
}
