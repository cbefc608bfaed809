//! The operator commands of the `whaleray-worker` binary: `replay-dlq`, `sweep` and `queues`.
//! They need the table and the two queues only, not GitHub or CodeBuild.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use aws_config::SdkConfig;
use chrono::{DateTime, Utc};
use whaleray_shared::DeploymentId;
use whaleray_shared::dynamo::DynamoDeploymentStore;
use whaleray_shared::ports::DeploymentStore;
use whaleray_shared::sqs::SqsJobQueue;
use whaleray_worker::config::OperatorConfig;
use whaleray_worker::replay::{self, ReplayOptions, Replayer};
use whaleray_worker::sweep::{self, SweepOptions};
use whaleray_worker::{operator, wiring};

use crate::Command;

/// An operator command with its arguments checked.
pub enum Operator {
    /// `replay-dlq`.
    Replay {
        /// What to move.
        options: ReplayOptions,
        /// Print JSON.
        json: bool,
    },
    /// `sweep`.
    Sweep(SweepOptions),
    /// `queues`.
    Queues,
}

impl Operator {
    /// The operator command `command` names, if it is one, or why its arguments are invalid.
    pub fn from_command(command: &Command) -> Option<Result<Self, String>> {
        match command {
            Command::ReplayDlq { deployments, since, until, dry_run, rate, max, json } => Some(
                replay_options(deployments, since, until).map(|(deployments, since, until)| {
                    let options = ReplayOptions {
                        deployments,
                        since,
                        until,
                        dry_run: *dry_run,
                        rate_per_second: *rate,
                        max: *max,
                    };
                    Self::Replay { options, json: *json }
                }),
            ),
            Command::Sweep { older_than_minutes, max_requeues } => {
                Some(Ok(Self::Sweep(SweepOptions {
                    older_than: Duration::from_secs(older_than_minutes * 60),
                    max_requeues: *max_requeues,
                    ..SweepOptions::default()
                })))
            }
            Command::Queues => Some(Ok(Self::Queues)),
            Command::Poll { .. } | Command::Detect { .. } => None,
        }
    }
}

type Selection = (Vec<DeploymentId>, Option<DateTime<Utc>>, Option<DateTime<Utc>>);

fn replay_options(
    deployments: &[String],
    since: &Option<String>,
    until: &Option<String>,
) -> Result<Selection, String> {
    let deployments = deployments
        .iter()
        .map(|d| DeploymentId::parse(d).map_err(|e| e.to_string()))
        .collect::<Result<_, _>>()?;
    let time = |value: &Option<String>| {
        value.as_deref().map(replay::parse_time).transpose().map_err(|e| e.to_string())
    };
    Ok((deployments, time(since)?, time(until)?))
}

/// Runs an operator command, printing its report on standard output.
pub async fn run(
    command: Operator,
    config: &OperatorConfig,
    sdk: &SdkConfig,
) -> anyhow::Result<()> {
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let store: Arc<dyn DeploymentStore> = Arc::new(DynamoDeploymentStore::new(
        aws_sdk_dynamodb::Client::new(sdk),
        &config.deployments_table,
    ));
    let main_queue = SqsJobQueue::new(sqs.clone(), &config.job_queue_url);
    let mut out = std::io::stdout().lock();
    match command {
        Operator::Replay { options, json } => {
            let replayer = Replayer {
                dlq: wiring::sqs_consumer(sdk, &config.dead_letter_queue_url),
                main: wiring::sqs_consumer(sdk, &config.job_queue_url),
                store,
                hold: Duration::from_secs(300),
            };
            let total = operator::queue_depth(&sqs, &config.dead_letter_queue_url).await?.visible;
            let bar = progress_bar(total);
            let report = replayer
                .run(&options, &|step| {
                    if step == replay::Progress::Examined {
                        bar.inc(1);
                    }
                })
                .await;
            bar.finish_and_clear();
            if json {
                serde_json::to_writer_pretty(&mut out, &report)?;
                writeln!(out)?;
            } else {
                operator::write_replay(&mut out, &report, options.dry_run)?;
            }
            anyhow::ensure!(
                report.errors.is_empty(),
                "{} messages could not be replayed",
                report.errors.len()
            );
        }
        Operator::Sweep(options) => {
            let report = sweep::sweep(store.as_ref(), &main_queue, options).await;
            operator::write_sweep(&mut out, &report)?;
            anyhow::ensure!(
                report.errors.is_empty(),
                "the sweep met {} errors",
                report.errors.len()
            );
        }
        Operator::Queues => {
            let jobs = operator::queue_depth(&sqs, &config.job_queue_url).await?;
            let dead = operator::queue_depth(&sqs, &config.dead_letter_queue_url).await?;
            let oldest_job = operator::oldest_inspecting_age(store.as_ref())
                .await
                .map_err(anyhow::Error::msg)?;
            let oldest_dead =
                operator::oldest_dead_letter_age(&sqs, &config.dead_letter_queue_url).await?;
            operator::write_queues(&mut out, &jobs, oldest_job, &dead, oldest_dead)?;
        }
    }
    Ok(())
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
