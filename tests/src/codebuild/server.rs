//! The fake CodeBuild's state and handle: projects, builds, idempotency tokens, a movable
//! clock, the event outbox, and what tests can inject or read back.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::events::{EventFaults, Outbox, state_change};
use super::model::{FakeBuild, Timing, Verdict};
use super::routes::router;

/// How long CodeBuild honours an idempotency token (API reference: "valid for 5 minutes").
pub const IDEMPOTENCY_WINDOW: Duration = Duration::from_secs(300);
/// The builds one `ListBuildsForProject` page holds, and the most a `sortOrder` may cover.
pub const PAGE_SIZE: usize = 100;

/// How a fake CodeBuild behaves.
#[derive(Debug, Clone)]
pub struct FakeCodeBuildOptions {
    /// The region in ARNs and console links.
    pub region: String,
    /// The account in ARNs.
    pub account: String,
    /// How long phases take.
    pub timing: Timing,
    /// Which state-change events are dropped, repeated or reordered.
    pub event_faults: EventFaults,
    /// How often builds are looked at to emit events.
    pub tick: Duration,
    /// Where `PARAMETER_STORE` variables are resolved when a build starts (the emulator's
    /// SSM). Without one, a build naming such a variable fails at DOWNLOAD_SOURCE.
    pub ssm: Option<aws_sdk_ssm::Client>,
}

impl Default for FakeCodeBuildOptions {
    fn default() -> Self {
        Self {
            region: "us-east-1".into(),
            account: "123456789012".into(),
            timing: Timing::default(),
            event_faults: EventFaults::default(),
            tick: Duration::from_millis(50),
            ssm: None,
        }
    }
}

/// A project as CreateProject stored it.
#[derive(Debug, Clone)]
pub(crate) struct FakeProject {
    pub source: Value,
    pub timeout_minutes: i64,
    pub queued_timeout_minutes: i64,
}

/// An idempotency token's first use.
#[derive(Debug, Clone)]
pub(crate) struct TokenUse {
    pub fingerprint: String,
    pub build_id: String,
    pub at: DateTime<Utc>,
}

/// What a build's clone sees: every variable's value once resolved (tokens included); `Err`
/// fails the build's INSTALL phase with the message, as a failed `git fetch` would.
pub type CloneCheck = Arc<dyn Fn(&HashMap<String, String>) -> Result<(), String> + Send + Sync>;

pub(crate) struct State {
    pub options: FakeCodeBuildOptions,
    pub clone_check: Option<CloneCheck>,
    pub offset: chrono::Duration,
    pub projects: HashMap<String, FakeProject>,
    pub builds: Vec<FakeBuild>,
    pub tokens: HashMap<String, TokenUse>,
    pub verdicts: Vec<(String, Verdict)>,
    pub private_repositories: HashSet<String>,
    pub start_requests: Vec<Value>,
    pub fail_starts_after_creating: u32,
    pub last_status: HashMap<String, &'static str>,
    pub outbox: Outbox,
    pub calls: HashMap<String, u64>,
}

impl State {
    /// The fake's clock: real time moved forward by [`FakeCodeBuild::advance`].
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.offset
    }

    /// The verdict for a build whose parameters mention `text` (first matching rule wins).
    pub fn verdict_for(&self, texts: &[&str]) -> Verdict {
        self.verdicts
            .iter()
            .find(|(needle, _)| texts.iter().any(|t| t.contains(needle.as_str())))
            .map_or(Verdict::Succeed, |(_, v)| v.clone())
    }

    /// Emits an event for every build whose status changed since it was last looked at.
    pub fn emit_changes(&mut self) {
        let now = self.now();
        let (region, account) = (self.options.region.clone(), self.options.account.clone());
        let mut events = Vec::new();
        for build in &self.builds {
            let status = build.status_at(now);
            let last = self.last_status.get(&build.id).copied();
            if last != Some(status) {
                events.push((
                    build.id.clone(),
                    status,
                    state_change(build, status, now, &region, &account),
                ));
            }
        }
        for (id, status, event) in events {
            self.last_status.insert(id, status);
            self.outbox.emit(event);
        }
    }
}

#[derive(Clone)]
pub(crate) struct Shared(Arc<Mutex<State>>);

impl Shared {
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A running fake CodeBuild on a loopback port.
pub struct FakeCodeBuild {
    /// The endpoint to give clients (`AWS_ENDPOINT_URL_CODEBUILD`).
    pub url: String,
    shared: Shared,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for FakeCodeBuild {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl FakeCodeBuild {
    /// Starts a fake on a free loopback port with default options.
    pub async fn start() -> std::io::Result<Self> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), FakeCodeBuildOptions::default()).await
    }

    /// Starts a fake on `address` with `options`.
    pub async fn start_on(
        address: SocketAddr,
        options: FakeCodeBuildOptions,
    ) -> std::io::Result<Self> {
        let tick = options.tick;
        let faults = options.event_faults;
        let shared = Shared(Arc::new(Mutex::new(State {
            options,
            clone_check: None,
            offset: chrono::Duration::zero(),
            projects: HashMap::new(),
            builds: Vec::new(),
            tokens: HashMap::new(),
            verdicts: Vec::new(),
            private_repositories: HashSet::new(),
            start_requests: Vec::new(),
            fail_starts_after_creating: 0,
            last_status: HashMap::new(),
            outbox: Outbox::new(faults),
            calls: HashMap::new(),
        })));
        let listener = tokio::net::TcpListener::bind(address).await?;
        let url = format!("http://{}", listener.local_addr()?);
        let app = router(shared.clone());
        let server = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "fake CodeBuild stopped");
            }
        });
        let ticking = shared.clone();
        let ticker = tokio::spawn(async move {
            let mut interval = tokio::time::interval(tick);
            loop {
                interval.tick().await;
                ticking.lock().emit_changes();
            }
        });
        Ok(Self { url, shared, tasks: vec![server, ticker] })
    }

    /// A CodeBuild client for this fake, as a test sets it up itself.
    pub async fn client(&self) -> aws_sdk_codebuild::Client {
        let region = self.shared.lock().options.region.clone();
        let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(&self.url)
            .region(aws_config::Region::new(region))
            .test_credentials()
            .timeout_config(whaleray_shared::aws::default_timeouts())
            .load()
            .await;
        aws_sdk_codebuild::Client::new(&sdk)
    }

    /// Creates a NO_SOURCE project `name` holding `buildspec`, as Terraform creates the real one.
    pub async fn create_project(&self, name: &str, buildspec: &str) -> anyhow::Result<()> {
        use aws_sdk_codebuild::types::{
            ArtifactsType, ComputeType, EnvironmentType, ProjectArtifacts, ProjectEnvironment,
            ProjectSource, SourceType,
        };
        self.client()
            .await
            .create_project()
            .name(name)
            .source(
                ProjectSource::builder()
                    .r#type(SourceType::NoSource)
                    .buildspec(buildspec)
                    .build()?,
            )
            .artifacts(ProjectArtifacts::builder().r#type(ArtifactsType::NoArtifacts).build()?)
            .environment(
                ProjectEnvironment::builder()
                    .r#type(EnvironmentType::LinuxContainer)
                    .image("aws/codebuild/standard:7.0")
                    .compute_type(ComputeType::BuildGeneral1Small)
                    .build()?,
            )
            .service_role("arn:aws:iam::123456789012:role/whaleray-codebuild")
            .send()
            .await?;
        Ok(())
    }

    /// Moves the fake's clock forward: token windows, phases and timeouts see the later time.
    pub fn advance(&self, by: Duration) {
        let mut state = self.shared.lock();
        state.offset += chrono::Duration::from_std(by).unwrap_or(chrono::Duration::zero());
    }

    /// Builds whose parameters (buildspec, source location, environment variable values)
    /// contain `needle` end with `verdict`; the first matching rule wins, and builds that
    /// match none succeed.
    pub fn set_verdict(&self, needle: &str, verdict: Verdict) {
        self.shared.lock().verdicts.push((needle.to_owned(), verdict));
    }

    /// Runs `check` over each new build's resolved variables, as the build's clone would.
    pub fn set_clone_check(&self, check: CloneCheck) {
        self.shared.lock().clone_check = Some(check);
    }

    /// Marks `owner/name` private: an anonymous GITHUB source of it fails at DOWNLOAD_SOURCE.
    pub fn make_private(&self, repository: &str) {
        self.shared.lock().private_repositories.insert(repository.to_ascii_lowercase());
    }

    /// The next `n` StartBuild calls start (or find) their build, then answer 500 as if the
    /// answer had been lost on the way back.
    pub fn fail_starts_after_creating(&self, n: u32) {
        self.shared.lock().fail_starts_after_creating = n;
    }

    /// Every StartBuild request body received, in order.
    pub fn start_requests(&self) -> Vec<Value> {
        self.shared.lock().start_requests.clone()
    }

    /// Every build id of `project`, oldest first.
    pub fn build_ids(&self, project: &str) -> Vec<String> {
        let state = self.shared.lock();
        state.builds.iter().filter(|b| b.project == project).map(|b| b.id.clone()).collect()
    }

    /// How many builds each `WHALERAY_DEPLOYMENT_ID` value (or any other variable `name`)
    /// got, over every project.
    pub fn builds_per_variable(&self, name: &str) -> HashMap<String, usize> {
        let state = self.shared.lock();
        let mut counts = HashMap::new();
        for build in &state.builds {
            let value = build.environment_variables.as_array().and_then(|vars| {
                vars.iter().find(|v| v["name"] == name).and_then(|v| v["value"].as_str())
            });
            if let Some(value) = value {
                *counts.entry(value.to_owned()).or_insert(0) += 1;
            }
        }
        counts
    }

    /// The status of build `id` now, if the fake knows it.
    pub fn status(&self, id: &str) -> Option<&'static str> {
        let state = self.shared.lock();
        let now = state.now();
        state.builds.iter().find(|b| b.id == id).map(|b| b.status_at(now))
    }

    /// Every event delivered so far and not yet taken, oldest first.
    pub fn take_events(&self) -> Vec<Value> {
        let mut state = self.shared.lock();
        state.emit_changes();
        std::mem::take(&mut state.outbox.delivered)
    }

    /// Delivers an event held back for reordering when no later event came to pass it.
    pub fn flush_events(&self) {
        self.shared.lock().outbox.flush();
    }

    /// Events dropped on purpose so far.
    pub fn dropped_events(&self) -> u64 {
        self.shared.lock().outbox.dropped
    }

    /// Calls received per operation name (`StartBuild`, `BatchGetBuilds`, ...).
    pub fn calls(&self, operation: &str) -> u64 {
        self.shared.lock().calls.get(operation).copied().unwrap_or(0)
    }
}
