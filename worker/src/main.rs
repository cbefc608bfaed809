//! `whaleray-worker`: the SQS-triggered Lambda when Lambda starts it; otherwise a command line
//! with `poll` (the long-polling worker), `detect <DIR>` (detection of a local folder) and the
//! operator commands `replay-dlq`, `sweep` and `queues`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use aws_config::SdkConfig;
use clap::{Parser, Subcommand};
use lambda_runtime::{LambdaEvent, service_fn};
use whaleray_detect::Options;
use whaleray_shared::aws::load_sdk_config;
use whaleray_shared::config::Env;
use whaleray_shared::telemetry;
use whaleray_worker::{Deps, WorkerConfig, event_feed, lambda, local, wiring};

/// The WhaleRay inspection worker.
#[derive(Parser)]
#[command(name = "whaleray-worker", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Long-poll the job queue and process jobs until SIGTERM or Ctrl-C.
    Poll {
        /// Jobs processed at once (default: WORKER_CONCURRENCY or 4).
        #[arg(long)]
        concurrency: Option<usize>,
    },
    /// Move dead-letter messages back to the job queue (all, or selected ones).
    ReplayDlq(commands::ReplayArgs),
    /// Re-queue or fail deployments stuck in INSPECTING with no live job.
    Sweep(commands::SweepArgs),
    /// Print the depth of the job queue and the dead-letter queue, and the oldest ages.
    Queues,
    /// Print the detection of a local folder as JSON (stdout) and the chosen root directory, or
    /// the candidates of a monorepo, as one line (stderr).
    Detect {
        /// The folder to inspect.
        dir: PathBuf,
        /// The app's folder inside a monorepo, relative to DIR.
        #[arg(long)]
        root_directory: Option<String>,
    },
}

mod commands;

fn main() -> ExitCode {
    match run(Cli::parse().command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // One line with the whole cause chain.
            eprintln!("whaleray-worker: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// The one dispatch: what each subcommand runs. Without one, the binary is the Lambda
/// function, which only Lambda starts.
fn run(command: Option<Command>) -> anyhow::Result<()> {
    match command {
        Some(Command::Detect { dir, root_directory }) => detect(&dir, root_directory),
        Some(Command::Poll { concurrency }) => block_on(poll(concurrency)),
        Some(Command::ReplayDlq(args)) => block_on(commands::replay_dlq(args)),
        Some(Command::Sweep(args)) => block_on(commands::sweep(args)),
        Some(Command::Queues) => block_on(commands::queues()),
        None => block_on(lambda()),
    }
}

fn block_on(task: impl Future<Output = anyhow::Result<()>>) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new().context("could not start the async runtime")?;
    let result = runtime.block_on(task);
    // Jobs a stopping poller abandoned may still hold a blocking thread (detection); they are
    // bounded by their own deadline, but the process does not wait for them.
    runtime.shutdown_timeout(Duration::from_millis(100));
    result
}

fn detect(dir: &std::path::Path, root_directory: Option<String>) -> anyhow::Result<()> {
    let detection = local::detect_dir(dir, &Options { root_directory })?;
    let json = serde_json::to_string_pretty(&detection)?;
    // The verdict as JSON on stdout; the chosen root directory (or the candidates) as one
    // line on stderr, so the JSON stays machine-readable.
    #[allow(clippy::print_stdout)]
    {
        println!("{json}");
        eprintln!("{}", local::summary(&detection));
    }
    Ok(())
}

/// The worker's configuration, logging and production wiring, for `poll` and Lambda.
async fn worker() -> anyhow::Result<(WorkerConfig, SdkConfig, Deps)> {
    let config = WorkerConfig::from_env(Env::from_process())?;
    telemetry::init(config.log_format);
    let sdk = load_sdk_config().await;
    let deps = Deps::from_config(&config, &sdk).await.context("could not set up GitHub access")?;
    Ok((config, sdk, deps))
}

async fn poll(concurrency: Option<usize>) -> anyhow::Result<()> {
    let (config, sdk, deps) = worker().await?;
    // Local runs only: the fake CodeBuild's build events, instead of EventBridge's.
    let feed = config.build_events_url.clone().map(|url| {
        let (store, credentials) = (deps.store.clone(), deps.credentials.clone());
        tokio::spawn(
            async move { event_feed::run(&url, store.as_ref(), credentials.as_ref()).await },
        )
    });
    let poller = wiring::poller(&config, &sdk, deps, concurrency);
    tracing::info!(queue = %config.job_queue_url, grace = ?poller.grace, "whaleray-worker polling");
    let stats = poller.run(shutdown_signal()).await;
    if let Some(feed) = feed {
        feed.abort();
    }
    tracing::info!(?stats, "whaleray-worker stopped");
    Ok(())
}

async fn lambda() -> anyhow::Result<()> {
    anyhow::ensure!(
        Env::from_process().is_set("AWS_LAMBDA_RUNTIME_API"),
        "no command given: use `whaleray-worker poll`, `detect <DIR>`, `replay-dlq`, `sweep`, `queues` or --help"
    );
    let (config, sdk, deps) = worker().await?;
    let worker = &wiring::lambda_worker(&config, &sdk, deps);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<serde_json::Value>| async move {
        let invocation = lambda::Invocation { deadline_ms: event.context.deadline };
        worker.handle_event(event.payload, invocation).await
    }))
    .await
    .map_err(|e| anyhow::anyhow!(e))
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
