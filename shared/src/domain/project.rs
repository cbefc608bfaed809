//! A project: a repository (and a folder in it) a user connected, deployed on every push to
//! its production branch.

use chrono::{DateTime, Utc};

use super::{GitRef, ProjectId, RepoFullName, RootDirectory, UserId};

/// One connected repository folder of one user.
///
/// At most one project exists per (user, repository, root directory): [`Project::identity`]
/// is what the stores keep unique. The repository is compared ignoring case, as GitHub does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    /// The project id.
    pub id: ProjectId,
    /// The owner (the JWT `sub` of the user who created it).
    pub user_id: UserId,
    /// The repository.
    pub repository: RepoFullName,
    /// The app's folder in the repository (`.` for the root).
    pub root_directory: RootDirectory,
    /// The branch whose pushes deploy; `None` follows the repository's default branch, as
    /// GitHub names it in each push.
    pub production_branch: Option<GitRef>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl Project {
    /// A new project of `user`, created now.
    pub fn new(
        user_id: UserId,
        repository: RepoFullName,
        root_directory: RootDirectory,
        production_branch: Option<GitRef>,
    ) -> Self {
        let now = Utc::now();
        Self {
            id: ProjectId::generate(),
            user_id,
            repository,
            root_directory,
            production_branch,
            created_at: now,
            updated_at: now,
        }
    }

    /// The text that is unique across projects: owner, repository (lower case) and root
    /// directory.
    pub fn identity(&self) -> String {
        identity(&self.user_id, &self.repository, &self.root_directory)
    }

    /// The repository as the stores index it for pushes: lower case.
    pub fn repository_key(&self) -> String {
        repository_key(&self.repository)
    }

    /// Whether a push to `branch` deploys this project, given that the repository's default
    /// branch is `default_branch`.
    pub fn deploys_branch(&self, branch: &str, default_branch: &str) -> bool {
        match &self.production_branch {
            Some(production) => production.as_ref() == branch,
            None => default_branch == branch,
        }
    }
}

/// The unique identity of a project of `user` on `repository` at `root`.
fn identity(user: &UserId, repository: &RepoFullName, root: &RootDirectory) -> String {
    format!("{}\u{1f}{}\u{1f}{}", user, repository_key(repository), root)
}

/// How projects of `repository` are indexed: its full name in lower case (GitHub names are
/// case-insensitive).
fn repository_key(repository: &RepoFullName) -> String {
    repository.as_ref().to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(branch: Option<&str>) -> Project {
        Project::new(
            UserId::parse("alice").unwrap(),
            RepoFullName::parse("Acme/Site").unwrap(),
            RootDirectory::parse("apps/web/").unwrap(),
            branch.map(|b| GitRef::parse(b).unwrap()),
        )
    }

    #[test]
    fn identity_ignores_the_repositorys_case_but_not_the_folder_or_owner() {
        let a = project(None);
        let mut b = project(Some("release"));
        b.repository = RepoFullName::parse("acme/site").unwrap();
        assert_eq!(a.identity(), b.identity());
        b.root_directory = RootDirectory::parse(".").unwrap();
        assert_ne!(a.identity(), b.identity());
        let mut c = project(None);
        c.user_id = UserId::parse("bob").unwrap();
        assert_ne!(a.identity(), c.identity());
        assert_eq!(a.repository_key(), "acme/site");
    }

    #[test]
    fn an_unset_production_branch_follows_the_default_branch() {
        let follows = project(None);
        assert!(follows.deploys_branch("main", "main"));
        assert!(!follows.deploys_branch("feature", "main"));
        let pinned = project(Some("release"));
        assert!(pinned.deploys_branch("release", "main"));
        assert!(!pinned.deploys_branch("main", "main"));
    }
}
