//! A GitHub App installation as GitHub reports it through webhooks: keyed on GitHub's numeric
//! ids, with the account login kept as data (logins change) and the repositories it grants.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use super::{InstallationId, RepoFullName};

/// Which repositories an installation grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RepositorySelection {
    /// Every repository of the account, present and future.
    All,
    /// Only these repositories (names without the owner, lower-cased: GitHub compares
    /// repository names case-insensitively, and the owner is the installation's account).
    Selected(BTreeSet<String>),
}

impl RepositorySelection {
    /// A "selected" grant of `names` (lower-cased).
    pub fn selected<'a>(names: impl IntoIterator<Item = &'a str>) -> Self {
        Self::Selected(names.into_iter().map(str::to_ascii_lowercase).collect())
    }

    /// Whether the grant includes the repository called `name` (owner already matched).
    pub fn includes(&self, name: &str) -> bool {
        match self {
            Self::All => true,
            Self::Selected(names) => names.contains(&name.to_ascii_lowercase()),
        }
    }
}

/// The state GitHub last reported for one installation of the WhaleRay App.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppInstallation {
    /// GitHub's installation id.
    pub installation_id: InstallationId,
    /// GitHub's numeric id of the account (user or organisation) the App is installed on.
    pub account_id: u64,
    /// The account's login as last reported (it can change; the ids cannot).
    pub account_login: String,
    /// The repositories it grants.
    pub repositories: RepositorySelection,
    /// Suspended by the account or GitHub: no new deployments until unsuspended.
    pub suspended: bool,
    /// Uninstalled: final, the id is never reused.
    pub deleted: bool,
    /// When the record last changed.
    pub updated_at: DateTime<Utc>,
}

/// Why an installation does not let a repository be deployed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstallationRefusal {
    /// The App was uninstalled from the account.
    Deleted,
    /// The installation is suspended.
    Suspended,
    /// The account is right but the repository is not among the selected ones.
    RepositoryNotSelected,
    /// The repository belongs to another account.
    OtherAccount,
}

impl AppInstallation {
    /// Whether a new deployment of `repository` may start under this installation.
    pub fn permits(&self, repository: &RepoFullName) -> Result<(), InstallationRefusal> {
        if !repository.is_owned_by(&self.account_login) {
            return Err(InstallationRefusal::OtherAccount);
        }
        if self.deleted {
            return Err(InstallationRefusal::Deleted);
        }
        if self.suspended {
            return Err(InstallationRefusal::Suspended);
        }
        if !self.repositories.includes(repository.name()) {
            return Err(InstallationRefusal::RepositoryNotSelected);
        }
        Ok(())
    }
}

/// Whether an event says the installation grants all or only selected repositories.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelectionKind {
    /// `repository_selection: "all"`.
    All,
    /// `repository_selection: "selected"`.
    Selected,
}

/// How an event changes the list of selected repositories.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum RepositoriesChange {
    /// The event says nothing about the list.
    #[default]
    Unchanged,
    /// The event lists every granted repository (`installation` created).
    Exactly(BTreeSet<String>),
    /// Repositories newly granted (`installation_repositories` added).
    Add(BTreeSet<String>),
    /// Repositories no longer granted (`installation_repositories` removed).
    Remove(BTreeSet<String>),
}

/// One change GitHub reported for an installation, applied as a single conditional write
/// that leaves a deleted installation deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallationUpdate {
    /// The account's numeric id and current login (every installation event carries them).
    pub account_id: u64,
    /// The account's login now.
    pub account_login: String,
    /// All or selected, when the event says.
    pub selection: Option<SelectionKind>,
    /// The change to the selected list (ignored when the selection is all).
    pub repositories: RepositoriesChange,
    /// Suspended (true) or unsuspended (false), when the event says.
    pub suspended: Option<bool>,
    /// The App was uninstalled.
    pub deleted: bool,
}

impl InstallationUpdate {
    /// An update that only refreshes the account (id and login).
    pub fn account(account_id: u64, account_login: impl Into<String>) -> Self {
        Self {
            account_id,
            account_login: account_login.into(),
            selection: None,
            repositories: RepositoriesChange::Unchanged,
            suspended: None,
            deleted: false,
        }
    }

    /// The record a first update creates: selected with no repositories until told more, so
    /// a record whose grant is unknown permits nothing.
    pub fn new_record(&self, id: InstallationId, now: DateTime<Utc>) -> AppInstallation {
        let mut record = AppInstallation {
            installation_id: id,
            account_id: self.account_id,
            account_login: self.account_login.clone(),
            repositories: RepositorySelection::Selected(BTreeSet::new()),
            suspended: false,
            deleted: false,
            updated_at: now,
        };
        self.apply_to(&mut record, now);
        record
    }

    /// Applies the update to a record (the in-memory store uses this; the DynamoDB store
    /// expresses the same rules as one update expression). A deleted record stays deleted.
    pub fn apply_to(&self, record: &mut AppInstallation, now: DateTime<Utc>) {
        record.account_id = self.account_id;
        record.account_login.clone_from(&self.account_login);
        match self.selection {
            Some(SelectionKind::All) => record.repositories = RepositorySelection::All,
            Some(SelectionKind::Selected) if record.repositories == RepositorySelection::All => {
                record.repositories = RepositorySelection::Selected(BTreeSet::new());
            }
            _ => {}
        }
        if let RepositorySelection::Selected(names) = &mut record.repositories {
            let lower = |set: &BTreeSet<String>| -> BTreeSet<String> {
                set.iter().map(|n| n.to_ascii_lowercase()).collect()
            };
            match &self.repositories {
                RepositoriesChange::Unchanged => {}
                RepositoriesChange::Exactly(set) => *names = lower(set),
                RepositoriesChange::Add(set) => names.extend(lower(set)),
                RepositoriesChange::Remove(set) => {
                    for name in lower(set) {
                        names.remove(&name);
                    }
                }
            }
        }
        if let Some(suspended) = self.suspended {
            record.suspended = suspended;
        }
        record.deleted |= self.deleted;
        record.updated_at = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(selection: RepositorySelection) -> AppInstallation {
        AppInstallation {
            installation_id: InstallationId::new(7).unwrap(),
            account_id: 42,
            account_login: "Acme".into(),
            repositories: selection,
            suspended: false,
            deleted: false,
            updated_at: Utc::now(),
        }
    }

    fn repo(name: &str) -> RepoFullName {
        RepoFullName::parse(name).unwrap()
    }

    #[test]
    fn permits_checks_account_then_state_then_selection() {
        let check = |r: &AppInstallation, name: &str| r.permits(&repo(name));
        let all = record(RepositorySelection::All);
        assert_eq!(check(&all, "acme/anything"), Ok(()));
        assert_eq!(check(&all, "other/anything"), Err(InstallationRefusal::OtherAccount));
        let some = record(RepositorySelection::selected(["Web"]));
        assert_eq!(check(&some, "ACME/web"), Ok(()));
        assert_eq!(check(&some, "acme/api"), Err(InstallationRefusal::RepositoryNotSelected));
        let mut suspended = some.clone();
        suspended.suspended = true;
        assert_eq!(check(&suspended, "acme/web"), Err(InstallationRefusal::Suspended));
        let mut deleted = suspended.clone();
        deleted.deleted = true;
        assert_eq!(check(&deleted, "acme/web"), Err(InstallationRefusal::Deleted));
    }

    #[test]
    fn updates_add_and_remove_selected_repositories_case_insensitively() {
        let mut r = record(RepositorySelection::selected(["web"]));
        let mut update = InstallationUpdate::account(42, "Acme");
        update.repositories = RepositoriesChange::Add(["Api".to_owned()].into());
        update.apply_to(&mut r, Utc::now());
        update.repositories = RepositoriesChange::Remove(["WEB".to_owned()].into());
        update.apply_to(&mut r, Utc::now());
        assert_eq!(r.repositories, RepositorySelection::selected(["api"]));
    }

    #[test]
    fn a_rename_keeps_the_ids_and_changes_the_login() {
        let mut r = record(RepositorySelection::All);
        InstallationUpdate::account(42, "acme-inc").apply_to(&mut r, Utc::now());
        assert_eq!((r.account_id, r.account_login.as_str()), (42, "acme-inc"));
        assert_eq!(r.permits(&repo("acme-inc/x")), Ok(()));
        assert_eq!(r.permits(&repo("acme/x")), Err(InstallationRefusal::OtherAccount));
    }

    #[test]
    fn deletion_is_final() {
        let mut r = record(RepositorySelection::All);
        let mut update = InstallationUpdate::account(42, "Acme");
        update.deleted = true;
        update.apply_to(&mut r, Utc::now());
        let mut update = InstallationUpdate::account(42, "Acme");
        update.suspended = Some(false);
        update.apply_to(&mut r, Utc::now());
        assert!(r.deleted);
    }

    #[test]
    fn switching_to_all_and_back_to_selected_forgets_the_old_list() {
        let mut r = record(RepositorySelection::selected(["web"]));
        let mut update = InstallationUpdate::account(42, "Acme");
        update.selection = Some(SelectionKind::All);
        update.repositories = RepositoriesChange::Add(["api".to_owned()].into());
        update.apply_to(&mut r, Utc::now());
        assert_eq!(r.repositories, RepositorySelection::All);
        update.selection = Some(SelectionKind::Selected);
        update.apply_to(&mut r, Utc::now());
        assert_eq!(r.repositories, RepositorySelection::selected(["api"]));
    }
}
