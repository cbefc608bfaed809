//! `whaleray-soak`: pushes many deployments through the local stack (API over HTTP, SQS,
//! pollers, DynamoDB in the emulator, the fake GitHub, the fake CodeBuild) with injected transient and
//! permanent GitHub failures and duplicate deliveries, then counts where every deployment
//! ended. Builds run to their end on the fake CodeBuild (every tenth fails in BUILD), whose
//! state-change events reach the worker's handler with some dropped, repeated and reordered;
//! a final sweep reconciles the builds whose events were lost. It fails unless no deployment
//! is lost, every deployment that reached BUILDING has exactly one CodeBuild build, and none
//! is left BUILDING. Needs the emulator: run it with `scripts/soak`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::process::ExitCode;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::Context;
use async_trait::async_trait;
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
use whaleray_shared::job::InspectionJob;
use whaleray_shared::ports::{DeploymentStore, JobQueue};
use whaleray_shared::rate_limit::RateLimit;
use whaleray_shared::sqs::SqsJobQueue;
use whaleray_shared::{CommitSha, DeploymentId, GitRef, InstallationId, RepoFullName};
use whaleray_tests::codebuild::{
    EVENT_FEED_PATH, EventFaults, FakeCodeBuild, FakeCodeBuildOptions, Verdict,
};
use whaleray_tests::emulator::{Emulator, StackOptions};
use whaleray_tests::github::keys::{TEST_APP_ID, TEST_PRIVATE_KEY_PEM};
use whaleray_tests::github::{FakeGitHub, FakeRepo};
use whaleray_worker::Deps;
use whaleray_worker::codebuild::CodeBuildLauncher;
use whaleray_worker::credentials::{ParameterPrefix, SsmBuildCredentials};
use whaleray_worker::github::{
    AppCredentials, Credentials, GitHubClient, GitHubError, RepoReader, TreeEntry,
};
use whaleray_worker::poll::Poller;
use whaleray_worker::sweep::{Builds, SweepOptions, sweep};

/// Soak run of the whole pipeline against the local emulator.
#[derive(Parser)]
#[command(name = "whaleray-soak", about)]
struct Args {
    /// Deployments to push through.
    #[arg(long, default_value_t = 1000)]
    deployments: usize,
    /// Percentage whose GitHub reads fail transiently (one or two 502s) before succeeding.
    #[arg(long, default_value_t = 10)]
    transient_percent: u64,
    /// Percentage whose GitHub reads keep failing (502) past the last attempt: these end FAILED
    /// with their message in the dead-letter queue.
    #[arg(long, default_value_t = 1)]
    stubborn_percent: u64,
    /// Percentage whose repository does not exist (a permanent 404).
    #[arg(long, default_value_t = 5)]
    permanent_percent: u64,
    /// Percentage whose job is delivered twice.
    #[arg(long, default_value_t = 10)]
    duplicate_percent: u64,
    /// Pollers running side by side.
    #[arg(long, default_value_t = 2)]
    workers: usize,
    /// Jobs at once per poller.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Every n-th repository's build fails in its BUILD phase.
    #[arg(long, default_value_t = 10)]
    build_fail_every: usize,
    /// Give up waiting for the pipeline to settle after this many seconds.
    #[arg(long, default_value_t = 900)]
    timeout_seconds: u64,
}

const USER: &str = "soak-user";
const SECRET: &str = "soak-secret-long-enough-for-hs256";
const WEBHOOK_SECRET: &str = "soak-webhook-secret";

/// Which fate a deployment was dealt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Fate {
    Normal,
    Transient,
    Stubborn,
    Permanent,
}

/// GitHub with transient failures injected per repository at the port: the first `n` tree
/// reads of a flaky repository answer 502.
struct Flaky {
    inner: Arc<GitHubClient>,
    failures_left: Mutex<HashMap<String, u32>>,
}

#[async_trait]
impl RepoReader for Flaky {
    async fn resolve_commit(
        &self,
        installation: InstallationId,
        repo: &RepoFullName,
        branch: Option<&GitRef>,
    ) -> Result<CommitSha, GitHubError> {
        self.inner.resolve_commit(installation, repo, branch).await
    }

    async fn tree(
        &self,
        installation: InstallationId,
        repo: &RepoFullName,
        commit: &CommitSha,
    ) -> Result<Vec<TreeEntry>, GitHubError> {
        let fail = {
            let mut left = self.failures_left.lock().unwrap_or_else(PoisonError::into_inner);
            match left.get_mut(repo.as_ref()) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    true
                }
                _ => false,
            }
        };
        if fail {
            return Err(GitHubError::Server { status: 502, wait: None });
        }
        self.inner.tree(installation, repo, commit).await
    }

    async fn blob(
        &self,
        installation: InstallationId,
        repo: &RepoFullName,
        sha: &str,
    ) -> Result<Vec<u8>, GitHubError> {
        self.inner.blob(installation, repo, sha).await
    }
}

/// A small deterministic generator, so a run can be repeated.
struct Dice(u64);

impl Dice {
    fn percent(&mut self) -> u64 {
        self.0 =
            self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % 100
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("whaleray-soak: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("whaleray-soak: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[allow(clippy::print_stdout)]
async fn run(args: Args) -> anyhow::Result<bool> {
    whaleray_shared::telemetry::init(whaleray_shared::telemetry::LogFormat::Text);
    let started = Instant::now();
    let emulator = Emulator::connect().await?;
    let stack = emulator
        .create_stack(StackOptions { visibility_timeout: 30, max_receive_count: 5 })
        .await?;
    let github = FakeGitHub::start().await?;
    // CodeBuild as its API reference documents it (token window, sortOrder limit, unordered
    // BatchGetBuilds, builds that take time), not the emulator's stub.
    // Its state-change events are dropped, repeated and reordered, as EventBridge may.
    let options = FakeCodeBuildOptions {
        ssm: Some(emulator.ssm.clone()),
        event_faults: EventFaults {
            drop_every: Some(5),
            duplicate_every: Some(4),
            reorder_every: Some(3),
        },
        ..Default::default()
    };
    let codebuild = FakeCodeBuild::start_on(([127, 0, 0, 1], 0).into(), options).await?;
    codebuild.set_verdict(
        "soak/breaks-",
        Verdict::Fail { phase: "BUILD", message: "npm run build: exit status 1".into() },
    );
    codebuild
        .create_project(&stack.codebuild_project, whaleray_worker::codebuild::BUILDSPEC)
        .await?;
    let codebuild_client = codebuild.client().await;
    emulator.seed_installation(&stack, USER, 77, "soak").await?;

    // Deal the fates and set up the repositories.
    let mut dice = Dice(42);
    let mut fates = Vec::with_capacity(args.deployments);
    let mut failures = HashMap::new();
    let mut duplicates = Vec::new();
    for i in 0..args.deployments {
        let fails =
            args.build_fail_every > 0 && i % args.build_fail_every == 7 % args.build_fail_every;
        let name = if fails { format!("soak/breaks-{i}") } else { format!("soak/app-{i}") };
        let roll = dice.percent();
        let fate = if roll < args.permanent_percent {
            Fate::Permanent
        } else if roll < args.permanent_percent + args.transient_percent {
            failures.insert(name.clone(), 1 + u32::from(dice.percent() < 50));
            Fate::Transient
        } else if roll < args.permanent_percent + args.transient_percent + args.stubborn_percent {
            failures.insert(name.clone(), u32::MAX);
            Fate::Stubborn
        } else {
            Fate::Normal
        };
        if fate != Fate::Permanent {
            github.add_repo(FakeRepo::new(
                &name,
                &[
                    (
                        "package.json",
                        r#"{"scripts":{"build":"vite build"},"devDependencies":{"vite":"5.4.0"}}"#,
                    ),
                    ("package-lock.json", r#"{"lockfileVersion":3}"#),
                    ("vite.config.js", ""),
                ],
            ));
        }
        duplicates.push(dice.percent() < args.duplicate_percent);
        fates.push((name, fate));
    }

    let store =
        Arc::new(DynamoDeploymentStore::new(emulator.dynamo.clone(), &stack.deployments_table));
    let queue = Arc::new(SqsJobQueue::new(emulator.sqs.clone(), &stack.queue_url));
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
        queue: queue.clone(),
        builds: Arc::new(whaleray_api::builds::CodeBuildStopper::new(codebuild_client.clone())),
        idempotency: Arc::new(DynamoIdempotency::new(
            emulator.dynamo.clone(),
            &stack.api_state_table,
        )),
        rate_limits: Arc::new(DynamoRateLimits::new(
            emulator.dynamo.clone(),
            &stack.api_state_table,
        )),
        // The soak pushes thousands of creates as one user: its limit is the load itself.
        limits: Limits {
            per_user: RateLimit::parse("1000000:1000000").map_err(anyhow::Error::msg)?,
            per_installation: RateLimit::parse("1000000:1000000").map_err(anyhow::Error::msg)?,
        },
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
    let tokens = SsmBuildCredentials::new(
        emulator.ssm.clone(),
        reader.clone(),
        ParameterPrefix::parse(&stack.token_prefix).map_err(anyhow::Error::msg)?,
    );
    let flaky = Flaky { inner: reader, failures_left: Mutex::new(failures) };
    let deps = Deps {
        store: store.clone(),
        github: Arc::new(flaky),
        builds: Arc::new(CodeBuildLauncher::new(
            codebuild_client.clone(),
            &stack.codebuild_project,
        )),
        tracker: Arc::new(whaleray_worker::codebuild::CodeBuildTracker::new(
            codebuild_client.clone(),
        )),
        credentials: Arc::new(tokens),
        support: whaleray_detect::SupportPolicy::default_policy(),
        max_receive_count: 5,
        budgets: whaleray_worker::budget::Budgets::default(),
    };

    // The EventBridge rule's part: state-change events to the worker's handler.
    let feed = {
        let (url, store) = (format!("{}{EVENT_FEED_PATH}", codebuild.url), store.clone());
        let credentials = deps.credentials.clone();
        tokio::spawn(async move {
            whaleray_worker::event_feed::run(&url, store.as_ref(), credentials.as_ref()).await
        })
    };

    // Workers first, so the queue stays shallow while deployments arrive.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut workers = Vec::new();
    for _ in 0..args.workers {
        let queue = Arc::new(whaleray_worker::queue::SqsConsumer::new(
            emulator.sqs.clone(),
            &stack.queue_url,
        ));
        let mut poller = Poller::new(queue, deps.clone(), args.concurrency);
        poller.base_backoff = Duration::from_secs(1);
        poller.long_poll = Duration::from_secs(2);
        let mut stopped = stopped.clone();
        workers.push(tokio::spawn(async move {
            poller
                .run(async move {
                    let _ = stopped.wait_for(|stop| *stop).await;
                })
                .await
        }));
    }

    let client = reqwest::Client::new();
    let token = mint_dev_token(&SecretString::from(SECRET), USER, 3600)?;
    let refused = std::sync::atomic::AtomicUsize::new(0);
    let posted = futures::stream::iter(fates.iter().zip(&duplicates))
        .map(|((name, _), duplicate)| {
            let (client, api, token, store, queue) = (&client, &api, &token, &store, &queue);
            let refused = &refused;
            async move {
                let post = || {
                    client
                        .post(format!("{api}/deployments"))
                        .bearer_auth(token)
                        .json(&json!({ "repository": name }))
                        .send()
                };
                let mut answer = post().await?;
                // Eight creates at once as one user contend for one rate-limit bucket item,
                // and the API refuses a contended take with 429 and `Retry-After` (nothing was
                // created), which a client honours: at most ten times per create.
                for _ in 0..10 {
                    if answer.status() != reqwest::StatusCode::TOO_MANY_REQUESTS {
                        break;
                    }
                    refused.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let wait = answer
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok()?.parse().ok())
                        .unwrap_or(1);
                    tokio::time::sleep(Duration::from_secs(wait)).await;
                    answer = post().await?;
                }
                let response: Value = answer.error_for_status()?.json().await?;
                let id =
                    DeploymentId::parse(response["deploymentId"].as_str().unwrap_or_default())?;
                if *duplicate {
                    // The same job delivered a second time, racing the first.
                    let deployment =
                        store.get(id).await?.context("a posted deployment is missing")?;
                    queue.send(&InspectionJob::for_deployment(&deployment)).await?;
                }
                anyhow::Ok(id)
            }
        })
        .buffered(8)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    let post_time = started.elapsed();
    let refused = refused.into_inner();

    let duplicates_sent = duplicates.iter().filter(|d| **d).count();

    // Wait until every deployment has left INSPECTING and the queue is empty.
    let deadline = Instant::now() + Duration::from_secs(args.timeout_seconds);
    let mut statuses;
    loop {
        statuses = Vec::with_capacity(posted.len());
        for id in &posted {
            statuses.push(store.get(*id).await?.context("a posted deployment is missing")?);
        }
        let inspecting = statuses.iter().filter(|d| d.status.as_str() == "INSPECTING").count();
        let depth = emulator.queue_depth(&stack.queue_url).await?;
        if (inspecting == 0 && depth == (0, 0)) || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    let settle_time = started.elapsed();
    let _ = stop.send(true);
    let mut poll_stats = Vec::new();
    for worker in workers {
        poll_stats.push(worker.await?);
    }
    server.abort();

    // Every build runs to its end; the events that were not lost are handled meanwhile.
    let started_builds = codebuild.build_ids(&stack.codebuild_project);
    while Instant::now() < deadline
        && started_builds.iter().any(|b| codebuild.status(b).is_none_or(|s| s == "IN_PROGRESS"))
    {
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    codebuild.flush_events();
    // Two reads of the feed: what is left of the events is delivered.
    tokio::time::sleep(whaleray_worker::event_feed::FEED_INTERVAL * 3).await;
    feed.abort();
    let ended_by_events = count_ended(store.as_ref(), &posted).await?;
    // The sweep's reconciliation, as the schedule runs it, with no age threshold.
    let sweep_options =
        SweepOptions { building_older_than: Duration::ZERO, ..SweepOptions::default() };
    let reconciliation =
        sweep(store.as_ref(), queue.as_ref(), Builds::of(&deps), sweep_options).await;
    let mut statuses = Vec::with_capacity(posted.len());
    for id in &posted {
        statuses.push(store.get(*id).await?.context("a posted deployment is missing")?);
    }

    // Count.
    let mut by_status: BTreeMap<String, usize> = BTreeMap::new();
    let mut by_fate: BTreeMap<(Fate, String), usize> = BTreeMap::new();
    for (deployment, (_, fate)) in statuses.iter().zip(&fates) {
        *by_status.entry(deployment.status.to_string()).or_default() += 1;
        *by_fate.entry((*fate, deployment.status.to_string())).or_default() += 1;
    }
    let builds = all_builds(&codebuild_client, &stack.codebuild_project).await?;
    let per_deployment = codebuild.builds_per_variable("WHALERAY_DEPLOYMENT_ID");
    let most_builds = per_deployment.values().copied().max().unwrap_or(0);
    // Every deployment that reached BUILDING keeps its build id, whatever its outcome.
    let building: Vec<_> = statuses.iter().filter(|d| d.build_id.is_some()).collect();
    let recorded: HashSet<_> = building.iter().filter_map(|d| d.build_id.clone()).collect();
    let left_building = statuses.iter().filter(|d| d.status.as_str() == "BUILDING").count();
    let dead_letters = emulator.queue_depth(&stack.dlq_url).await?;
    let gave_up = statuses
        .iter()
        .filter(|d| d.reason.as_deref().is_some_and(|r| r.starts_with("gave up")))
        .count();
    let lost = statuses.iter().filter(|d| d.status.as_str() == "INSPECTING").count();
    // Every build ended and every deployment settled: no clone token may be left in SSM.
    let tokens_left = stored_tokens(&emulator.ssm, &stack.token_prefix).await?;

    println!(
        "whaleray soak: {} deployments, {} workers x {} jobs",
        posted.len(),
        args.workers,
        args.concurrency
    );
    println!(
        "  injected: {}% transient, {}% unrecoverable, {}% permanent GitHub failures; {} duplicate deliveries",
        args.transient_percent, args.stubborn_percent, args.permanent_percent, duplicates_sent
    );
    println!(
        "  posted in {:.1} s ({refused} creates refused 429 and sent again), settled after {:.1} s",
        post_time.as_secs_f64(),
        settle_time.as_secs_f64()
    );
    for (status, count) in &by_status {
        println!("  {status:<14} {count}");
    }
    for ((fate, status), count) in &by_fate {
        println!("    {fate:?} -> {status}: {count}");
    }
    println!(
        "  FAILED after giving up (message in the dead-letter queue): {gave_up}; dead-letter depth {}",
        dead_letters.0 + dead_letters.1
    );
    println!(
        "  CodeBuild builds: {} for {} deployments that reached BUILDING ({} distinct recorded ids)",
        builds.len(),
        building.len(),
        recorded.len()
    );
    println!(
        "  builds per deployment that reached BUILDING: at most {most_builds} ({} deployments with a build)",
        per_deployment.len()
    );
    let retried: u64 = poll_stats.iter().map(|s| s.retried).sum();
    let done: u64 = poll_stats.iter().map(|s| s.done).sum();
    println!("  messages handled: {done} done, {retried} retried");
    println!("  lost (still INSPECTING): {lost}");
    println!(
        "  build events: {} dropped on purpose; outcomes recorded from events {ended_by_events}, by the sweep's reconciliation {} (errors {})",
        codebuild.dropped_events(),
        reconciliation.reconciled.len(),
        reconciliation.errors.len()
    );
    println!("  left BUILDING after reconciliation: {left_building}");
    println!("  clone tokens left in SSM: {tokens_left}");

    let one_build_each = most_builds <= 1
        && builds.len() == building.len()
        && recorded.len() == building.len()
        && recorded.iter().all(|id| builds.contains(id));
    let dead_letters_accounted = (dead_letters.0 + dead_letters.1) as usize == gave_up;
    let ok = lost == 0
        && one_build_each
        && dead_letters_accounted
        && left_building == 0
        && tokens_left == 0;
    println!("  verdict: {}", if ok { "PASS" } else { "FAIL" });
    Ok(ok)
}

/// How many parameters SSM holds under `prefix` (GetParametersByPath, every page).
async fn stored_tokens(ssm: &aws_sdk_ssm::Client, prefix: &str) -> anyhow::Result<usize> {
    let mut pages =
        ssm.get_parameters_by_path().path(prefix).recursive(true).into_paginator().send();
    let mut count = 0;
    while let Some(page) = pages.next().await {
        count += page.context("ssm:GetParametersByPath")?.parameters.unwrap_or_default().len();
    }
    Ok(count)
}

/// How many of `ids` have a recorded build outcome.
async fn count_ended(store: &dyn DeploymentStore, ids: &[DeploymentId]) -> anyhow::Result<usize> {
    let mut ended = 0;
    for id in ids {
        let deployment = store.get(*id).await?.context("a posted deployment is missing")?;
        ended += usize::from(deployment.outcome.is_some());
    }
    Ok(ended)
}

/// Every build id of the project.
async fn all_builds(
    codebuild: &aws_sdk_codebuild::Client,
    project: &str,
) -> anyhow::Result<HashSet<String>> {
    let mut ids = HashSet::new();
    let mut next = None;
    loop {
        let page = codebuild
            .list_builds_for_project()
            .project_name(project)
            .set_next_token(next)
            .send()
            .await?;
        ids.extend(page.ids().iter().cloned());
        next = page.next_token().map(str::to_owned);
        if next.is_none() {
            return Ok(ids);
        }
    }
}
