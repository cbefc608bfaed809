//! `whaleray-devstack`: the local stand-ins the run command needs — a fake GitHub serving the
//! sample repositories to the worker authenticating as the TEST-ONLY GitHub App, a fake
//! CodeBuild whose builds run through their phases and end, and dev tokens for the local API.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use secrecy::SecretString;
use whaleray_tests::codebuild::{FakeCodeBuild, FakeCodeBuildOptions, Timing, Verdict};
use whaleray_tests::config::dev_jwt_secret;
use whaleray_tests::github::keys::{TEST_APP_ID, TEST_PUBLIC_KEY_PEM};
use whaleray_tests::github::{FakeGitHub, FakeInstallation, FakeOptions, FakeRepo};

/// Local stand-ins for the WhaleRay pipeline.
#[derive(Parser)]
#[command(name = "whaleray-devstack", about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve every REPOS/<owner>/<name> folder as a GitHub repository until Ctrl-C. Clients
    /// authenticate as the GitHub App (the TEST-ONLY App of tests/fixtures/github-app unless
    /// told otherwise), or with --token.
    Github {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:3001")]
        listen: SocketAddr,
        /// The folder of sample repositories.
        #[arg(long)]
        repos: PathBuf,
        /// The App id whose JWTs the token exchange accepts.
        #[arg(long, default_value_t = TEST_APP_ID)]
        app_id: u64,
        /// The App's public key (PEM file); the TEST-ONLY key by default.
        #[arg(long)]
        public_key: Option<PathBuf>,
        /// A fixed token also accepted for every repository (the worker's GITHUB_TOKEN).
        #[arg(long)]
        token: Option<String>,
        /// USER:INSTALLATION_ID:ACCOUNT_LOGIN: GitHub user USER can reach that installation
        /// (all its repositories) through `/user/installations`; repeatable. Codes come from
        /// `GET /login/oauth/authorize?client_id=..&redirect_uri=..&login=USER`, exchanged with
        /// the TEST-ONLY OAuth client pair.
        #[arg(long)]
        grant: Vec<String>,
    },
    /// Serve a CodeBuild-compatible API holding PROJECT until Ctrl-C: builds move through their
    /// phases and succeed, except builds of the repositories named by --fail, which fail in
    /// their BUILD phase. Point the worker at it with AWS_ENDPOINT_URL_CODEBUILD.
    Codebuild {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:3002")]
        listen: SocketAddr,
        /// The project to create (the worker's CODEBUILD_PROJECT).
        #[arg(long)]
        project: String,
        /// A repository (owner/name) whose builds fail; repeatable.
        #[arg(long)]
        fail: Vec<String>,
    },
    /// Print, on one line, a `push` webhook payload as GitHub sends it: the head commit of
    /// REPOS/<owner>/<name> (as `github --repos` serves it) pushed to BRANCH, through App
    /// installation INSTALLATION.
    PushPayload {
        /// The folder of sample repositories.
        #[arg(long)]
        repos: PathBuf,
        /// The repository, `owner/name`.
        #[arg(long)]
        repository: String,
        /// The App installation the delivery comes through.
        #[arg(long)]
        installation: u64,
        /// The branch pushed to.
        #[arg(long, default_value = "main")]
        branch: String,
        /// The head commit's message.
        #[arg(long, default_value = "Update the landing page")]
        message: String,
    },
    /// Print a bearer token for the local API, signed with WHALERAY_DEV_JWT_SECRET.
    Token {
        /// The user id (the token's `sub`).
        #[arg(long, default_value = "dev-user")]
        sub: String,
        /// Validity in hours.
        #[arg(long, default_value_t = 12)]
        hours: u64,
    },
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("whaleray-devstack: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[allow(clippy::print_stdout)]
fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Token { sub, hours } => {
            let secret = dev_jwt_secret().context("WHALERAY_DEV_JWT_SECRET is not set")?;
            let token = whaleray_api::auth::mint_dev_token(
                &SecretString::from(secret),
                &sub,
                hours * 3600,
            )?;
            println!("{token}");
            Ok(())
        }
        Command::PushPayload { repos, repository, installation, branch, message } => {
            let dir = repos.join(&repository);
            let repo = FakeRepo::from_dir(&repository, &dir)
                .with_context(|| format!("reading {}", dir.display()))?;
            let after = repo.commit(None).context("the repository has no commit")?.sha.clone();
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?;
            let pushed_at = i64::try_from(now.as_secs())?;
            let payload = whaleray_tests::github::payloads::push(
                &repository,
                installation,
                &branch,
                &after,
                &message,
                pushed_at,
            );
            println!("{payload}");
            Ok(())
        }
        Command::Codebuild { listen, project, fail } => {
            let runtime = tokio::runtime::Runtime::new()?;
            runtime.block_on(serve_codebuild(listen, &project, &fail))
        }
        Command::Github { listen, repos, app_id, public_key, token, grant } => {
            let grants =
                grant.iter().map(|g| parse_grant(g)).collect::<anyhow::Result<Vec<_>>>()?;
            let public_key_pem = match public_key {
                Some(path) => std::fs::read_to_string(&path)
                    .with_context(|| format!("reading {}", path.display()))?,
                None => TEST_PUBLIC_KEY_PEM.to_owned(),
            };
            let options = FakeOptions { app_id, public_key_pem, static_token: token };
            let runtime = tokio::runtime::Runtime::new()?;
            runtime.block_on(serve_github(listen, options, &repos, grants))
        }
    }
}

/// `USER:INSTALLATION_ID:ACCOUNT_LOGIN`.
fn parse_grant(text: &str) -> anyhow::Result<(String, FakeInstallation)> {
    let mut parts = text.splitn(3, ':');
    let (Some(user), Some(id), Some(login)) = (parts.next(), parts.next(), parts.next()) else {
        anyhow::bail!("--grant {text:?}: expected USER:INSTALLATION_ID:ACCOUNT_LOGIN");
    };
    let id: u64 = id.parse().with_context(|| format!("--grant {text:?}: installation id"))?;
    let installation = FakeInstallation {
        id,
        account_id: id,
        account_login: login.to_owned(),
        repositories: None,
        suspended: false,
    };
    Ok((user.to_owned(), installation))
}

async fn serve_github(
    listen: SocketAddr,
    options: FakeOptions,
    repos: &Path,
    grants: Vec<(String, FakeInstallation)>,
) -> anyhow::Result<()> {
    let server = FakeGitHub::start_on(listen, options)
        .await
        .with_context(|| format!("could not listen on {listen}"))?;
    for (user, installation) in grants {
        server.grant_user(&user, installation);
    }
    let mut names = Vec::new();
    for owner in read_dirs(repos)? {
        for repo in read_dirs(&owner)? {
            let name = format!("{}/{}", file_name(&owner), file_name(&repo));
            server.add_repo(
                FakeRepo::from_dir(&name, &repo)
                    .with_context(|| format!("reading {}", repo.display()))?,
            );
            names.push(name);
        }
    }
    eprintln!("fake GitHub on {} serving {}", server.url, names.join(", "));
    tokio::signal::ctrl_c().await?;
    Ok(())
}

async fn serve_codebuild(listen: SocketAddr, project: &str, fail: &[String]) -> anyhow::Result<()> {
    // The worker's clone tokens are in the emulator's SSM (AWS_ENDPOINT_URL): builds resolve
    // them there, as CodeBuild resolves PARAMETER_STORE variables.
    let sdk = whaleray_shared::aws::load_sdk_config().await;
    let options = FakeCodeBuildOptions {
        timing: Timing { queued: Duration::from_secs(2), phase: Duration::from_secs(1) },
        ssm: Some(aws_sdk_ssm::Client::new(&sdk)),
        ..FakeCodeBuildOptions::default()
    };
    let server = FakeCodeBuild::start_on(listen, options)
        .await
        .with_context(|| format!("could not listen on {listen}"))?;
    server.create_project(project, whaleray_worker::codebuild::BUILDSPEC).await?;
    for repository in fail {
        // The worker passes the repository as WHALERAY_REPOSITORY.
        server.set_verdict(
            repository,
            Verdict::Fail {
                phase: "BUILD",
                message: "COMMAND_EXECUTION_ERROR: exit status 1".into(),
            },
        );
    }
    eprintln!("fake CodeBuild on {} with project {project}", server.url);
    tokio::signal::ctrl_c().await?;
    Ok(())
}

fn read_dirs(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut dirs = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            dirs.push(entry.path());
        }
    }
    dirs.sort();
    Ok(dirs)
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}
