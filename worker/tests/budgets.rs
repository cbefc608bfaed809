//! Hostile repositories over in-memory ports: every budget is a verdict naming the budget,
//! blobs are fetched once per SHA, and links, submodules and escaping directories never reach
//! a build.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use common::{FakeBuilds, FakeCredentials, SHA};
use whaleray_detect::SupportPolicy;
use whaleray_shared::job::InspectionJob;
use whaleray_shared::ports::DeploymentStore;
use whaleray_shared::testing::MemoryStore;
use whaleray_shared::{
    CommitSha, Deployment, DeploymentStatus, GitRef, InstallationId, RepoFullName, UserId,
};
use whaleray_worker::Deps;
use whaleray_worker::budget::Budgets;
use whaleray_worker::github::{EntryKind, GitHubError, RepoReader, TreeEntry};
use whaleray_worker::process::{Outcome, inspect};

/// A repository of (path, kind, contents); the blob SHA is the contents themselves, so equal
/// files share a SHA. Counts blob reads, and can hold each read back.
struct Repo {
    entries: Vec<(String, EntryKind, String)>,
    blob_reads: AtomicU32,
    blob_delay: Option<Duration>,
}

impl Repo {
    fn new(entries: &[(&str, EntryKind, &str)]) -> Self {
        let entries =
            entries.iter().map(|(p, k, c)| ((*p).to_owned(), *k, (*c).to_owned())).collect();
        Self { entries, blob_reads: AtomicU32::new(0), blob_delay: None }
    }

    fn files(files: Vec<(String, String)>) -> Self {
        let entries = files.into_iter().map(|(p, c)| (p, EntryKind::File, c)).collect();
        Self { entries, blob_reads: AtomicU32::new(0), blob_delay: None }
    }
}

#[async_trait]
impl RepoReader for Repo {
    async fn resolve_commit(
        &self,
        _: InstallationId,
        _: &RepoFullName,
        _: Option<&GitRef>,
    ) -> Result<CommitSha, GitHubError> {
        Ok(CommitSha::parse(SHA).unwrap())
    }

    async fn tree(
        &self,
        _: InstallationId,
        _: &RepoFullName,
        _: &CommitSha,
    ) -> Result<Vec<TreeEntry>, GitHubError> {
        Ok(self
            .entries
            .iter()
            .map(|(path, kind, contents)| TreeEntry {
                path: path.clone(),
                sha: contents.clone(),
                size: contents.len() as u64,
                kind: *kind,
            })
            .collect())
    }

    async fn blob(
        &self,
        _: InstallationId,
        _: &RepoFullName,
        sha: &str,
    ) -> Result<Vec<u8>, GitHubError> {
        self.blob_reads.fetch_add(1, Ordering::SeqCst);
        if let Some(delay) = self.blob_delay {
            tokio::time::sleep(delay).await;
        }
        Ok(sha.as_bytes().to_vec())
    }
}

const VITE: &str = r#"{"scripts":{"build":"vite build"},"devDependencies":{"vite":"5"}}"#;

async fn run(repo: Arc<Repo>, budgets: Budgets) -> (Outcome, Deployment) {
    let store = Arc::new(MemoryStore::default());
    let deployment = Deployment::new(
        UserId::parse("u").unwrap(),
        RepoFullName::parse("acme/hostile").unwrap(),
        None,
        InstallationId::new(1).unwrap(),
    );
    store.create(&deployment).await.unwrap();
    let deps = Deps {
        store: store.clone(),
        github: repo,
        builds: Arc::new(FakeBuilds::default()),
        credentials: Arc::new(FakeCredentials::default()),
        support: SupportPolicy::default_policy(),
        max_receive_count: 5,
        budgets,
    };
    let outcome = inspect(&deps, &InspectionJob::for_deployment(&deployment), 1).await.unwrap();
    (outcome, store.get(deployment.id).await.unwrap().unwrap())
}

/// A workspace of `n` Vite packages; `distinct` gives each package.json its own SHA.
fn workspace(n: usize, distinct: bool) -> Repo {
    let mut files =
        vec![("package.json".to_owned(), r#"{"workspaces":["packages/*"]}"#.to_owned())];
    for i in 0..n {
        let pkg = if distinct {
            VITE.replace("vite build", &format!("vite build #{i}"))
        } else {
            VITE.to_owned()
        };
        files.push((format!("packages/p{i}/package.json"), pkg));
    }
    Repo::files(files)
}

#[tokio::test]
async fn each_blob_is_fetched_once_however_many_paths_share_it() {
    let repo = Arc::new(workspace(40, false));
    let (_, stored) = run(repo.clone(), Budgets::default()).await;
    assert_eq!(stored.status, DeploymentStatus::NotSupported, "{:?}", stored.reason);
    // The root package.json and the one blob all 40 packages share.
    assert_eq!(repo.blob_reads.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_repository_over_a_budget_fails_at_once_with_a_reason_naming_it() {
    for (budgets, named) in [
        (Budgets { requests: 10, ..Budgets::default() }, "10 GitHub requests"),
        (Budgets { files: 10, ..Budgets::default() }, "10 files"),
        (Budgets { bytes: 1000, ..Budgets::default() }, "1000 bytes"),
    ] {
        let repo = Arc::new(workspace(40, true));
        let (outcome, stored) = run(repo.clone(), budgets).await;
        let Outcome::Failed { reason } = outcome else { panic!("{outcome:?}") };
        assert!(reason.contains(named), "{reason}");
        assert_eq!(stored.status, DeploymentStatus::Failed);
        assert!(repo.blob_reads.load(Ordering::SeqCst) <= 10, "read past the budget");
    }
}

#[tokio::test]
async fn an_inspection_past_its_deadline_fails_naming_the_deadline() {
    let mut repo = workspace(3, true);
    repo.blob_delay = Some(Duration::from_secs(600));
    let budgets = Budgets { deadline: Duration::from_millis(300), ..Budgets::default() };
    let (outcome, stored) = run(Arc::new(repo), budgets).await;
    let Outcome::Failed { reason } = outcome else { panic!("{outcome:?}") };
    assert!(reason.contains("inspection deadline"), "{reason}");
    assert_eq!(stored.status, DeploymentStatus::Failed);
}

#[tokio::test]
async fn links_and_submodules_are_never_read_and_never_built_through() {
    let repo = Arc::new(Repo::new(&[
        ("package.json", EntryKind::File, VITE),
        ("vite.config.js", EntryKind::File, "export default {}"),
        ("index.html", EntryKind::Symlink, "/etc/passwd"),
        ("dist", EntryKind::Symlink, "/etc"),
        ("packages/lib", EntryKind::Submodule, "5555"),
    ]));
    let (outcome, stored) = run(repo.clone(), Budgets::default()).await;
    let Outcome::NotSupported { reason } = outcome else { panic!("{outcome:?}") };
    assert!(reason.contains("\"dist\" is a symbolic link"), "{reason}");
    assert_eq!(stored.build_id, None);
    // Only package.json and vite.config.js are files; the links' targets are never fetched.
    assert!(repo.blob_reads.load(Ordering::SeqCst) <= 2);
}

#[tokio::test]
async fn an_output_directory_escaping_the_repository_never_reaches_a_build() {
    for output in ["../../etc", "/etc", "dist/../../../etc"] {
        let vercel = format!(r#"{{"outputDirectory":"{output}"}}"#);
        let repo = Arc::new(Repo::new(&[
            ("package.json", EntryKind::File, VITE),
            ("vite.config.js", EntryKind::File, "export default {}"),
            ("vercel.json", EntryKind::File, &vercel),
        ]));
        let (outcome, stored) = run(repo, Budgets::default()).await;
        let Outcome::NotSupported { reason } = outcome else { panic!("{output}: {outcome:?}") };
        assert!(reason.contains("output directory"), "{reason}");
        assert_eq!(stored.build_id, None);
    }
}
