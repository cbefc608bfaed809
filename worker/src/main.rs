//! `whaleray-worker`: the SQS-triggered Lambda when Lambda starts it; otherwise a command line
//! with `poll` (the long-polling worker) and `detect <DIR>` (detection of a local folder).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use aws_lambda_events::event::sqs::SqsEvent;
use clap::{Parser, Subcommand};
use lambda_runtime::{LambdaEvent, service_fn};
use whaleray_detect::Options;
use whaleray_shared::aws::{load_sdk_config, long_poll_timeouts};
use whaleray_shared::config::Env;
use whaleray_shared::telemetry::{self, LogFormat};
use whaleray_worker::poll::Poller;
use whaleray_worker::{Deps, WorkerConfig, batch, local};

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
    if let Some(Command::Detect {
        dir,
        root_directory,
    }) = &cli.command
    {
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
    telemetry::init(if config.lambda {
        LogFormat::Json
    } else {
        LogFormat::Text
    });
    let sdk = load_sdk_config().await;
    let deps = Deps::from_config(&config, &sdk)
        .await
        .context("could not set up GitHub access")?;
    match command {
        Some(Command::Poll { concurrency }) => {
            let sqs = aws_sdk_sqs::Client::from_conf(
                aws_sdk_sqs::config::Builder::from(&sdk)
                    .timeout_config(long_poll_timeouts())
                    .build(),
            );
            let concurrency = concurrency.unwrap_or(config.concurrency);
            let poller = Poller::new(sqs, &config.job_queue_url, deps, concurrency);
            tracing::info!(queue = %config.job_queue_url, concurrency, "whaleray-worker polling");
            let stats = poller.run(shutdown_signal()).await;
            tracing::info!(?stats, "whaleray-worker stopped");
            Ok(())
        }
        None if config.lambda => {
            let deps = &deps;
            lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
                Ok::<_, std::convert::Infallible>(batch::handle_batch(deps, event.payload).await)
            }))
            .await
            .map_err(|e| anyhow::anyhow!(e))
        }
        None => anyhow::bail!(
            "no command given: use `whaleray-worker poll`, `whaleray-worker detect <DIR>` or --help"
        ),
        Some(Command::Detect { .. }) => Ok(()),
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
