//! The `/projects` use cases: connect a repository (behind the same installation gate as a
//! deployment), read, list, change the production branch, disconnect. Owner-only: someone
//! else's project answers as a missing one.
//!
//! Like `service.rs`, this knows no HTTP; `error.rs` maps [`ProjectError`].

use whaleray_shared::domain::{Project, ProjectId};
use whaleray_shared::error::StoreError;
use whaleray_shared::ports::{
    AppInstallations, DeploymentStore, InstallationDirectory, Page, PageCursor, ProjectCreate,
    ProjectStore,
};
use whaleray_shared::{ErrorClass, GitRef, RepoFullName, RootDirectory, UserId};

use crate::service::{ServiceError, installation_for};

/// A validated request to connect a repository.
#[derive(Debug, Clone)]
pub struct NewProject {
    /// The repository.
    pub repository: RepoFullName,
    /// The app folder (`.` for the root).
    pub root_directory: RootDirectory,
    /// The production branch; `None` follows the repository's default branch.
    pub production_branch: Option<GitRef>,
}

/// Why a project use case did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    /// The installation gate refused the repository (not installed, deleted, suspended, not
    /// selected), or its tables failed.
    #[error(transparent)]
    Gate(#[from] ServiceError),
    /// No such project, or not the caller's.
    #[error("project {0} not found")]
    NotFound(ProjectId),
    /// The caller already has a project on this repository and root directory.
    #[error("you already have project {0} on this repository and root directory")]
    Exists(ProjectId),
    /// The projects table failed.
    #[error("the projects store failed")]
    Store(#[from] StoreError),
}

impl ProjectError {
    /// Whether trying again later can succeed.
    pub fn class(&self) -> ErrorClass {
        match self {
            Self::Gate(e) => e.class(),
            Self::Store(e) => e.class(),
            Self::NotFound(_) | Self::Exists(_) => ErrorClass::Permanent,
        }
    }
}

/// Connects `request.repository` for `caller`, if one of the caller's installations may
/// deploy it; at most one project per (caller, repository, root directory).
#[tracing::instrument(skip_all, fields(repository = %request.repository))]
pub async fn create(
    projects: &dyn ProjectStore,
    installations: &dyn InstallationDirectory,
    app_installations: &dyn AppInstallations,
    caller: UserId,
    request: NewProject,
) -> Result<Project, ProjectError> {
    installation_for(installations, app_installations, &caller, &request.repository).await?;
    let project =
        Project::new(caller, request.repository, request.root_directory, request.production_branch);
    match projects.create(&project).await? {
        ProjectCreate::Created => {
            tracing::info!(project_id = %project.id, "project created");
            Ok(project)
        }
        ProjectCreate::Exists(existing) => Err(ProjectError::Exists(existing)),
    }
}

/// Reads a project for its owner.
pub async fn get(
    projects: &dyn ProjectStore,
    caller: &UserId,
    id: ProjectId,
) -> Result<Project, ProjectError> {
    match projects.get(id).await? {
        Some(project) if &project.user_id == caller => Ok(project),
        _ => Err(ProjectError::NotFound(id)),
    }
}

/// The caller's projects, oldest first.
pub async fn list(
    projects: &dyn ProjectStore,
    caller: &UserId,
) -> Result<Vec<Project>, ProjectError> {
    Ok(projects.list_for_user(caller).await?)
}

/// One page of the deployments of the caller's project `id`, newest first.
pub async fn deployments_of(
    projects: &dyn ProjectStore,
    store: &dyn DeploymentStore,
    caller: &UserId,
    id: ProjectId,
    limit: u32,
    after: Option<&PageCursor>,
) -> Result<Page, ProjectError> {
    get(projects, caller, id).await?;
    Ok(store.list_for_project(caller, id, limit, after).await?)
}

/// Sets the production branch of the caller's project (`None`: the default branch).
#[tracing::instrument(skip_all, fields(project_id = %id))]
pub async fn set_production_branch(
    projects: &dyn ProjectStore,
    caller: &UserId,
    id: ProjectId,
    branch: Option<GitRef>,
) -> Result<Project, ProjectError> {
    projects
        .set_production_branch(id, caller, branch.as_ref())
        .await?
        .ok_or(ProjectError::NotFound(id))
}

/// Disconnects the caller's project. Its deployments stay.
#[tracing::instrument(skip_all, fields(project_id = %id))]
pub async fn delete(
    projects: &dyn ProjectStore,
    caller: &UserId,
    id: ProjectId,
) -> Result<(), ProjectError> {
    if projects.delete(id, caller).await? { Ok(()) } else { Err(ProjectError::NotFound(id)) }
}

#[cfg(test)]
mod tests {
    use whaleray_shared::InstallationId;
    use whaleray_shared::ports::Installation;
    use whaleray_shared::testing::{MemoryAppInstallations, MemoryInstallations, MemoryProjects};

    use super::*;

    fn request(root: &str) -> NewProject {
        NewProject {
            repository: RepoFullName::parse("acme/site").unwrap(),
            root_directory: RootDirectory::parse(root).unwrap(),
            production_branch: None,
        }
    }

    #[tokio::test]
    async fn a_second_project_on_the_same_repository_and_folder_names_the_first() {
        let (projects, links, reported) = (
            MemoryProjects::default(),
            MemoryInstallations::default(),
            MemoryAppInstallations::default(),
        );
        let alice = UserId::parse("alice").unwrap();
        let installation_id = InstallationId::new(7).unwrap();
        links.add(&alice, Installation { installation_id, account_login: "acme".into() });
        let first =
            create(&projects, &links, &reported, alice.clone(), request(".")).await.unwrap();
        let mut shouting = request("./");
        shouting.repository = RepoFullName::parse("ACME/Site").unwrap();
        let again = create(&projects, &links, &reported, alice.clone(), shouting).await;
        assert!(matches!(again, Err(ProjectError::Exists(id)) if id == first.id), "{again:?}");
        let other_folder = create(&projects, &links, &reported, alice, request("apps/web")).await;
        assert!(other_folder.is_ok());
        assert_eq!(projects.all().len(), 2);
    }

    #[tokio::test]
    async fn projects_are_refused_without_an_installation_and_hidden_from_others() {
        let (projects, links, reported) = (
            MemoryProjects::default(),
            MemoryInstallations::default(),
            MemoryAppInstallations::default(),
        );
        let (alice, bob) = (UserId::parse("alice").unwrap(), UserId::parse("bob").unwrap());
        let refused = create(&projects, &links, &reported, alice.clone(), request(".")).await;
        assert!(matches!(refused, Err(ProjectError::Gate(ServiceError::NotInstalled(_)))));
        assert!(projects.all().is_empty(), "a refused create stores nothing");

        let installation_id = InstallationId::new(7).unwrap();
        links.add(&alice, Installation { installation_id, account_login: "acme".into() });
        let project =
            create(&projects, &links, &reported, alice.clone(), request(".")).await.unwrap();
        assert!(matches!(get(&projects, &bob, project.id).await, Err(ProjectError::NotFound(_))));
        let branch = GitRef::parse("release").ok();
        let patched = set_production_branch(&projects, &bob, project.id, branch.clone()).await;
        assert!(matches!(patched, Err(ProjectError::NotFound(_))));
        assert!(matches!(
            delete(&projects, &bob, project.id).await,
            Err(ProjectError::NotFound(_))
        ));
        assert_eq!(get(&projects, &alice, project.id).await.unwrap().production_branch, None);

        let patched = set_production_branch(&projects, &alice, project.id, branch.clone()).await;
        assert_eq!(patched.unwrap().production_branch, branch);
        delete(&projects, &alice, project.id).await.unwrap();
        assert!(projects.all().is_empty());
        // The identity is free again once deleted.
        assert!(create(&projects, &links, &reported, alice, request(".")).await.is_ok());
    }
}
