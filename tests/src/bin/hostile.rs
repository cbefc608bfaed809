//! `whaleray-hostile`: measures what each hostile repository of issue 14 costs the worker.
//!
//! For each class it serves the generated repository from a fake GitHub in this process and
//! runs one inspection in a child process (the same binary with `--child`), so the child's
//! peak RSS is the worker's alone. The child runs `process::inspect` exactly as a poller
//! would (in-memory store, a CodeBuild stand-in) and gives up after `--cap-seconds` with "no
//! verdict", since a hung detection cannot be cancelled from inside. Printed per class: the
//! final status, seconds to the verdict, the child's peak RSS, GitHub requests (all / blobs /
//! trees) and the bytes of text the verdict would store.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use clap::Parser;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use whaleray_detect::SupportPolicy;
use whaleray_shared::job::InspectionJob;
use whaleray_shared::ports::DeploymentStore;
use whaleray_shared::testing::MemoryStore;
use whaleray_shared::{Deployment, DeploymentId, InstallationId, RepoFullName, UserId};
use whaleray_tests::github::{FakeGitHub, FakeOptions};
use whaleray_tests::hostile::Class;
use whaleray_worker::Deps;
use whaleray_worker::codebuild::{BuildError, BuildLauncher, BuildRequest};
use whaleray_worker::credentials::{BuildCredentials, ReleaseCredentials};
use whaleray_worker::github::{Credentials, GitHubClient};

const TOKEN: &str = "hostile-bench-token";

#[derive(Parser, Debug)]
#[command(name = "whaleray-hostile", about = "Measures the worker against hostile repositories")]
struct Args {
    /// Classes to run (all hostile ones and the ordinary app when none is given).
    #[arg(long = "class", value_enum)]
    classes: Vec<Class>,
    /// Seconds after which an inspection counts as hung.
    #[arg(long, default_value_t = 60)]
    cap_seconds: u64,
    /// Internal: run one inspection against the fake GitHub at this URL.
    #[arg(long, hide = true)]
    child: Option<String>,
}

/// What the child reports, as one JSON line.
#[derive(Debug, Serialize, Deserialize)]
struct Report {
    status: String,
    seconds: f64,
    peak_rss_mb: f64,
    stored_bytes: usize,
    reason: String,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("whaleray-hostile: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match &args.child {
        Some(url) => runtime.block_on(child(url, &args)),
        None => runtime.block_on(parent(&args)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("whaleray-hostile: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[allow(clippy::print_stdout)]
async fn parent(args: &Args) -> anyhow::Result<()> {
    let classes = if args.classes.is_empty() {
        Class::HOSTILE.iter().copied().chain([Class::Ordinary]).collect()
    } else {
        args.classes.clone()
    };
    println!(
        "{:<9} {:<14} {:>8} {:>9} {:>22} {:>10}  reason",
        "class", "status", "seconds", "rss MB", "requests all/blob/tree", "stored B"
    );
    for class in classes {
        let options = FakeOptions { static_token: Some(TOKEN.into()), ..FakeOptions::default() };
        let github = FakeGitHub::start_on(([127, 0, 0, 1], 0).into(), options).await?;
        github.add_repo(class.repo("acme/hostile"));
        let output = tokio::process::Command::new(std::env::current_exe()?)
            .args(["--child", &github.url, "--cap-seconds", &args.cap_seconds.to_string()])
            .args(["--class", class.name()])
            .output()
            .await?;
        let line = String::from_utf8_lossy(&output.stdout);
        let report: Report = serde_json::from_str(line.trim()).map_err(|e| {
            anyhow::anyhow!(
                "{}: {e}: {line} {}",
                class.name(),
                String::from_utf8_lossy(&output.stderr)
            )
        })?;
        let requests = format!(
            "{}/{}/{}",
            github.total_requests(),
            github.requests("blob"),
            github.requests("tree")
        );
        let reason: String = report.reason.chars().take(110).collect();
        println!(
            "{:<9} {:<14} {:>8.2} {:>9.0} {:>22} {:>10}  {}",
            class.name(),
            report.status,
            report.seconds,
            report.peak_rss_mb,
            requests,
            report.stored_bytes,
            reason.replace('\n', " ")
        );
    }
    Ok(())
}

/// The child's peak resident set size, in MB (0 where `/proc` is unavailable).
fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

#[allow(clippy::print_stdout)]
fn emit(report: &Report) {
    println!("{}", serde_json::to_string(report).unwrap_or_default());
}

async fn child(url: &str, args: &Args) -> anyhow::Result<()> {
    let started = Instant::now();
    let cap = Duration::from_secs(args.cap_seconds);
    // A detection stuck on an async thread never yields to a timer: a plain thread reports
    // the hang and ends the process.
    std::thread::spawn(move || {
        std::thread::sleep(cap);
        emit(&Report {
            status: "NO VERDICT".into(),
            seconds: started.elapsed().as_secs_f64(),
            peak_rss_mb: peak_rss_mb(),
            stored_bytes: 0,
            reason: format!("still inspecting after {} s", cap.as_secs()),
        });
        std::process::exit(0);
    });
    let store = Arc::new(MemoryStore::default());
    let deployment = Deployment::new(
        UserId::parse("hostile-user")?,
        RepoFullName::parse("acme/hostile")?,
        None,
        InstallationId::new(1)?,
    );
    store.create(&deployment).await?;
    let deps = Deps {
        store: store.clone(),
        github: Arc::new(GitHubClient::new(url, Credentials::Token(SecretString::from(TOKEN)))?),
        builds: Arc::new(Builds::default()),
        tracker: Arc::new(whaleray_worker::ports::NoBuildRecords),
        credentials: Arc::new(Tokens),
        support: SupportPolicy::default_policy(),
        max_receive_count: 5,
        budgets: whaleray_worker::budget::Budgets::default(),
    };
    let job = InspectionJob::for_deployment(&deployment);
    let result = whaleray_worker::process::inspect(&deps, &job, 1).await;
    let seconds = started.elapsed().as_secs_f64();
    let stored = store.get(deployment.id).await?;
    let stored_bytes = stored.as_ref().map_or(0, |d| {
        // The plan's debug text stands in for its stored attributes.
        let plan = d.plan.as_ref().map_or(0, |p| format!("{p:?}").len());
        plan + d.reason.as_ref().map_or(0, String::len)
            + d.last_error.as_ref().map_or(0, String::len)
    });
    let (status, reason) = match (&result, &stored) {
        (Err(retry), _) => ("RETRY".to_owned(), retry.error.reason()),
        (Ok(_), Some(d)) => {
            let plan = d.plan.as_ref().map(|x| {
                let build = x
                    .build_command
                    .as_ref()
                    .map(|c| c.as_ref().chars().take(80).collect::<String>());
                format!(
                    "root {:?} out {:?} build {build:?}",
                    x.root_directory.as_ref(),
                    x.output_directory.as_ref().map(|o| o.as_ref().to_owned()),
                )
            });
            (d.status.to_string(), d.reason.clone().or(plan).unwrap_or_default())
        }
        (Ok(outcome), None) => (format!("{outcome:?}"), String::new()),
    };
    emit(&Report { status, seconds, peak_rss_mb: peak_rss_mb(), stored_bytes, reason });
    Ok(())
}

/// A clone-credential stand-in: names a parameter, stores nothing.
struct Tokens;

#[async_trait]
impl BuildCredentials for Tokens {
    async fn issue(
        &self,
        deployment: DeploymentId,
        _: InstallationId,
        _: &RepoFullName,
    ) -> Result<String, BuildError> {
        Ok(format!("/whaleray/hostile/build-tokens/{deployment}"))
    }
}

#[async_trait]
impl ReleaseCredentials for Tokens {
    async fn release(&self, _: DeploymentId) -> Result<(), BuildError> {
        Ok(())
    }
}

/// A CodeBuild stand-in that starts every build.
#[derive(Default)]
struct Builds(AtomicU32);

#[async_trait]
impl BuildLauncher for Builds {
    async fn start(&self, _: &BuildRequest<'_>) -> Result<String, BuildError> {
        Ok(format!("whaleray-build:{}", self.0.fetch_add(1, Ordering::SeqCst) + 1))
    }

    async fn find_started(
        &self,
        _: DeploymentId,
        _: DateTime<Utc>,
    ) -> Result<Option<String>, BuildError> {
        Ok(None)
    }

    async fn stop(&self, _: &str) -> Result<(), BuildError> {
        Ok(())
    }
}
