//! `whaleray-worker`: the SQS-triggered Lambda when Lambda starts it; otherwise a command line
//! with `poll` (the long-polling worker), `detect <DIR>` (detection of a local folder) and the
//! operator commands `replay-dlq`, `sweep` and `queues`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use lambda_runtime::{LambdaEvent, service_fn};
use whaleray_detect::Options;
use whaleray_shared::aws::load_sdk_config;
use whaleray_shared::config::Env;
use whaleray_shared::sqs::SqsJobQueue;
use whaleray_shared::telemetry::{self, LogFormat};
use whaleray_worker::config::OperatorConfig;
use whaleray_worker::poll::Poller;
use whaleray_worker::visibility::Retries;
use whaleray_worker::{Deps, WorkerConfig, lambda, local};

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
    ReplayDlq {
        /// Only this deployment (repeatable).
        #[arg(long = "deployment", value_name = "ID")]
        deployments: Vec<String>,
        /// Only messages first sent at or after this time (RFC 3339, or an age: 90m, 6h, 2d).
        #[arg(long)]
        since: Option<String>,
        /// Only messages first sent before this time (RFC 3339, or an age).
        #[arg(long)]
        until: Option<String>,
        /// List what would move (deployment, repository, receive count, reason) and move nothing.
        #[arg(long)]
        dry_run: bool,
        /// At most this many messages moved per second.
        #[arg(long)]
        rate: Option<f64>,
        /// Stop after this many messages.
        #[arg(long)]
        max: Option<usize>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Re-queue or fail deployments stuck in INSPECTING with no live job.
    Sweep {
        /// A deployment unchanged for this many minutes is stalled.
        #[arg(long, default_value_t = 30)]
        older_than_minutes: u64,
        /// Re-queues before a stalled deployment is marked FAILED.
        #[arg(long, default_value_t = 2)]
        max_requeues: u32,
    },
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
    let cli = Cli::parse();
    if let Some(Command::Detect { dir, root_directory }) = &cli.command {
        return detect(dir, root_directory.clone());
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => return fail(&anyhow::Error::new(e).context("could not start the async runtime")),
    };
    match runtime.block_on(serve(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

fn fail(error: &anyhow::Error) -> ExitCode {
    eprintln!("whaleray-worker: {error:#}");
    ExitCode::FAILURE
}

fn detect(dir: &std::path::Path, root_directory: Option<String>) -> ExitCode {
    match local::detect_dir(dir, &Options { root_directory }) {
        Ok(detection) => match serde_json::to_string_pretty(&detection) {
            Ok(json) => {
                // The verdict as JSON on stdout; the chosen root directory (or the candidates)
                // as one line on stderr, so the JSON stays machine-readable.
                #[allow(clippy::print_stdout)]
                {
                    println!("{json}");
                    eprintln!("{}", local::summary(&detection));
                }
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e.into()),
        },
        Err(e) => fail(&e.into()),
    }
}

async fn serve(command: Option<Command>) -> anyhow::Result<()> {
    let env = Env::from_process();
    if command.is_none() && !env.is_set("AWS_LAMBDA_RUNTIME_API") {
        anyhow::bail!(
            "no command given: use `whaleray-worker poll`, `detect <DIR>`, `replay-dlq`, `sweep`, `queues` or --help"
        );
    }
    if let Some(command) = command.as_ref().and_then(commands::Operator::from_command) {
        let command = command.map_err(anyhow::Error::msg)?;
        let config = OperatorConfig::from_env(env)?;
        telemetry::init(LogFormat::Text);
        return commands::run(command, &config, &load_sdk_config().await).await;
    }
    let config = WorkerConfig::from_env(env)?;
    telemetry::init(config.log_format);
    let sdk = load_sdk_config().await;
    let deps = Deps::from_config(&config, &sdk).await.context("could not set up GitHub access")?;
    match command {
        Some(Command::Poll { concurrency }) => {
            let sqs = aws_sdk_sqs::Client::new(&sdk);
            let concurrency = concurrency.unwrap_or(config.concurrency);
            let poller = Poller::new(sqs, &config.job_queue_url, deps, concurrency);
            tracing::info!(queue = %config.job_queue_url, concurrency, "whaleray-worker polling");
            let stats = poller.run(shutdown_signal()).await;
            tracing::info!(?stats, "whaleray-worker stopped");
            Ok(())
        }
        None if config.lambda => {
            let sqs = aws_sdk_sqs::Client::new(&sdk);
            let queue = SqsJobQueue::new(sqs.clone(), &config.job_queue_url);
            let retries = Retries {
                client: sqs,
                queue_url: config.job_queue_url.clone(),
                base_backoff: Duration::from_secs(10),
            };
            let (deps, queue, retries) = (&deps, &queue, &retries);
            lambda_runtime::run(service_fn(
                move |event: LambdaEvent<serde_json::Value>| async move {
                    lambda::handle_event(deps, queue, retries, event.payload).await
                },
            ))
            .await
            .map_err(|e| anyhow::anyhow!(e))
        }
        Some(Command::ReplayDlq { .. } | Command::Sweep { .. } | Command::Queues) => Ok(()),
        // Handled before the worker's configuration is read.
        None | Some(Command::Detect { .. }) => Ok(()),
    }
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
