//! A projects table in memory, with the same uniqueness and owner conditions as DynamoDB's.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{SubsecRound, Utc};

use super::lock;
use crate::domain::{GitRef, Project, ProjectId, RepoFullName, UserId};
use crate::error::StoreError;
use crate::ports::{ProjectCreate, ProjectStore};

/// A projects table in memory: projects by id, and which project holds each identity.
#[derive(Debug, Default)]
pub struct MemoryProjects {
    state: Mutex<Tables>,
}

#[derive(Debug, Default)]
struct Tables {
    projects: HashMap<ProjectId, Project>,
    identities: HashMap<String, ProjectId>,
}

impl MemoryProjects {
    /// Every stored project, in id order.
    pub fn all(&self) -> Vec<Project> {
        let mut all: Vec<_> = lock(&self.state).projects.values().cloned().collect();
        all.sort_by_key(|p| p.id);
        all
    }
}

#[async_trait]
impl ProjectStore for MemoryProjects {
    async fn create(&self, project: &Project) -> Result<ProjectCreate, StoreError> {
        let mut state = lock(&self.state);
        let identity = project.identity();
        if let Some(existing) = state.identities.get(&identity) {
            return Ok(ProjectCreate::Exists(*existing));
        }
        if state.projects.contains_key(&project.id) {
            return Err(StoreError::Domain(crate::domain::DomainError::ProjectId(
                project.id.to_string(),
            )));
        }
        // Millisecond timestamps, as the DynamoDB items keep them.
        let mut stored = project.clone();
        stored.created_at = stored.created_at.trunc_subsecs(3);
        stored.updated_at = stored.updated_at.trunc_subsecs(3);
        state.identities.insert(identity, project.id);
        state.projects.insert(project.id, stored);
        Ok(ProjectCreate::Created)
    }

    async fn get(&self, id: ProjectId) -> Result<Option<Project>, StoreError> {
        Ok(lock(&self.state).projects.get(&id).cloned())
    }

    async fn list_for_user(&self, user: &UserId) -> Result<Vec<Project>, StoreError> {
        let mut mine: Vec<_> =
            lock(&self.state).projects.values().filter(|p| &p.user_id == user).cloned().collect();
        mine.sort_by_key(|p| (p.created_at, p.id));
        Ok(mine)
    }

    async fn for_repository(&self, repository: &RepoFullName) -> Result<Vec<Project>, StoreError> {
        let key = repository.as_ref().to_ascii_lowercase();
        let mut found: Vec<_> = lock(&self.state)
            .projects
            .values()
            .filter(|p| p.repository_key() == key)
            .cloned()
            .collect();
        found.sort_by_key(|p| p.id);
        Ok(found)
    }

    async fn set_production_branch(
        &self,
        id: ProjectId,
        owner: &UserId,
        branch: Option<&GitRef>,
    ) -> Result<Option<Project>, StoreError> {
        let mut state = lock(&self.state);
        match state.projects.get_mut(&id) {
            Some(project) if &project.user_id == owner => {
                project.production_branch = branch.cloned();
                project.updated_at = Utc::now().trunc_subsecs(3);
                Ok(Some(project.clone()))
            }
            _ => Ok(None),
        }
    }

    async fn delete(&self, id: ProjectId, owner: &UserId) -> Result<bool, StoreError> {
        let mut state = lock(&self.state);
        match state.projects.get(&id) {
            Some(project) if &project.user_id == owner => {
                let identity = project.identity();
                state.projects.remove(&id);
                state.identities.remove(&identity);
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}
