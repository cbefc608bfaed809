//! The HTTP side of the fake GitHub: routes, token check, request counts, fault injection.

use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use serde_json::json;

use super::repo::{FakeCommit, FakeRepo, blob_sha};

/// A failure to inject: the next `times` requests to `endpoint` get `status` and `headers`.
#[derive(Debug, Clone)]
pub struct Fault {
    /// `repo`, `commit`, `tree` or `blob`.
    pub endpoint: &'static str,
    /// The HTTP status to answer.
    pub status: u16,
    /// How many requests it applies to.
    pub times: u32,
    /// Extra headers, e.g. `retry-after`.
    pub headers: Vec<(String, String)>,
}

#[derive(Default)]
struct ServerState {
    repos: HashMap<String, FakeRepo>,
    token: String,
    counts: HashMap<&'static str, u64>,
    faults: Vec<Fault>,
}

#[derive(Clone)]
struct Shared(Arc<Mutex<ServerState>>);

impl Shared {
    fn lock(&self) -> MutexGuard<'_, ServerState> {
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
    /// Starts a server on a free loopback port that accepts `token`.
    pub async fn start(token: &str) -> std::io::Result<Self> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), token).await
    }

    /// Starts a server on `address` that accepts `token`.
    pub async fn start_on(address: SocketAddr, token: &str) -> std::io::Result<Self> {
        let shared = Shared(Arc::new(Mutex::new(ServerState {
            token: token.to_owned(),
            ..ServerState::default()
        })));
        let listener = tokio::net::TcpListener::bind(address).await?;
        let url = format!("http://{}", listener.local_addr()?);
        let app = router(shared.clone());
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "fake GitHub stopped");
            }
        });
        Ok(Self { url, shared, task })
    }

    /// Serves `repo` (replacing one of the same name).
    pub fn add_repo(&self, repo: FakeRepo) {
        self.shared
            .lock()
            .repos
            .insert(repo.full_name.to_ascii_lowercase(), repo);
    }

    /// Requests answered so far for `endpoint` (`repo`, `commit`, `tree`, `blob`).
    pub fn requests(&self, endpoint: &str) -> u64 {
        self.shared
            .lock()
            .counts
            .get(endpoint)
            .copied()
            .unwrap_or(0)
    }

    /// Requests answered so far in all.
    pub fn total_requests(&self) -> u64 {
        self.shared.lock().counts.values().sum()
    }

    /// Queues a fault for later requests.
    pub fn inject(&self, fault: Fault) {
        self.shared.lock().faults.push(fault);
    }
}

fn router(shared: Shared) -> Router {
    Router::new()
        .route("/repos/{owner}/{repo}", get(repo_info))
        .route("/repos/{owner}/{repo}/commits/{*reference}", get(commit))
        .route("/repos/{owner}/{repo}/git/trees/{sha}", get(tree))
        .route("/repos/{owner}/{repo}/git/blobs/{sha}", get(blob))
        .fallback(|| async { not_found() })
        .with_state(shared)
}

fn message(status: StatusCode, text: &str) -> Response {
    (
        status,
        axum::Json(json!({ "message": text, "documentation_url": "https://docs.github.com/rest" })),
    )
        .into_response()
}

fn not_found() -> Response {
    message(StatusCode::NOT_FOUND, "Not Found")
}

/// Token check, request count and fault injection, common to every endpoint: `Some` is the
/// answer that replaces the endpoint's own.
fn gate(shared: &Shared, headers: &HeaderMap, endpoint: &'static str) -> Option<Response> {
    let mut state = shared.lock();
    *state.counts.entry(endpoint).or_default() += 1;
    let expected = format!("Bearer {}", state.token);
    if headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        != Some(expected.as_str())
    {
        return Some(message(StatusCode::UNAUTHORIZED, "Bad credentials"));
    }
    if let Some(fault) = state
        .faults
        .iter_mut()
        .find(|f| f.endpoint == endpoint && f.times > 0)
    {
        fault.times -= 1;
        let status =
            StatusCode::from_u16(fault.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = message(status, "injected failure");
        for (name, value) in &fault.headers {
            if let (Ok(name), Ok(value)) = (
                HeaderName::try_from(name.as_str()),
                HeaderValue::from_str(value),
            ) {
                response.headers_mut().insert(name, value);
            }
        }
        return Some(response);
    }
    None
}

fn find_repo(shared: &Shared, owner: &str, name: &str) -> Option<FakeRepo> {
    shared
        .lock()
        .repos
        .get(&format!("{owner}/{name}").to_ascii_lowercase())
        .cloned()
}

fn accepts(headers: &HeaderMap, media: &str) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains(media))
}

async fn repo_info(
    State(shared): State<Shared>,
    Path((owner, name)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = gate(&shared, &headers, "repo") {
        return r;
    }
    match find_repo(&shared, &owner, &name) {
        Some(repo) => axum::Json(json!({ "full_name": repo.full_name, "default_branch": repo.default_branch, "private": true })).into_response(),
        None => not_found(),
    }
}

async fn commit(
    State(shared): State<Shared>,
    Path((owner, name, reference)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = gate(&shared, &headers, "commit") {
        return r;
    }
    let Some(repo) = find_repo(&shared, &owner, &name) else {
        return not_found();
    };
    let found = if reference == "HEAD" {
        repo.commit(None)
    } else {
        repo.commit(Some(&reference))
            .or_else(|| repo.branches.values().find(|c| c.sha == reference))
    };
    let Some(commit) = found else {
        return message(
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("No commit found for SHA: {reference}"),
        );
    };
    if accepts(&headers, "application/vnd.github.sha") {
        return commit.sha.clone().into_response();
    }
    axum::Json(json!({ "sha": commit.sha, "commit": { "tree": { "sha": commit.sha } } }))
        .into_response()
}

fn find_commit(repo: &FakeRepo, sha: &str) -> Option<FakeCommit> {
    repo.branches.values().find(|c| c.sha == sha).cloned()
}

async fn tree(
    State(shared): State<Shared>,
    Path((owner, name, sha)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = gate(&shared, &headers, "tree") {
        return r;
    }
    let Some(commit) = find_repo(&shared, &owner, &name).and_then(|repo| find_commit(&repo, &sha))
    else {
        return not_found();
    };
    let mut dirs = BTreeSet::new();
    let mut entries = Vec::new();
    for (path, contents) in &commit.files {
        let mut prefix = path.as_str();
        while let Some((parent, _)) = prefix.rsplit_once('/') {
            dirs.insert(parent.to_owned());
            prefix = parent;
        }
        entries.push(json!({ "path": path, "mode": "100644", "type": "blob", "sha": blob_sha(contents), "size": contents.len() }));
    }
    for dir in dirs {
        entries
            .push(json!({ "path": dir, "mode": "040000", "type": "tree", "sha": "0".repeat(40) }));
    }
    axum::Json(json!({ "sha": commit.sha, "tree": entries, "truncated": false })).into_response()
}

async fn blob(
    State(shared): State<Shared>,
    Path((owner, name, sha)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = gate(&shared, &headers, "blob") {
        return r;
    }
    let Some(repo) = find_repo(&shared, &owner, &name) else {
        return not_found();
    };
    let contents = repo
        .branches
        .values()
        .flat_map(|c| c.files.values())
        .find(|c| blob_sha(c) == sha)
        .cloned();
    let Some(contents) = contents else {
        return not_found();
    };
    if accepts(&headers, "application/vnd.github.raw") {
        return contents.into_response();
    }
    let encoded = base64::engine::general_purpose::STANDARD.encode(&contents);
    axum::Json(
        json!({ "sha": sha, "size": contents.len(), "encoding": "base64", "content": encoded }),
    )
    .into_response()
}
