//! In-memory fakes shared by the worker's integration tests: a GitHub holding one Vite app
//! that can fail, a CodeBuild that counts starts, and clone credentials that record what was
//! issued and released.

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use whaleray_detect::SupportPolicy;
use whaleray_shared::job::InspectionJob;
use whaleray_shared::ports::{BuildInputs, DeploymentStore};
use whaleray_shared::testing::MemoryStore;
use whaleray_shared::{
    CommitSha, Deployment, DeploymentId, DeploymentStatus, GitRef, InstallationId, RepoFullName,
    StatusChange, UserId,
};
use whaleray_worker::Deps;
use whaleray_worker::codebuild::{BuildError, BuildLauncher, BuildRequest};
use whaleray_worker::credentials::{BuildCredentials, ReleaseCredentials};
use whaleray_worker::github::{EntryKind, GitHubError, RepoReader, TreeEntry};

pub const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

/// A repository with a Vite app; `failures` 502s come before the tree answers.
pub struct FakeGitHub {
    pub failures: AtomicU32,
    pub permanent: bool,
}

#[async_trait]
impl RepoReader for FakeGitHub {
    async fn resolve_commit(
        &self,
        _: InstallationId,
        _: &RepoFullName,
        _: Option<&GitRef>,
    ) -> Result<CommitSha, GitHubError> {
        if self.permanent {
            return Err(GitHubError::NotFound("acme/site".into()));
        }
        Ok(CommitSha::parse(SHA).unwrap())
    }

    async fn tree(
        &self,
        _: InstallationId,
        _: &RepoFullName,
        _: &CommitSha,
    ) -> Result<Vec<TreeEntry>, GitHubError> {
        if self.failures.load(Ordering::SeqCst) > 0 {
            self.failures.fetch_sub(1, Ordering::SeqCst);
            return Err(GitHubError::Server { status: 502, wait: None });
        }
        let entry = |path: &str| TreeEntry {
            path: path.into(),
            sha: path.into(),
            size: 10,
            kind: EntryKind::File,
        };
        Ok(vec![entry("package.json"), entry("vite.config.js"), entry("index.html")])
    }

    async fn blob(
        &self,
        _: InstallationId,
        _: &RepoFullName,
        sha: &str,
    ) -> Result<Vec<u8>, GitHubError> {
        Ok(match sha {
            "package.json" => {
                br#"{"devDependencies":{"vite":"5.0.0"},"scripts":{"build":"vite build"}}"#.to_vec()
            }
            _ => Vec::new(),
        })
    }
}

/// CodeBuild in memory: every start is counted; builds are remembered per deployment.
#[derive(Default)]
pub struct FakeBuilds {
    pub starts: AtomicU32,
    pub started: Mutex<HashMap<DeploymentId, String>>,
    /// The token parameter each start named.
    pub token_parameters: Mutex<Vec<String>>,
    /// The builds stopped, in order.
    pub stopped: Mutex<Vec<String>>,
    /// When set, every start cancels its deployment in this store before answering: the
    /// owner's cancel landing between the build claim and the BUILDING write.
    pub cancel_on_start: Mutex<Option<Arc<MemoryStore>>>,
    /// Refuse every start for good (CodeBuild's `InvalidInputException`).
    pub refuse: std::sync::atomic::AtomicBool,
}

#[async_trait]
impl BuildLauncher for FakeBuilds {
    async fn start(&self, request: &BuildRequest<'_>) -> Result<String, BuildError> {
        self.token_parameters.lock().unwrap().push(request.token_parameter.to_owned());
        if self.refuse.load(Ordering::SeqCst) {
            return Err(BuildError::Aws(whaleray_shared::error::AwsError {
                operation: "codebuild:StartBuild",
                class: whaleray_shared::ErrorClass::Permanent,
                source: "InvalidInputException: refused by the test".into(),
            }));
        }
        let n = self.starts.fetch_add(1, Ordering::SeqCst) + 1;
        tokio::task::yield_now().await;
        let id = format!("whaleray-build:{n}");
        self.started.lock().unwrap().insert(request.deployment_id, id.clone());
        let canceling = self.cancel_on_start.lock().unwrap().clone();
        if let Some(store) = canceling {
            let cancel = StatusChange::to(DeploymentStatus::Canceled);
            store
                .transition(request.deployment_id, DeploymentStatus::Inspecting, cancel)
                .await
                .unwrap();
        }
        Ok(id)
    }

    async fn find_started(
        &self,
        deployment: DeploymentId,
        _since: DateTime<Utc>,
    ) -> Result<Option<String>, BuildError> {
        Ok(self.started.lock().unwrap().get(&deployment).cloned())
    }

    async fn stop(&self, build_id: &str) -> Result<(), BuildError> {
        self.stopped.lock().unwrap().push(build_id.to_owned());
        Ok(())
    }
}

/// Clone credentials in memory: `/test/build-tokens/<id>` per deployment.
#[derive(Default)]
pub struct FakeCredentials {
    /// Deployments a token was issued for, once per issue.
    pub issued: Mutex<Vec<DeploymentId>>,
    /// Deployments whose token was released.
    pub released: Mutex<Vec<DeploymentId>>,
}

#[async_trait]
impl BuildCredentials for FakeCredentials {
    async fn issue(
        &self,
        deployment: DeploymentId,
        _installation: InstallationId,
        _repository: &RepoFullName,
    ) -> Result<String, BuildError> {
        self.issued.lock().unwrap().push(deployment);
        Ok(format!("/test/build-tokens/{deployment}"))
    }
}

#[async_trait]
impl ReleaseCredentials for FakeCredentials {
    /// Like SSM's DeleteParameter with `ParameterNotFound` accepted: any release succeeds.
    async fn release(&self, deployment: DeploymentId) -> Result<(), BuildError> {
        self.released.lock().unwrap().push(deployment);
        Ok(())
    }
}

pub struct World {
    pub store: Arc<MemoryStore>,
    pub builds: Arc<FakeBuilds>,
    pub credentials: Arc<FakeCredentials>,
    pub deps: Deps,
    pub job: InspectionJob,
}

pub async fn world(github_failures: u32, permanent: bool) -> World {
    let store = Arc::new(MemoryStore::default());
    let builds = Arc::new(FakeBuilds::default());
    let credentials = Arc::new(FakeCredentials::default());
    let deployment = Deployment::new(
        UserId::parse("u").unwrap(),
        RepoFullName::parse("acme/site").unwrap(),
        None,
        InstallationId::new(1).unwrap(),
    );
    store.create(&deployment).await.unwrap();
    let job = InspectionJob::for_deployment(&deployment);
    let deps = Deps {
        store: store.clone(),
        github: Arc::new(FakeGitHub { failures: AtomicU32::new(github_failures), permanent }),
        builds: builds.clone(),
        tracker: Arc::new(whaleray_worker::ports::NoBuildRecords),
        credentials: credentials.clone(),
        support: SupportPolicy::default_policy(),
        max_receive_count: 3,
        budgets: whaleray_worker::budget::Budgets::default(),
    };
    World { store, builds, credentials, deps, job }
}

/// Inputs as another worker's claim would have pinned them: the Vite plan at `SHA`.
pub fn pinned_inputs() -> BuildInputs {
    let detection = serde_json::from_value(serde_json::json!({
        "framework": "vite", "runtime": "node", "packageManager": "npm", "rootDirectory": ".",
        "installCommand": "npm ci", "buildCommand": "vite build", "outputDirectory": "dist",
        "nodeVersion": null, "evidence": [], "candidates": []
    }))
    .unwrap();
    let plan = whaleray_worker::plan::build_plan(detection).unwrap();
    BuildInputs { commit: CommitSha::parse(SHA).unwrap(), plan }
}

impl World {
    pub async fn stored(&self) -> Deployment {
        self.store.get(self.job.deployment_id).await.unwrap().unwrap()
    }
}
