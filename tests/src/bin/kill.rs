//! `whaleray-kill`: crash recovery of the polling worker, tried as an operator would. Runs the
//! real `whaleray-worker poll` binary against the emulator, the fake GitHub and the fake
//! CodeBuild, queues many deployments, kills the worker with SIGKILL several times while they
//! are processed (a replacement starts at once, as a supervisor would start one), and measures
//! how long the jobs the dead worker held took to settle. The queue keeps the Lambda-sized
//! visibility timeout (365 s): only the poller's own short lease brings them back sooner.
//!
//! It fails unless every deployment settles, every deployment that reached BUILDING has
//! exactly one CodeBuild build (and no other deployment has one), and the worst recovery is
//! within twice the poller's lease. Needs the emulator and a built worker: `scripts/soak --kill`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::process::{ExitCode, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use whaleray_shared::dynamo::DynamoDeploymentStore;
use whaleray_shared::job::InspectionJob;
use whaleray_shared::ports::{DeploymentStore, JobQueue};
use whaleray_shared::sqs::SqsJobQueue;
use whaleray_shared::{Deployment, DeploymentId, InstallationId, RepoFullName, UserId};
use whaleray_tests::codebuild::{FakeCodeBuild, FakeCodeBuildOptions};
use whaleray_tests::emulator::{Emulator, Stack, StackOptions};
use whaleray_tests::github::keys::{TEST_APP_ID, TEST_PRIVATE_KEY_PEM};
use whaleray_tests::github::{FakeGitHub, FakeRepo};

/// Crash recovery of the polling worker under SIGKILL.
#[derive(Parser)]
#[command(name = "whaleray-kill", about)]
struct Args {
    /// Deployments to push through.
    #[arg(long, default_value_t = 200)]
    deployments: usize,
    /// SIGKILLs of the worker while the deployments are processed.
    #[arg(long, default_value_t = 3)]
    kills: usize,
    /// Jobs at once in the worker (`WORKER_CONCURRENCY`).
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// The worker binary.
    #[arg(long, default_value = "target/debug/whaleray-worker")]
    worker_bin: PathBuf,
    /// Give up waiting for the deployments to settle after this many seconds.
    #[arg(long, default_value_t = 900)]
    timeout_seconds: u64,
    /// Also append every worker log line to this file.
    #[arg(long)]
    worker_log: Option<PathBuf>,
}

/// The poller's visibility lease (`worker/src/poll.rs`): a dead worker's jobs come back after it.
const LEASE: Duration = Duration::from_secs(30);
/// The job queue's own visibility timeout, as Terraform sizes it for the Lambda.
const QUEUE_VISIBILITY_SECONDS: u32 = 365;

/// Which jobs one worker process has started and not finished, from its JSON log lines, and
/// which deployments any worker finished (shared by every process of the run).
#[derive(Default)]
struct Jobs {
    open: HashSet<String>,
    finished: Arc<Mutex<HashSet<String>>>,
}

/// One worker process and what its log says it holds.
struct Worker {
    child: Child,
    jobs: Arc<Mutex<Jobs>>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("whaleray-kill: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("whaleray-kill: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The fakes and resources one run uses.
struct Setup {
    emulator: Emulator,
    stack: Stack,
    github: FakeGitHub,
    codebuild: FakeCodeBuild,
}

async fn set_up(deployments: usize) -> anyhow::Result<Setup> {
    let emulator = Emulator::connect().await?;
    let options =
        StackOptions { visibility_timeout: QUEUE_VISIBILITY_SECONDS, max_receive_count: 5 };
    let stack = emulator.create_stack(options).await?;
    let github = FakeGitHub::start().await?;
    let options = FakeCodeBuildOptions { ssm: Some(emulator.ssm.clone()), ..Default::default() };
    let codebuild = FakeCodeBuild::start_on(([127, 0, 0, 1], 0).into(), options).await?;
    codebuild
        .create_project(&stack.codebuild_project, whaleray_worker::codebuild::BUILDSPEC)
        .await?;
    for i in 0..deployments {
        github.add_repo(FakeRepo::new(
            &format!("kill/app-{i}"),
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
    Ok(Setup { emulator, stack, github, codebuild })
}

/// Starts `whaleray-worker poll` against the run's resources, reading its log.
fn spawn_worker(
    args: &Args,
    setup: &Setup,
    finished: &Arc<Mutex<HashSet<String>>>,
) -> anyhow::Result<Worker> {
    let mut child = Command::new(&args.worker_bin)
        .arg("poll")
        .env("DEPLOYMENTS_TABLE", &setup.stack.deployments_table)
        .env("JOB_QUEUE_URL", &setup.stack.queue_url)
        .env("DEAD_LETTER_QUEUE_URL", &setup.stack.dlq_url)
        .env("CODEBUILD_PROJECT", &setup.stack.codebuild_project)
        .env("AWS_ENDPOINT_URL_CODEBUILD", &setup.codebuild.url)
        .env("GITHUB_API_URL", &setup.github.url)
        .env("GITHUB_APP_ID", TEST_APP_ID.to_string())
        .env("GITHUB_PRIVATE_KEY", TEST_PRIVATE_KEY_PEM)
        .env("BUILD_TOKEN_PARAMETER_PREFIX", &setup.stack.token_prefix)
        .env("WORKER_CONCURRENCY", args.concurrency.to_string())
        .env("LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .env_remove("GITHUB_TOKEN")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {}", args.worker_bin.display()))?;
    let stderr = child.stderr.take().context("the worker's stderr")?;
    let jobs = Arc::new(Mutex::new(Jobs { open: HashSet::new(), finished: finished.clone() }));
    let seen = jobs.clone();
    let mut copy = match &args.worker_log {
        Some(path) => Some(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .with_context(|| format!("opening {}", path.display()))?,
        ),
        None => None,
    };
    tokio::spawn(async move {
        let mut lines = BufReader::new(stderr).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(file) = copy.as_mut() {
                use std::io::Write;
                let _ = writeln!(file, "{line}");
            }
            record(&seen, &line);
        }
    });
    Ok(Worker { child, jobs })
}

/// Updates `jobs` from one JSON log line: a job span's "job started" opens it; its end
/// ("job finished", a retry, a dead letter) closes it.
fn record(jobs: &Mutex<Jobs>, line: &str) {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(line) else {
        return;
    };
    let deployment = value["spans"]
        .as_array()
        .into_iter()
        .flatten()
        .find_map(|span| span["deployment_id"].as_str())
        .or_else(|| value["span"]["deployment_id"].as_str());
    let (Some(deployment), Some(message)) = (deployment, value["message"].as_str()) else {
        return;
    };
    let mut jobs = jobs.lock().unwrap_or_else(PoisonError::into_inner);
    match message {
        "job started" => {
            jobs.open.insert(deployment.to_owned());
        }
        "job finished" | "last attempt failed; the message goes to the dead-letter queue" => {
            jobs.open.remove(deployment);
            jobs.finished
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(deployment.to_owned());
        }
        "job will be retried" => {
            jobs.open.remove(deployment);
        }
        _ => {}
    }
}

/// One SIGKILL and what it left behind.
struct Kill {
    at: Instant,
    held: Vec<DeploymentId>,
    recovered: HashMap<DeploymentId, Duration>,
}

#[allow(clippy::print_stdout)]
async fn run(args: Args) -> anyhow::Result<bool> {
    let started = Instant::now();
    let setup = set_up(args.deployments).await?;
    let store =
        DynamoDeploymentStore::new(setup.emulator.dynamo.clone(), &setup.stack.deployments_table);
    let queue = SqsJobQueue::new(setup.emulator.sqs.clone(), &setup.stack.queue_url);
    let user = UserId::parse("kill-user")?;
    let installation = InstallationId::new(77)?;
    let mut ids = Vec::with_capacity(args.deployments);
    // Created as the API creates them: the INSPECTING item, then the job message.
    for i in 0..args.deployments {
        let repository = RepoFullName::parse(&format!("kill/app-{i}"))?;
        let deployment = Deployment::new(user.clone(), repository, None, installation);
        store.create(&deployment).await?;
        queue.send(&InspectionJob::for_deployment(&deployment)).await?;
        ids.push(deployment.id);
    }
    let queued = started.elapsed();

    let finished = Arc::new(Mutex::new(HashSet::new()));
    let finished_count = || finished.lock().unwrap_or_else(PoisonError::into_inner).len();
    let mut worker = spawn_worker(&args, &setup, &finished)?;
    let mut kills: Vec<Kill> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(args.timeout_seconds);
    // Kill points: evenly spread over the run, by jobs finished (from the workers' logs, so
    // the check is cheap and runs every 100 ms).
    let kill_at: Vec<usize> =
        (1..=args.kills).map(|k| k * args.deployments / (args.kills + 1)).collect();
    loop {
        // Recovery of the held jobs, looked at closely (they are few).
        for kill in &mut kills {
            for id in &kill.held {
                if kill.recovered.contains_key(id) {
                    continue;
                }
                let status = store.get(*id).await?.map(|d| d.status);
                if status.is_some_and(|s| s.as_str() != "INSPECTING") {
                    kill.recovered.insert(*id, kill.at.elapsed());
                }
            }
        }
        let open = worker.jobs.lock().unwrap_or_else(PoisonError::into_inner).open.len();
        if kills.len() < args.kills && finished_count() >= kill_at[kills.len()] && open > 0 {
            worker.child.start_kill()?;
            let at = Instant::now();
            worker.child.wait().await?;
            let held: Vec<DeploymentId> = {
                let jobs = worker.jobs.lock().unwrap_or_else(PoisonError::into_inner);
                jobs.open.iter().filter_map(|id| id.parse().ok()).collect()
            };
            println!(
                "  kill {} (SIGKILL) at {:.1} s: {} jobs finished, {} jobs held by the dead worker",
                kills.len() + 1,
                started.elapsed().as_secs_f64(),
                finished_count(),
                held.len()
            );
            kills.push(Kill { at, held, recovered: HashMap::new() });
            worker = spawn_worker(&args, &setup, &finished)?;
        }
        let recovering = kills.iter().any(|k| k.recovered.len() < k.held.len());
        if (finished_count() >= ids.len() && !recovering) || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The logs said every job finished: the table must agree.
    let mut settled: HashSet<DeploymentId> = HashSet::new();
    for id in &ids {
        if store.get(*id).await?.is_some_and(|d| d.status.as_str() != "INSPECTING") {
            settled.insert(*id);
        }
    }
    let total = started.elapsed();
    worker.child.start_kill()?;
    worker.child.wait().await?;

    // Where everything ended, and the builds.
    let mut by_status: BTreeMap<String, usize> = BTreeMap::new();
    let mut building = HashSet::new();
    for id in &ids {
        let deployment = store.get(*id).await?.context("a deployment is missing")?;
        *by_status.entry(deployment.status.to_string()).or_default() += 1;
        if deployment.status.as_str() == "BUILDING" {
            building.insert(id.to_string());
        }
    }
    let per_deployment = setup.codebuild.builds_per_variable("WHALERAY_DEPLOYMENT_ID");
    let mut build_counts: BTreeMap<usize, usize> = BTreeMap::new();
    for id in &building {
        *build_counts.entry(per_deployment.get(id).copied().unwrap_or(0)).or_default() += 1;
    }
    let strays = per_deployment.keys().filter(|id| !building.contains(*id)).count();
    let lost = ids.len() - settled.len();

    println!(
        "whaleray kill test: {} deployments, {} SIGKILLs of `whaleray-worker poll` ({} jobs at once), queue visibility {} s, poller lease {} s",
        ids.len(),
        kills.len(),
        args.concurrency,
        QUEUE_VISIBILITY_SECONDS,
        LEASE.as_secs()
    );
    println!(
        "  queued in {:.1} s, all settled after {:.1} s",
        queued.as_secs_f64(),
        total.as_secs_f64()
    );
    let mut worst = Duration::ZERO;
    for (i, kill) in kills.iter().enumerate() {
        let mut times: Vec<f64> = kill.recovered.values().map(Duration::as_secs_f64).collect();
        times.sort_by(f64::total_cmp);
        let unrecovered = kill.held.len() - kill.recovered.len();
        worst = worst.max(kill.recovered.values().copied().max().unwrap_or_default());
        let shown: Vec<String> = times.iter().map(|t| format!("{t:.1}")).collect();
        println!(
            "  kill {}: {} held jobs settled after [{}] s{}",
            i + 1,
            kill.held.len(),
            shown.join(", "),
            if unrecovered > 0 { format!("; {unrecovered} NEVER settled") } else { String::new() }
        );
    }
    println!("  worst recovery after a kill: {:.1} s", worst.as_secs_f64());
    for (status, count) in &by_status {
        println!("  {status:<14} {count}");
    }
    println!(
        "  builds per BUILDING deployment: {}",
        build_counts.iter().map(|(b, n)| format!("{n} with {b}")).collect::<Vec<_>>().join(", ")
    );
    println!("  builds of deployments not BUILDING: {strays}");
    println!("  lost (still INSPECTING): {lost}");

    let held_any = kills.iter().map(|k| k.held.len()).sum::<usize>() > 0;
    let recovered_all = kills.iter().all(|k| k.recovered.len() == k.held.len());
    let one_build_each = build_counts.keys().all(|b| *b == 1) && strays == 0;
    let ok = lost == 0
        && kills.len() == args.kills
        && held_any
        && recovered_all
        && worst <= 2 * LEASE
        && one_build_each;
    println!("  verdict: {}", if ok { "PASS" } else { "FAIL" });
    Ok(ok)
}
