//! `whaleray-bench`: the latency of the click. Creates deployments through the API over HTTP
//! on the local stack (emulator, pollers, fake GitHub answering after a configurable delay)
//! and measures each one from the start of its `POST /deployments` to the moment it was
//! written BUILDING (the record's `updatedAt`, same clock). Prints p50/p95/p99 beside the
//! critical-path lower bound: the GitHub round trips and AWS calls that must happen one after
//! another. Run it with `scripts/bench`.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::Parser;
use futures::StreamExt;
use secrecy::SecretString;
use serde_json::{Value, json};
use whaleray_api::auth::{Authenticator, mint_dev_token};
use whaleray_api::guards::rate_limit::Limits;
use whaleray_api::{AppState, router};
use whaleray_shared::dynamo::{
    DynamoAppInstallations, DynamoDeliveryLog, DynamoDeploymentStore, DynamoIdempotency,
    DynamoInstallations, DynamoRateLimits,
};
use whaleray_shared::ports::DeploymentStore;
use whaleray_shared::rate_limit::RateLimit;
use whaleray_shared::sqs::SqsJobQueue;
use whaleray_shared::{DeploymentId, DeploymentStatus};
use whaleray_tests::emulator::{Emulator, StackOptions};
use whaleray_tests::github::keys::{TEST_APP_ID, TEST_PRIVATE_KEY_PEM};
use whaleray_tests::github::{FakeGitHub, FakeRepo};
use whaleray_worker::Deps;
use whaleray_worker::codebuild::CodeBuildLauncher;
use whaleray_worker::credentials::{ParameterPrefix, SsmBuildCredentials};
use whaleray_worker::github::{AppCredentials, Credentials, GitHubClient};
use whaleray_worker::poll::Poller;

/// Latency from `POST /deployments` to BUILDING on the local stack.
#[derive(Parser)]
#[command(name = "whaleray-bench", about)]
struct Args {
    /// Deployments to measure (after one warm-up).
    #[arg(long, default_value_t = 200)]
    deployments: usize,
    /// Delay the fake GitHub adds before every answer, in milliseconds.
    #[arg(long, default_value_t = 40)]
    github_latency_ms: u64,
    /// Deployments in flight at once (a closed loop: the next starts when one is BUILDING).
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// Jobs at once in the poller.
    #[arg(long, default_value_t = 8)]
    worker_concurrency: usize,
}

const USER: &str = "bench-user";
const SECRET: &str = "bench-secret-long-enough-for-hs256";
const WEBHOOK_SECRET: &str = "bench-webhook-secret";

/// AWS calls one after another on the path, as the code makes them: API: installations Query,
/// the installation's record GetItem (what GitHub last reported), the user's and the
/// installation's rate-limit buckets (GetItem + PutItem each), deployment PutItem, SQS
/// SendMessage; worker: SQS ReceiveMessage, GetItem, build-claim UpdateItem, SSM PutParameter
/// (the build's clone token), CodeBuild StartBuild, UpdateItem to BUILDING. (The clone token's
/// mint is a GitHub round, counted from the fake's request times.)
const AWS_CALLS_ON_PATH: u32 = 14;

fn main() -> ExitCode {
    let args = Args::parse();
    let Ok(runtime) = tokio::runtime::Runtime::new() else {
        eprintln!("whaleray-bench: could not start the async runtime");
        return ExitCode::FAILURE;
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("whaleray-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

struct Sample {
    post: Duration,
    to_building: Duration,
}

struct Bench {
    client: reqwest::Client,
    api: String,
    token: String,
    store: Arc<DynamoDeploymentStore>,
}

impl Bench {
    /// One deployment: POST, then read the record until it is BUILDING.
    async fn one(&self, repository: &str) -> anyhow::Result<Sample> {
        let wall = Utc::now();
        let started = Instant::now();
        let response: Value = self
            .client
            .post(format!("{}/deployments", self.api))
            .bearer_auth(&self.token)
            .json(&json!({ "repository": repository }))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let post = started.elapsed();
        let id = DeploymentId::parse(response["deploymentId"].as_str().unwrap_or_default())?;
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let deployment = self.store.get(id).await?.context("a posted deployment is missing")?;
            match deployment.status {
                DeploymentStatus::Building => {
                    let written: DateTime<Utc> = deployment.updated_at;
                    let to_building = (written - wall).to_std().unwrap_or_default();
                    return Ok(Sample { post, to_building });
                }
                DeploymentStatus::Inspecting if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(25)).await;
                }
                other => anyhow::bail!("deployment {id} ended {other}, not BUILDING"),
            }
        }
    }
}

/// The `q` quantile (nearest rank) of sorted durations, in milliseconds.
fn quantile(sorted: &[Duration], q: f64) -> f64 {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1].as_secs_f64() * 1000.0
}

/// GitHub round trips one after another: answers at least `latency` apart belong to
/// successive rounds (answers of one parallel round arrive together).
fn sequential_rounds(mut answers: Vec<Instant>, latency: Duration) -> u32 {
    answers.sort();
    let mut rounds = 0;
    let mut round_start: Option<Instant> = None;
    for at in answers {
        if round_start.is_none_or(|start| at.duration_since(start) >= latency / 2) {
            rounds += 1;
            round_start = Some(at);
        }
    }
    rounds
}

/// The emulator's median round trip for one small DynamoDB read.
async fn aws_round_trip(emulator: &Emulator, table: &str) -> anyhow::Result<Duration> {
    let mut times = Vec::new();
    for _ in 0..30 {
        let started = Instant::now();
        emulator
            .dynamo
            .get_item()
            .table_name(table)
            .key("deploymentId", aws_sdk_dynamodb::types::AttributeValue::S("absent".into()))
            .consistent_read(true)
            .send()
            .await?;
        times.push(started.elapsed());
    }
    times.sort();
    Ok(times[times.len() / 2])
}

fn vite_repo(name: &str) -> FakeRepo {
    FakeRepo::new(
        name,
        &[
            (
                "package.json",
                r#"{"scripts":{"build":"vite build"},"devDependencies":{"vite":"5.4.0"}}"#,
            ),
            ("package-lock.json", r#"{"lockfileVersion":3}"#),
            ("vite.config.js", ""),
        ],
    )
}

#[allow(clippy::print_stdout)]
async fn run(args: Args) -> anyhow::Result<()> {
    whaleray_shared::telemetry::init(whaleray_shared::telemetry::LogFormat::Text);
    let latency = Duration::from_millis(args.github_latency_ms);
    let emulator = Emulator::connect().await?;
    let stack = emulator.create_stack(StackOptions::default()).await?;
    let github = FakeGitHub::start().await?;
    github.set_latency(latency);
    emulator.seed_installation(&stack, USER, 88, "bench").await?;
    for i in 0..=args.deployments {
        github.add_repo(vite_repo(&format!("bench/app-{i}")));
    }

    let store =
        Arc::new(DynamoDeploymentStore::new(emulator.dynamo.clone(), &stack.deployments_table));
    let unlimited = RateLimit::parse("1000000:1000000").map_err(anyhow::Error::msg)?;
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
        github_users: None,
        queue: Arc::new(SqsJobQueue::new(emulator.sqs.clone(), &stack.queue_url)),
        builds: Arc::new(whaleray_api::builds::CodeBuildStopper::new(emulator.codebuild.clone())),
        idempotency: Arc::new(DynamoIdempotency::new(
            emulator.dynamo.clone(),
            &stack.api_state_table,
        )),
        rate_limits: Arc::new(DynamoRateLimits::new(
            emulator.dynamo.clone(),
            &stack.api_state_table,
        )),
        // The buckets are read and written as in production; only their size is the bench's.
        limits: Limits { per_user: unlimited, per_installation: unlimited },
        auth: Authenticator::dev(&SecretString::from(SECRET)),
        allowed_origins: Vec::new(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let api = format!("http://{}", listener.local_addr()?);
    let server = tokio::spawn(axum::serve(listener, router(Arc::new(state))).into_future());

    let credentials = AppCredentials::from_pem(
        TEST_APP_ID,
        &SecretString::from(TEST_PRIVATE_KEY_PEM),
        "test key",
    )?;
    let reader = Arc::new(GitHubClient::new(&github.url, Credentials::App(credentials))?);
    // Each build gets its own clone token, stored in SSM: on the path like every other call.
    let tokens = SsmBuildCredentials::new(
        emulator.ssm.clone(),
        reader.clone(),
        ParameterPrefix::parse(&stack.token_prefix).map_err(anyhow::Error::msg)?,
    );
    let deps = Deps {
        store: store.clone(),
        github: reader,
        builds: Arc::new(CodeBuildLauncher::new(
            emulator.codebuild.clone(),
            &stack.codebuild_project,
        )),
        tracker: Arc::new(whaleray_worker::codebuild::CodeBuildTracker::new(
            emulator.codebuild.clone(),
        )),
        credentials: Arc::new(tokens),
        support: whaleray_detect::SupportPolicy::default_policy(),
        max_receive_count: 5,
        budgets: whaleray_worker::budget::Budgets::default(),
    };
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let queue =
        Arc::new(whaleray_worker::queue::SqsConsumer::new(emulator.sqs.clone(), &stack.queue_url));
    let mut poller = Poller::new(queue, deps, args.worker_concurrency);
    poller.long_poll = Duration::from_secs(20);
    let worker = tokio::spawn(async move {
        let mut stopped = stopped;
        poller
            .run(async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            })
            .await
    });

    let bench = Bench {
        client: reqwest::Client::new(),
        api,
        token: mint_dev_token(&SecretString::from(SECRET), USER, 3600)?,
        store,
    };
    // One warm-up deployment, alone, also counts the GitHub round trips on the path.
    github.reset_counts();
    let warm_up = bench.one("bench/app-0").await?;
    let mut answers = Vec::new();
    for endpoint in ["access_tokens", "repo", "commit", "tree", "blob"] {
        answers.extend(github.request_times(endpoint));
    }
    let github_calls = answers.len();
    let rounds = sequential_rounds(answers, latency);

    let started = Instant::now();
    let samples = futures::stream::iter(1..=args.deployments)
        .map(|i| {
            let bench = &bench;
            async move { bench.one(&format!("bench/app-{i}")).await }
        })
        .buffer_unordered(args.concurrency)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    let wall = started.elapsed();
    let _ = stop.send(true);
    let _ = worker.await;
    server.abort();

    let aws = aws_round_trip(&emulator, &stack.deployments_table).await?;
    let bound = latency * rounds + aws * AWS_CALLS_ON_PATH;
    let mut to_building: Vec<_> = samples.iter().map(|s| s.to_building).collect();
    let mut posts: Vec<_> = samples.iter().map(|s| s.post).collect();
    to_building.sort();
    posts.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "whaleray-bench: {} deployments, {} at once, GitHub latency {} ms",
        samples.len(),
        args.concurrency,
        args.github_latency_ms
    );
    println!("  warm-up (alone):        {:8.1} ms", ms(warm_up.to_building));
    println!(
        "  POST -> BUILDING (ms):  p50 {:8.1}  p95 {:8.1}  p99 {:8.1}  max {:8.1}",
        quantile(&to_building, 0.50),
        quantile(&to_building, 0.95),
        quantile(&to_building, 0.99),
        quantile(&to_building, 1.0)
    );
    println!(
        "  POST answer (ms):       p50 {:8.1}  p95 {:8.1}  p99 {:8.1}",
        quantile(&posts, 0.50),
        quantile(&posts, 0.95),
        quantile(&posts, 0.99)
    );
    println!(
        "  critical-path bound:    {:8.1} ms = {rounds} GitHub rounds ({github_calls} calls) x {} ms + {AWS_CALLS_ON_PATH} AWS calls x {:.1} ms (emulator median GetItem)",
        ms(bound),
        args.github_latency_ms,
        ms(aws)
    );
    println!("  p50 / bound:            {:8.2}", quantile(&to_building, 0.50) / ms(bound));
    println!(
        "  throughput:             {:8.1} deployments/s over {:.1} s",
        samples.len() as f64 / wall.as_secs_f64(),
        wall.as_secs_f64()
    );
    Ok(())
}
