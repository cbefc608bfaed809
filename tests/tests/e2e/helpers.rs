//! The test app: an emulator stack, a fake GitHub, the API router and the worker's
//! dependencies, all wired exactly as the binaries wire them.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use http::{HeaderMap, Method, Request, StatusCode};
use secrecy::SecretString;
use serde_json::Value;
use tower::ServiceExt;
use whaleray_api::auth::{Authenticator, mint_dev_token};
use whaleray_api::builds::CodeBuildStopper;
use whaleray_api::github::oauth::{GitHubUsers, OAuthClient};
use whaleray_api::guards::rate_limit::Limits;
use whaleray_api::{AppState, router};
use whaleray_shared::dynamo::{
    DynamoAppInstallations, DynamoDeliveryLog, DynamoDeploymentStore, DynamoIdempotency,
    DynamoInstallations, DynamoRateLimits,
};
use whaleray_shared::rate_limit::RateLimit;
use whaleray_shared::sqs::SqsJobQueue;
use whaleray_tests::codebuild::{EVENT_FEED_PATH, FakeCodeBuild, FakeCodeBuildOptions};
use whaleray_tests::emulator::{Emulator, Stack, StackOptions};
use whaleray_tests::github::keys::{TEST_APP_ID, TEST_PRIVATE_KEY_PEM};
use whaleray_tests::github::{FakeGitHub, FakeRepo, TEST_CLIENT_ID, TEST_CLIENT_SECRET};
use whaleray_worker::Deps;
use whaleray_worker::codebuild::CodeBuildLauncher;
use whaleray_worker::credentials::{ParameterPrefix, SsmBuildCredentials};
use whaleray_worker::github::{AppCredentials, Credentials, GitHubClient};
use whaleray_worker::poll::{PollStats, Poller};

pub const SECRET: &str = "test-secret-that-is-long-enough";
/// The secret the tests' webhook deliveries are signed with.
pub const WEBHOOK_SECRET: &str = "test-webhook-secret";
/// The installation the API seeds for `USER`'s `acme` account.
pub const INSTALLATION_ID: u64 = 4242;
pub const USER: &str = "user-alice";
pub const FRONTEND: &str = "https://app.whaleray.test";

pub struct TestApp {
    pub emulator: Emulator,
    pub stack: Stack,
    pub github: Arc<FakeGitHub>,
    /// CodeBuild as the API reference documents it; the worker's builds go here.
    pub codebuild: FakeCodeBuild,
    /// A client of `codebuild`.
    pub codebuild_client: aws_sdk_codebuild::Client,
    pub router: Router,
    pub deps: Deps,
    pub store: Arc<DynamoDeploymentStore>,
}

/// Limits tests rarely reach: a burst of 8 per user refilled slowly (one token in 20 s, so a
/// test can run into it without the clock interfering) and a generous installation limit.
pub fn test_limits() -> Limits {
    Limits {
        per_user: RateLimit::parse("8:0.05").unwrap(),
        per_installation: RateLimit::parse("1000:100").unwrap(),
    }
}

pub fn vite_repo(name: &str) -> FakeRepo {
    FakeRepo::new(
        name,
        &[
            (
                "package.json",
                r#"{"name":"site","private":true,"scripts":{"dev":"vite","build":"vite build"},"devDependencies":{"vite":"^5.4.0"}}"#,
            ),
            ("package-lock.json", r#"{"lockfileVersion":3}"#),
            ("vite.config.js", "export default {}\n"),
            ("index.html", "<!doctype html><div id=app></div>\n"),
            ("src/main.js", "console.log('hi')\n"),
        ],
    )
}

/// A GitHub client authenticating as the test App with the private key `pem`, exactly as the
/// worker's production wiring builds it.
pub fn github_client(url: &str, pem: &str) -> GitHubClient {
    let credentials =
        AppCredentials::from_pem(TEST_APP_ID, &SecretString::from(pem.to_owned()), "test key")
            .unwrap();
    GitHubClient::new(url, Credentials::App(credentials)).unwrap()
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(StackOptions::default(), false).await
    }

    /// With `broken_queue`, the API sends jobs to a queue that does not exist (an outage).
    pub async fn spawn_with(options: StackOptions, broken_queue: bool) -> Self {
        Self::spawn_full(options, broken_queue, FakeCodeBuildOptions::default(), true).await
    }

    /// With no installation row seeded for `USER`: every installation and link the test uses
    /// must come from signed webhooks and the OAuth exchange, as on a real account.
    pub async fn spawn_unseeded() -> Self {
        Self::spawn_full(StackOptions::default(), false, FakeCodeBuildOptions::default(), false)
            .await
    }

    /// With a fake CodeBuild behaving as `codebuild_options` say (event faults, timing).
    pub async fn spawn_with_codebuild(codebuild_options: FakeCodeBuildOptions) -> Self {
        Self::spawn_full(StackOptions::default(), false, codebuild_options, true).await
    }

    async fn spawn_full(
        options: StackOptions,
        broken_queue: bool,
        codebuild_options: FakeCodeBuildOptions,
        seed: bool,
    ) -> Self {
        let emulator = Emulator::connect().await.expect("emulator");
        let stack = emulator.create_stack(options).await.expect("stack");
        let github = Arc::new(FakeGitHub::start().await.expect("fake github"));
        let codebuild_options =
            FakeCodeBuildOptions { ssm: Some(emulator.ssm.clone()), ..codebuild_options };
        let codebuild = FakeCodeBuild::start_on(([127, 0, 0, 1], 0).into(), codebuild_options)
            .await
            .expect("fake codebuild");
        // A build's clone succeeds only when its resolved token can read the repository at
        // the commit in the fake GitHub, as `git fetch` with that token would.
        let clones = github.clone();
        codebuild.set_clone_check(Arc::new(move |vars| {
            let get = |name: &str| vars.get(name).map_or("", String::as_str);
            clones.can_clone(
                get("WHALERAY_GIT_TOKEN"),
                get("WHALERAY_REPOSITORY"),
                get("WHALERAY_COMMIT_SHA"),
            )
        }));
        codebuild
            .create_project(&stack.codebuild_project, whaleray_worker::codebuild::BUILDSPEC)
            .await
            .expect("codebuild project");
        let codebuild_client = codebuild.client().await;
        if seed {
            emulator.seed_installation(&stack, USER, INSTALLATION_ID, "acme").await.expect("seed");
        }

        let store =
            Arc::new(DynamoDeploymentStore::new(emulator.dynamo.clone(), &stack.deployments_table));
        let queue_url = if broken_queue {
            format!("{}-missing", stack.queue_url)
        } else {
            stack.queue_url.clone()
        };
        let state = AppState {
            store: store.clone(),
            installations: Arc::new(DynamoInstallations::new(
                emulator.dynamo.clone(),
                &stack.installations_table,
            )),
            app_installations: Arc::new(DynamoAppInstallations::new(
                emulator.dynamo.clone(),
                &stack.app_installations_table,
            )),
            deliveries: Arc::new(DynamoDeliveryLog::new(
                emulator.dynamo.clone(),
                &stack.deliveries_table,
            )),
            projects: Arc::new(whaleray_shared::dynamo::DynamoProjects::new(
                emulator.dynamo.clone(),
                &stack.projects_table,
            )),
            webhook_secret: SecretString::from(WEBHOOK_SECRET),
            github_users: Some(Arc::new(
                GitHubUsers::new(
                    &github.url,
                    &github.url,
                    OAuthClient {
                        client_id: TEST_CLIENT_ID.to_owned(),
                        client_secret: SecretString::from(TEST_CLIENT_SECRET),
                    },
                )
                .unwrap(),
            )),
            queue: Arc::new(SqsJobQueue::new(emulator.sqs.clone(), queue_url)),
            builds: Arc::new(CodeBuildStopper::new(codebuild_client.clone())),
            idempotency: Arc::new(DynamoIdempotency::new(
                emulator.dynamo.clone(),
                &stack.api_state_table,
            )),
            rate_limits: Arc::new(DynamoRateLimits::new(
                emulator.dynamo.clone(),
                &stack.api_state_table,
            )),
            limits: test_limits(),
            auth: Authenticator::dev(&SecretString::from(SECRET)),
            allowed_origins: vec![
                FRONTEND.parse().unwrap(),
                "http://localhost:5173".parse().unwrap(),
            ],
        };
        let reader = Arc::new(github_client(&github.url, TEST_PRIVATE_KEY_PEM));
        let credentials = SsmBuildCredentials::new(
            emulator.ssm.clone(),
            reader.clone(),
            ParameterPrefix::parse(&stack.token_prefix).expect("token prefix"),
        );
        let deps = Deps {
            store: store.clone(),
            github: reader,
            builds: Arc::new(CodeBuildLauncher::new(
                codebuild_client.clone(),
                &stack.codebuild_project,
            )),
            tracker: Arc::new(whaleray_worker::codebuild::CodeBuildTracker::new(
                codebuild_client.clone(),
            )),
            credentials: Arc::new(credentials),
            support: whaleray_detect::SupportPolicy::default_policy(),
            max_receive_count: options.max_receive_count,
            budgets: whaleray_worker::budget::Budgets::default(),
        };
        Self {
            emulator,
            stack,
            github,
            codebuild,
            codebuild_client,
            router: router(Arc::new(state)),
            deps,
            store,
        }
    }

    pub fn token(&self, user: &str) -> String {
        mint_dev_token(&SecretString::from(SECRET), user, 600).unwrap()
    }

    pub async fn send(&self, request: Request<Body>) -> (StatusCode, HeaderMap, Value) {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::Null)
        };
        (status, headers, body)
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        user: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut builder = Request::builder().method(method).uri(path);
        if let Some(user) = user {
            builder = builder.header("authorization", format!("Bearer {}", self.token(user)));
        }
        let request = match body {
            Some(body) => builder
                .header("content-type", "application/json")
                .body(Body::from(body.to_string())),
            None => builder.body(Body::empty()),
        };
        let (status, _, body) = self.send(request.unwrap()).await;
        (status, body)
    }

    /// POSTs a deployment as `USER` and returns its id, asserting the 202 answer.
    pub async fn deploy(&self, repository: &str, branch: Option<&str>) -> String {
        let mut body = serde_json::json!({ "repository": repository });
        if let Some(branch) = branch {
            body["branch"] = Value::String(branch.to_owned());
        }
        let (status, body) = self.call(Method::POST, "/deployments", Some(USER), Some(body)).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        assert_eq!(body["status"], "INSPECTING");
        body["deploymentId"].as_str().expect("deploymentId").to_owned()
    }

    pub async fn deployment(&self, id: &str) -> Value {
        let (status, body) =
            self.call(Method::GET, &format!("/deployments/{id}"), Some(USER), None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    pub fn poller(&self) -> Poller {
        let queue = Arc::new(whaleray_worker::queue::SqsConsumer::new(
            self.emulator.sqs.clone(),
            &self.stack.queue_url,
        ));
        let mut poller = Poller::new(queue, self.deps.clone(), 4);
        poller.base_backoff = Duration::from_secs(1);
        // Short receives: a stop waits for the receive under way.
        poller.long_poll = Duration::from_secs(1);
        poller
    }

    /// Starts a poller in the background; stop it with [`RunningWorker::stop`].
    pub fn start_worker(&self) -> RunningWorker {
        self.start_poller(self.poller())
    }

    /// Starts `poller` in the background.
    pub fn start_poller(&self, poller: Poller) -> RunningWorker {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            poller
                .run(async {
                    let _ = stopped.await;
                })
                .await
        });
        RunningWorker { stop, task }
    }

    /// Deploys `repo` and waits (60 s at most), with a worker already running, until the
    /// deployment leaves INSPECTING.
    pub async fn deploy_and_wait(&self, repo: &str) -> Value {
        let id = self.deploy(repo, None).await;
        eventually(|| async { self.deployment(&id).await["status"] != "INSPECTING" }).await;
        self.deployment(&id).await
    }

    /// Runs a poller until the deployment leaves INSPECTING (or 60 s pass), then stops it.
    pub async fn run_worker_until_settled(&self, id: &str) -> (Value, PollStats) {
        let worker = self.start_worker();
        eventually(|| async { self.deployment(id).await["status"] != "INSPECTING" }).await;
        let stats = worker.stop().await;
        (self.deployment(id).await, stats)
    }

    /// Runs a poller until the job queue is empty (or 60 s pass), then stops it.
    pub async fn drain_queue(&self) -> PollStats {
        let worker = self.start_worker();
        eventually(|| async { self.depth(&self.stack.queue_url).await == (0, 0) }).await;
        worker.stop().await
    }

    /// Visible and in-flight messages of a queue.
    pub async fn depth(&self, queue_url: &str) -> (u64, u64) {
        self.emulator.queue_depth(queue_url).await.unwrap()
    }

    /// Receives the one job message waiting in the job queue (as a worker would).
    pub async fn receive_job(&self) -> aws_sdk_sqs::types::Message {
        let received = self
            .emulator
            .sqs
            .receive_message()
            .queue_url(&self.stack.queue_url)
            .send()
            .await
            .unwrap();
        let mut messages = received.messages.unwrap_or_default();
        assert_eq!(messages.len(), 1, "one job message expected");
        messages.remove(0)
    }

    /// Delivers the fake CodeBuild's state-change events to the worker's handler, as
    /// `whaleray-worker poll` does with `BUILD_EVENTS_URL`, until the returned task is aborted.
    pub fn start_event_feed(&self) -> tokio::task::JoinHandle<()> {
        let url = format!("{}{EVENT_FEED_PATH}", self.codebuild.url);
        let (store, credentials) = (self.deps.store.clone(), self.deps.credentials.clone());
        tokio::spawn(async move {
            whaleray_worker::event_feed::run(&url, store.as_ref(), credentials.as_ref()).await
        })
    }

    /// Every build id CodeBuild knows for this stack's project, oldest first.
    pub async fn builds(&self) -> Vec<String> {
        self.codebuild.build_ids(&self.stack.codebuild_project)
    }
}

/// A poller running in the background.
pub struct RunningWorker {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<PollStats>,
}

impl RunningWorker {
    /// Kills the poller at once, as SIGKILL would: its jobs stop mid-way, nothing is deleted.
    pub async fn kill(self) {
        self.task.abort();
        let _ = self.task.await;
    }

    /// Stops the poller once its receive under way and its jobs end.
    pub async fn stop(self) -> PollStats {
        let _ = self.stop.send(());
        self.task.await.unwrap()
    }
}

/// Polls `check` every 100 ms until it holds or 60 s pass; the caller asserts afterwards.
pub async fn eventually<F, Fut>(mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(60);
    while !check().await && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
