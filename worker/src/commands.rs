//! The operator commands of the `whaleray-worker` binary: `replay-dlq`, `sweep` and `queues`.
//! They need the table and the two queues only, not GitHub; `sweep` also reads CodeBuild
//! (`BatchGetBuilds`) to reconcile builds. Their arguments are
//! checked by clap (a bad deployment id or time never reaches the code below).

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use aws_config::SdkConfig;
use chrono::{DateTime, Utc};
use whaleray_shared::DeploymentId;
use whaleray_shared::aws::load_sdk_config;
use whaleray_shared::config::Env;
use whaleray_shared::dynamo::DynamoDeploymentStore;
use whaleray_shared::ports::DeploymentStore;
use whaleray_shared::sqs::SqsJobQueue;
use whaleray_shared::telemetry::{self, LogFormat};
use whaleray_worker::codebuild::CodeBuildTracker;
use whaleray_worker::config::OperatorConfig;
use whaleray_worker::credentials::SsmTokenReleaser;
use whaleray_worker::replay::{self, ReplayOptions, Replayer};
use whaleray_worker::sweep::{self, SweepOptions};
use whaleray_worker::{operator, wiring};

/// `replay-dlq`: move dead-letter messages back to the job queue (all, or selected ones).
#[derive(clap::Args)]
pub struct ReplayArgs {
    /// Only this deployment (repeatable).
    #[arg(long = "deployment", value_name = "ID", value_parser = DeploymentId::parse)]
    deployments: Vec<DeploymentId>,
    /// Only messages first sent at or after this time (RFC 3339, or an age: 90m, 6h, 2d).
    #[arg(long, value_parser = replay::parse_time)]
    since: Option<DateTime<Utc>>,
    /// Only messages first sent before this time (RFC 3339, or an age).
    #[arg(long, value_parser = replay::parse_time)]
    until: Option<DateTime<Utc>>,
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
}

/// `sweep`: re-queue or fail deployments stuck in INSPECTING with no live job, and record the
/// end of builds whose state-change event was lost.
#[derive(clap::Args)]
pub struct SweepArgs {
    /// A deployment unchanged for this many minutes is stalled.
    #[arg(long, default_value_t = 30)]
    older_than_minutes: u64,
    /// Re-queues before a stalled deployment is marked FAILED.
    #[arg(long, default_value_t = 2)]
    max_requeues: u32,
    /// A deployment BUILDING for this many minutes has its build looked up in CodeBuild.
    #[arg(long, default_value_t = 10)]
    building_older_than_minutes: u64,
}

/// What every operator command starts from: its settings and the AWS clients' configuration.
struct Setup {
    config: OperatorConfig,
    sdk: SdkConfig,
}

impl Setup {
    /// Reads the settings (naming every missing one), starts text logging, loads the SDK.
    async fn load() -> anyhow::Result<Self> {
        let config = OperatorConfig::from_env(Env::from_process())?;
        telemetry::init(LogFormat::Text);
        Ok(Self { config, sdk: load_sdk_config().await })
    }

    fn store(&self) -> Arc<dyn DeploymentStore> {
        let client = aws_sdk_dynamodb::Client::new(&self.sdk);
        Arc::new(DynamoDeploymentStore::new(client, &self.config.deployments_table))
    }

    fn sqs(&self) -> aws_sdk_sqs::Client {
        aws_sdk_sqs::Client::new(&self.sdk)
    }
}

/// Runs `replay-dlq`, printing its report on standard output.
pub async fn replay_dlq(args: ReplayArgs) -> anyhow::Result<()> {
    let setup = Setup::load().await?;
    let (config, sqs) = (&setup.config, setup.sqs());
    let options = ReplayOptions {
        deployments: args.deployments,
        since: args.since,
        until: args.until,
        dry_run: args.dry_run,
        rate_per_second: args.rate,
        max: args.max,
    };
    let replayer = Replayer {
        dlq: wiring::sqs_consumer(&setup.sdk, &config.dead_letter_queue_url),
        main: wiring::sqs_consumer(&setup.sdk, &config.job_queue_url),
        store: setup.store(),
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
    let mut out = std::io::stdout().lock();
    if args.json {
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
    Ok(())
}

/// Runs `sweep`, printing what it did on standard output.
pub async fn sweep(args: SweepArgs) -> anyhow::Result<()> {
    let setup = Setup::load().await?;
    let main_queue = SqsJobQueue::new(setup.sqs(), &setup.config.job_queue_url);
    let options = SweepOptions {
        older_than: Duration::from_secs(args.older_than_minutes.saturating_mul(60)),
        max_requeues: args.max_requeues,
        building_older_than: Duration::from_secs(
            args.building_older_than_minutes.saturating_mul(60),
        ),
        ..SweepOptions::default()
    };
    let tracker = CodeBuildTracker::new(aws_sdk_codebuild::Client::new(&setup.sdk));
    let credentials = SsmTokenReleaser::new(
        aws_sdk_ssm::Client::new(&setup.sdk),
        setup.config.build_token_prefix.clone(),
    );
    let builds = sweep::Builds { tracker: &tracker, credentials: &credentials };
    let report = sweep::sweep(setup.store().as_ref(), &main_queue, builds, options).await;
    operator::write_sweep(&mut std::io::stdout().lock(), &report)?;
    // A lone error is repeated with its cause chain; several are listed on standard output.
    let mut errors = report.errors.into_iter();
    match (errors.next(), errors.len()) {
        (None, _) => Ok(()),
        (Some(only), 0) => Err(anyhow::Error::new(only).context("the sweep met 1 error")),
        (Some(_), more) => Err(anyhow::anyhow!("the sweep met {} errors", more + 1)),
    }
}

/// Runs `queues`: both queues' depths and oldest ages.
pub async fn queues() -> anyhow::Result<()> {
    let setup = Setup::load().await?;
    let (config, sqs) = (&setup.config, setup.sqs());
    let jobs = operator::queue_depth(&sqs, &config.job_queue_url).await?;
    let dead = operator::queue_depth(&sqs, &config.dead_letter_queue_url).await?;
    let oldest_job = operator::oldest_inspecting_age(setup.store().as_ref()).await?;
    let oldest_dead = operator::oldest_dead_letter_age(&sqs, &config.dead_letter_queue_url).await?;
    let mut out = std::io::stdout().lock();
    operator::write_queues(&mut out, &jobs, oldest_job, &dead, oldest_dead)?;
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
