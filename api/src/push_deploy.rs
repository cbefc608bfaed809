//! Push-to-deploy: a `push` to a project's production branch creates one deployment per such
//! project, pinned to the pushed head commit, and queues its inspection.
//!
//! Only table reads and writes and SQS sends happen here, well inside GitHub's 10-second
//! window. Each deployment's id is derived from the delivery and the project, and its create
//! is conditional, so a redelivery (or a retry after a crash between the create and the send)
//! creates nothing twice: the deployments table itself is the record of what a delivery did.
//! A deployment whose job could not be sent stays INSPECTING, and the worker's stall sweep
//! queues it again.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use whaleray_shared::domain::{CommitDetails, Project, Trigger};
use whaleray_shared::error::{Chain, StoreError};
use whaleray_shared::job::InspectionJob;
use whaleray_shared::ports::{DeploymentStore, InstallationDirectory, JobQueue, ProjectStore};
use whaleray_shared::{CommitSha, Deployment, DeploymentId, GitRef, InstallationId};

use crate::github::push::{Push, PushKind};

/// What a push did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushOutcome {
    /// Deployments created by this delivery (empty when no project deploys the branch).
    Deployed(Vec<DeploymentId>),
    /// Every deployment this delivery creates already exists: a redelivery.
    Duplicate(Vec<DeploymentId>),
    /// The push deploys nothing (deleted ref, tag, skip marker), with the reason.
    Skipped(&'static str),
}

/// The ports a push needs.
pub struct PushPorts<'a> {
    /// The projects table.
    pub projects: &'a dyn ProjectStore,
    /// The users' installation links.
    pub links: &'a dyn InstallationDirectory,
    /// The deployments table.
    pub store: &'a dyn DeploymentStore,
    /// The inspection queue.
    pub queue: &'a dyn JobQueue,
}

/// The id of the deployment delivery `delivery` creates for `project`: the same for every
/// redelivery. Its time part is when the push happened, so ids still sort by push time.
pub fn deployment_id(
    delivery: &str,
    project: &Project,
    pushed_at: DateTime<Utc>,
) -> Result<DeploymentId, StoreError> {
    let digest = Sha256::new()
        .chain_update(delivery.as_bytes())
        .chain_update([0])
        .chain_update(project.id.to_string().as_bytes())
        .finalize();
    let mut random = [0u8; 16];
    random.copy_from_slice(&digest[..16]);
    let millis = u64::try_from(pushed_at.timestamp_millis()).unwrap_or_default();
    let ulid = ulid::Ulid::from_parts(millis, u128::from_be_bytes(random));
    Ok(DeploymentId::parse(&ulid.to_string())?)
}

/// Deploys every project of the pushed repository whose production branch the push updated,
/// as its owner, if the owner is still linked to the installation the push came through.
#[tracing::instrument(skip_all, fields(delivery, repository = %push.repository))]
pub async fn deploy(
    ports: &PushPorts<'_>,
    delivery: &str,
    push: &Push,
) -> Result<PushOutcome, StoreError> {
    if let Some(reason) = push.skip_reason() {
        tracing::info!(reason, "push deploys nothing");
        return Ok(PushOutcome::Skipped(reason));
    }
    let (PushKind::Updated { after, message, author, pushed_at }, Some(branch)) =
        (&push.kind, push.branch())
    else {
        return Ok(PushOutcome::Skipped("push.not_a_branch"));
    };
    let Ok(branch_ref) = GitRef::parse(branch) else {
        return Ok(PushOutcome::Skipped("push.not_a_branch"));
    };
    let details = CommitDetails::new(message, author);
    let mut created = Vec::new();
    let mut existing = Vec::new();
    for project in ports.projects.for_repository(&push.repository).await? {
        if !project.deploys_branch(branch, &push.default_branch) {
            continue;
        }
        if !linked(ports.links, &project, push.installation).await? {
            tracing::warn!(project_id = %project.id, "project owner is not linked to the push's installation");
            continue;
        }
        let id = deployment_id(delivery, &project, *pushed_at)?;
        let deployment = for_project(id, &project, push, &branch_ref, after, &details);
        match ports.store.create(&deployment).await {
            Ok(()) => {}
            Err(StoreError::AlreadyExists(_)) => {
                tracing::info!(deployment_id = %id, "already created by an earlier delivery");
                existing.push(id);
                continue;
            }
            Err(e) => return Err(e),
        }
        match ports.queue.send(&InspectionJob::for_deployment(&deployment)).await {
            Ok(message_id) => {
                tracing::info!(deployment_id = %id, message_id, "push deployment queued")
            }
            // The stall sweep queues it later: a push is never re-sent by GitHub on its own.
            Err(e) => {
                tracing::error!(deployment_id = %id, error = %Chain(&e), "push deployment not queued; the stall sweep will queue it")
            }
        }
        created.push(id);
    }
    if created.is_empty() && !existing.is_empty() {
        return Ok(PushOutcome::Duplicate(existing));
    }
    Ok(PushOutcome::Deployed(created))
}

async fn linked(
    links: &dyn InstallationDirectory,
    project: &Project,
    installation: InstallationId,
) -> Result<bool, StoreError> {
    let owner_links = links.installations_of(&project.user_id).await?;
    Ok(owner_links.iter().any(|l| l.installation_id == installation))
}

fn for_project(
    id: DeploymentId,
    project: &Project,
    push: &Push,
    branch: &GitRef,
    after: &CommitSha,
    details: &CommitDetails,
) -> Deployment {
    let mut deployment = Deployment::new(
        project.user_id.clone(),
        push.repository.clone(),
        Some(branch.clone()),
        push.installation,
    )
    .pinned_to(after.clone());
    deployment.id = id;
    // A project on the repository root deploys like a deploy without a root directory.
    deployment.root_directory =
        (!project.root_directory.is_root()).then(|| project.root_directory.clone());
    deployment.trigger = Trigger::Push;
    deployment.project_id = Some(project.id);
    deployment.commit_details = Some(details.clone());
    deployment
}

#[cfg(test)]
mod tests {
    use whaleray_shared::ports::Installation;
    use whaleray_shared::testing::{MemoryInstallations, MemoryProjects, MemoryQueue, MemoryStore};
    use whaleray_shared::{RepoFullName, RootDirectory, UserId};

    use super::*;
    use crate::github::push::parse;

    const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

    fn push_json(branch: &str, installation: u64) -> Push {
        let body = serde_json::json!({
            "ref": format!("refs/heads/{branch}"), "after": SHA, "deleted": false,
            "head_commit": {"id": SHA, "message": "Ship it", "author": {"name": "Ada"}},
            "repository": {"full_name": "Acme/Site", "default_branch": "main", "pushed_at": 1_764_644_400},
            "installation": {"id": installation}
        });
        parse(body.to_string().as_bytes()).unwrap()
    }

    struct Fakes {
        projects: MemoryProjects,
        links: MemoryInstallations,
        store: MemoryStore,
        queue: MemoryQueue,
    }

    impl Fakes {
        async fn new() -> Self {
            let fakes = Self {
                projects: MemoryProjects::default(),
                links: MemoryInstallations::default(),
                store: MemoryStore::default(),
                queue: MemoryQueue::default(),
            };
            let alice = UserId::parse("alice").unwrap();
            fakes.links.add(
                &alice,
                Installation {
                    installation_id: InstallationId::new(7).unwrap(),
                    account_login: "acme".into(),
                },
            );
            for root in [".", "apps/web"] {
                let project = Project::new(
                    alice.clone(),
                    RepoFullName::parse("acme/site").unwrap(),
                    RootDirectory::parse(root).unwrap(),
                    None,
                );
                fakes.projects.create(&project).await.unwrap();
            }
            let release = Project::new(
                alice,
                RepoFullName::parse("acme/site").unwrap(),
                RootDirectory::parse("apps/docs").unwrap(),
                GitRef::parse("release").ok(),
            );
            fakes.projects.create(&release).await.unwrap();
            fakes
        }

        fn ports(&self) -> PushPorts<'_> {
            PushPorts {
                projects: &self.projects,
                links: &self.links,
                store: &self.store,
                queue: &self.queue,
            }
        }
    }

    #[tokio::test]
    async fn a_push_deploys_each_project_on_its_branch_once_per_delivery() {
        let fakes = Fakes::new().await;
        let outcome = deploy(&fakes.ports(), "d-1", &push_json("main", 7)).await.unwrap();
        let PushOutcome::Deployed(ids) = outcome else { panic!("{outcome:?}") };
        assert_eq!(ids.len(), 2, "the two projects following main, not the release one");
        let stored = fakes.store.all();
        assert!(stored.iter().all(|d| d.trigger == Trigger::Push));
        assert!(stored.iter().all(|d| d.commit_sha.as_ref().map(AsRef::as_ref) == Some(SHA)));
        assert!(stored.iter().all(|d| d.project_id.is_some()));
        let roots: Vec<_> = stored.iter().map(|d| d.root_directory.clone()).collect();
        assert!(roots.contains(&None) && roots.contains(&RootDirectory::parse("apps/web").ok()));
        assert_eq!(fakes.queue.sent().len(), 2);

        let again = deploy(&fakes.ports(), "d-1", &push_json("main", 7)).await.unwrap();
        let mut expected = ids.clone();
        expected.sort();
        let PushOutcome::Duplicate(mut existing) = again else { panic!("{again:?}") };
        existing.sort();
        assert_eq!(existing, expected);
        assert_eq!((fakes.store.all().len(), fakes.queue.sent().len()), (2, 2));

        let other = deploy(&fakes.ports(), "d-2", &push_json("main", 7)).await.unwrap();
        assert!(matches!(other, PushOutcome::Deployed(ref ids) if ids.len() == 2), "{other:?}");
        let release = deploy(&fakes.ports(), "d-3", &push_json("release", 7)).await.unwrap();
        assert!(matches!(release, PushOutcome::Deployed(ref ids) if ids.len() == 1), "{release:?}");
    }

    #[tokio::test]
    async fn a_push_through_an_installation_the_owner_is_not_linked_to_deploys_nothing() {
        let fakes = Fakes::new().await;
        let outcome = deploy(&fakes.ports(), "d-1", &push_json("main", 8)).await.unwrap();
        assert_eq!(outcome, PushOutcome::Deployed(vec![]));
        assert!(fakes.store.all().is_empty());
    }

    #[tokio::test]
    async fn a_job_that_cannot_be_sent_leaves_the_deployment_inspecting_for_the_sweep() {
        let fakes = Fakes::new().await;
        fakes.queue.set_failing(true);
        let outcome = deploy(&fakes.ports(), "d-1", &push_json("main", 7)).await.unwrap();
        assert!(matches!(outcome, PushOutcome::Deployed(ref ids) if ids.len() == 2));
        assert!(
            fakes
                .store
                .all()
                .iter()
                .all(|d| d.status == whaleray_shared::DeploymentStatus::Inspecting)
        );
    }

    #[test]
    fn deployment_ids_depend_on_the_delivery_and_the_project_only() {
        let project = |root| {
            Project::new(
                UserId::parse("alice").unwrap(),
                RepoFullName::parse("acme/site").unwrap(),
                RootDirectory::parse(root).unwrap(),
                None,
            )
        };
        let (a, b) = (project("."), project("web"));
        let at = DateTime::from_timestamp(1_764_644_400, 0).unwrap();
        let id = |d, p| deployment_id(d, p, at).unwrap();
        assert_eq!(id("d-1", &a), id("d-1", &a));
        assert_ne!(id("d-1", &a), id("d-2", &a));
        assert_ne!(id("d-1", &a), id("d-1", &b));
        assert!(
            id("d-1", &a)
                .to_string()
                .starts_with(&ulid::Ulid::from_parts(1_764_644_400_000, 0).to_string()[..10])
        );
    }
}
