//! `whaleray-worker`: the SQS-triggered Lambda when Lambda starts it; otherwise a command line
//! with `poll` (the long-polling worker), `detect <DIR>` (detection of a local folder) and the
//! operator commands `replay-dlq`, `sweep` and `queues`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use lambda_runtime::{LambdaEvent, service_fn};
use whaleray_detect::Options;
use whaleray_shared::DeploymentId;
use whaleray_shared::aws::load_sdk_config;
use whaleray_shared::config::Env;
use whaleray_shared::sqs::SqsJobQueue;
use whaleray_shared::telemetry;
use whaleray_worker::poll::Poller;
use whaleray_worker::replay::{self, ReplayOptions, Replayer};
use whaleray_worker::sweep::{self, SweepOptions};
use whaleray_worker::{Deps, WorkerConfig, lambda, local, operator};

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
    /// Print the detection of a local folder as JSON.
    Detect {
        /// The folder to inspect.
        dir: PathBuf,
        /// The app's folder inside a monorepo, relative to DIR.
        #[arg(long)]
        root_directory: Option<String>,
    },
}

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
                #[allow(clippy::print_stdout)]
                {
                    println!("{json}");
                }
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e.into()),
        },
        Err(e) => fail(&e.into()),
    }
}

async fn serve(command: Option<Command>) -> anyhow::Result<()> {
    let config = WorkerConfig::from_env(Env::from_process())?;
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
            let queue = SqsJobQueue::new(aws_sdk_sqs::Client::new(&sdk), &config.job_queue_url);
            let (deps, queue) = (&deps, &queue);
            lambda_runtime::run(service_fn(
                move |event: LambdaEvent<serde_json::Value>| async move {
                    lambda::handle_event(deps, queue, event.payload).await
                },
            ))
            .await
            .map_err(|e| anyhow::anyhow!(e))
        }
        Some(Command::ReplayDlq { deployments, since, until, dry_run, rate, max, json }) => {
            let options = ReplayOptions {
                deployments: deployments
                    .iter()
                    .map(|d| DeploymentId::parse(d))
                    .collect::<Result<_, _>>()?,
                since: since
                    .as_deref()
                    .map(replay::parse_time)
                    .transpose()
                    .map_err(anyhow::Error::msg)?,
                until: until
                    .as_deref()
                    .map(replay::parse_time)
                    .transpose()
                    .map_err(anyhow::Error::msg)?,
                dry_run,
                rate_per_second: rate,
                max,
            };
            let dlq_url = dead_letter_url(&config)?;
            let sqs = aws_sdk_sqs::Client::new(&sdk);
            let replayer = Replayer {
                sqs: sqs.clone(),
                dlq_url: dlq_url.clone(),
                main: Arc::new(SqsJobQueue::new(sqs.clone(), &config.job_queue_url)),
                store: deps.store.clone(),
                hold: Duration::from_secs(300),
            };
            let total = operator::queue_depth(&sqs, &dlq_url).await?.visible;
            let bar = progress_bar(total);
            let report = replayer
                .run(&options, &|step| {
                    if step == replay::Progress::Examined {
                        bar.inc(1);
                    }
                })
                .await;
            bar.finish_and_clear();
            let mut out = std::io::stdout().lock();
            if json {
                serde_json::to_writer_pretty(&mut out, &report)?;
                writeln!(out)?;
            } else {
                operator::write_replay(&mut out, &report, dry_run)?;
            }
            anyhow::ensure!(
                report.errors.is_empty(),
                "{} messages could not be replayed",
                report.errors.len()
            );
            Ok(())
        }
        Some(Command::Sweep { older_than_minutes, max_requeues }) => {
            let queue = SqsJobQueue::new(aws_sdk_sqs::Client::new(&sdk), &config.job_queue_url);
            let options = SweepOptions {
                older_than: Duration::from_secs(older_than_minutes * 60),
                max_requeues,
                ..SweepOptions::default()
            };
            let report = sweep::sweep(deps.store.as_ref(), &queue, options).await;
            operator::write_sweep(&mut std::io::stdout().lock(), &report)?;
            anyhow::ensure!(
                report.errors.is_empty(),
                "the sweep met {} errors",
                report.errors.len()
            );
            Ok(())
        }
        Some(Command::Queues) => {
            let sqs = aws_sdk_sqs::Client::new(&sdk);
            let dlq_url = dead_letter_url(&config)?;
            let main = operator::queue_depth(&sqs, &config.job_queue_url).await?;
            let dead = operator::queue_depth(&sqs, &dlq_url).await?;
            let oldest_job = operator::oldest_inspecting_age(deps.store.as_ref())
                .await
                .map_err(anyhow::Error::msg)?;
            let oldest_dead = operator::oldest_dead_letter_age(&sqs, &dlq_url).await?;
            let mut out = std::io::stdout().lock();
            writeln!(
                out,
                "{:<12} {:>8} {:>9} {:>8}  OLDEST",
                "QUEUE", "VISIBLE", "IN FLIGHT", "DELAYED"
            )?;
            writeln!(
                out,
                "{:<12} {:>8} {:>9} {:>8}  {} (oldest INSPECTING deployment)",
                "jobs",
                main.visible,
                main.in_flight,
                main.delayed,
                operator::human_age(oldest_job)
            )?;
            writeln!(
                out,
                "{:<12} {:>8} {:>9} {:>8}  {}",
                "dead-letter",
                dead.visible,
                dead.in_flight,
                dead.delayed,
                operator::human_age(oldest_dead)
            )?;
            Ok(())
        }
        None => anyhow::bail!(
            "no command given: use `whaleray-worker poll`, `whaleray-worker detect <DIR>` or --help"
        ),
        Some(Command::Detect { .. }) => Ok(()),
    }
}

fn dead_letter_url(config: &WorkerConfig) -> anyhow::Result<String> {
    config
        .dead_letter_queue_url
        .clone()
        .context("DEAD_LETTER_QUEUE_URL is not set (operator commands need the dead-letter queue)")
}

/// A progress bar on standard error, drawn only on a terminal.
fn progress_bar(total: u64) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(total),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} examined ({elapsed})")
    {
        bar.set_style(style);
    }
    bar
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
