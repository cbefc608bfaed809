//! The fake GitHub's state and handle: repositories, the App it trusts, issued tokens, request
//! counts and injected answers.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::auth::{AppVerifier, Tokens};
use super::faults::Injection;
use super::keys::{TEST_APP_ID, TEST_PUBLIC_KEY_PEM};
use super::oauth::{FakeInstallation, OAuthState};
use super::repo::FakeRepo;
use super::routes::router;

/// GitHub's installation token lifetime.
pub const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(3600);

/// How a fake GitHub authenticates its clients.
#[derive(Debug, Clone)]
pub struct FakeOptions {
    /// The App whose JWTs the token exchange accepts.
    pub app_id: u64,
    /// The App's public key (PEM).
    pub public_key_pem: String,
    /// A fixed token also accepted for every repository (the worker's local `GITHUB_TOKEN`).
    pub static_token: Option<String>,
}

impl Default for FakeOptions {
    /// The TEST-ONLY App of `tests/fixtures/github-app`, and no fixed token.
    fn default() -> Self {
        Self {
            app_id: TEST_APP_ID,
            public_key_pem: TEST_PUBLIC_KEY_PEM.to_owned(),
            static_token: None,
        }
    }
}

pub(crate) struct ServerState {
    pub repos: HashMap<String, Arc<FakeRepo>>,
    pub app: AppVerifier,
    pub static_token: Option<String>,
    pub tokens: Tokens,
    pub token_ttl: Duration,
    pub uninstalled: HashSet<u64>,
    pub tree_limit: Option<usize>,
    pub requests: Vec<(&'static str, Instant)>,
    pub credentials_seen: HashSet<String>,
    pub injections: Vec<Injection>,
    pub latency: Duration,
    pub oauth: OAuthState,
    pub url: String,
}

#[derive(Clone)]
pub(crate) struct Shared(Arc<Mutex<ServerState>>);

impl Shared {
    pub fn lock(&self) -> MutexGuard<'_, ServerState> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A running fake GitHub on a loopback port.
pub struct FakeGitHub {
    /// The base URL to give the worker as `GITHUB_API_URL`.
    pub url: String,
    shared: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeGitHub {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeGitHub {
    /// Starts a server on a free loopback port trusting the TEST-ONLY App.
    pub async fn start() -> std::io::Result<Self> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), FakeOptions::default()).await
    }

    /// Starts a server on `address` with `options`.
    pub async fn start_on(address: SocketAddr, options: FakeOptions) -> std::io::Result<Self> {
        let app = AppVerifier::new(options.app_id, &options.public_key_pem)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        let listener = tokio::net::TcpListener::bind(address).await?;
        let url = format!("http://{}", listener.local_addr()?);
        let shared = Shared(Arc::new(Mutex::new(ServerState {
            repos: HashMap::new(),
            app,
            static_token: options.static_token,
            tokens: Tokens::default(),
            token_ttl: DEFAULT_TOKEN_TTL,
            uninstalled: HashSet::new(),
            tree_limit: None,
            requests: Vec::new(),
            credentials_seen: HashSet::new(),
            injections: Vec::new(),
            latency: Duration::ZERO,
            oauth: OAuthState::default(),
            url: url.clone(),
        })));
        let app = router(shared.clone());
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "fake GitHub stopped");
            }
        });
        Ok(Self { url, shared, task })
    }

    /// Adds `latency` before every answer, like a real network round trip (benchmarks).
    pub fn set_latency(&self, latency: Duration) {
        self.shared.lock().latency = latency;
    }

    /// Serves `repo` (replacing one of the same name).
    pub fn add_repo(&self, repo: FakeRepo) {
        self.shared.lock().repos.insert(repo.full_name.to_ascii_lowercase(), Arc::new(repo));
    }

    /// Requests received so far for `endpoint` (`access_tokens`, `repo`, `commit`, `tree`,
    /// `blob`), whatever the answer.
    pub fn requests(&self, endpoint: &str) -> u64 {
        self.request_times(endpoint).len() as u64
    }

    /// When each request to `endpoint` arrived.
    pub fn request_times(&self, endpoint: &str) -> Vec<Instant> {
        self.shared
            .lock()
            .requests
            .iter()
            .filter(|(e, _)| *e == endpoint)
            .map(|(_, at)| *at)
            .collect()
    }

    /// Requests received so far in all.
    pub fn total_requests(&self) -> u64 {
        self.shared.lock().requests.len() as u64
    }

    /// Forgets the request counts, as if the server had just started.
    pub fn reset_counts(&self) {
        self.shared.lock().requests.clear();
    }

    /// Injects an answer for later requests (a [`super::Fault`] or an [`Injection`]).
    pub fn inject(&self, injection: impl Into<Injection>) {
        self.shared.lock().injections.push(injection.into());
    }

    /// How long tokens issued from now on live (and say they live): one hour by default.
    pub fn set_token_ttl(&self, ttl: Duration) {
        self.shared.lock().token_ttl = ttl;
    }

    /// Expires every installation token issued so far, as the hour running out would.
    pub fn expire_tokens(&self) {
        self.shared.lock().tokens.expire_all();
    }

    /// Cuts recursive tree listings after `limit` entries, marking them truncated.
    pub fn truncate_trees_after(&self, limit: usize) {
        self.shared.lock().tree_limit = Some(limit);
    }

    /// Makes the token exchange for `installation` answer 404, as after an uninstall.
    pub fn uninstall(&self, installation: u64) {
        self.shared.lock().uninstalled.insert(installation);
    }

    /// Every installation token issued so far.
    pub fn issued_tokens(&self) -> Vec<String> {
        self.shared.lock().tokens.all()
    }

    /// Whether `token` can clone `repository` (`owner/name`) at `commit`, as `git fetch` of
    /// that SHA over HTTPS with the token would: `Err` with git's kind of message otherwise.
    pub fn can_clone(&self, token: &str, repository: &str, commit: &str) -> Result<(), String> {
        let state = self.shared.lock();
        let name = repository.rsplit('/').next().unwrap_or_default();
        let fixed = state.static_token.as_deref() == Some(token);
        if !fixed {
            match state.tokens.check(token, name) {
                Ok(_) => {}
                Err(super::auth::Refusal::BadCredentials) => {
                    return Err(format!("Authentication failed for {repository}"));
                }
                Err(super::auth::Refusal::OutOfScope) => {
                    return Err(format!("repository {repository} not found"));
                }
            }
        }
        let repo = state
            .repos
            .get(&repository.to_ascii_lowercase())
            .ok_or_else(|| format!("repository {repository} not found"))?;
        if !repo.branches.values().any(|c| c.sha == commit) {
            return Err(format!("could not fetch commit {commit} of {repository}"));
        }
        Ok(())
    }

    /// A code for `user` as GitHub's redirect to the App's callback or setup URL carries it:
    /// single-use, accepted for ten minutes (see [`Self::set_code_ttl`]).
    pub fn authorize(&self, user: &str) -> String {
        self.shared.lock().oauth.authorize(user)
    }

    /// Lets `user`'s access tokens list `installation` (as an account member or its installer).
    pub fn grant_user(&self, user: &str, installation: FakeInstallation) {
        self.shared.lock().oauth.grant(user, installation);
    }

    /// The OAuth client id and secret the code exchange accepts (default: the test pair).
    pub fn set_oauth_client(&self, id: &str, secret: &str) {
        self.shared.lock().oauth.set_client(id, secret);
    }

    /// How long codes issued from now on are accepted (GitHub: ten minutes).
    pub fn set_code_ttl(&self, ttl: Duration) {
        self.shared.lock().oauth.set_code_ttl(ttl);
    }

    /// Every user access token issued so far.
    pub fn user_tokens(&self) -> Vec<String> {
        self.shared.lock().oauth.issued_tokens()
    }

    /// Codes issued and not yet exchanged.
    pub fn pending_codes(&self) -> usize {
        self.shared.lock().oauth.pending_codes()
    }

    /// Every bearer credential clients sent (App JWTs and tokens), for leak checks.
    pub fn credentials_seen(&self) -> Vec<String> {
        self.shared.lock().credentials_seen.iter().cloned().collect()
    }
}

/// A GitHub-style error answer.
pub(crate) fn message(status: StatusCode, text: &str) -> Response {
    (
        status,
        axum::Json(json!({ "message": text, "documentation_url": "https://docs.github.com/rest" })),
    )
        .into_response()
}

pub(crate) fn not_found() -> Response {
    message(StatusCode::NOT_FOUND, "Not Found")
}
