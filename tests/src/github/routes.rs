//! The fake's endpoints: the token exchange and the repository reads the worker uses, each
//! behind one gate that counts the request, applies injections and checks the credential.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use serde::Deserialize;
use serde_json::json;

use super::auth::Refusal;
use super::repo::{FakeCommit, FakeRepo};
use super::server::{Shared, message, not_found};
use super::trees;

pub(crate) fn router(shared: Shared) -> Router {
    Router::new()
        .route("/app/installations/{installation}/access_tokens", post(access_tokens))
        .route("/repos/{owner}/{repo}", get(repo_info))
        .route("/repos/{owner}/{repo}/commits/{*reference}", get(commit))
        .route("/repos/{owner}/{repo}/git/trees/{sha}", get(tree))
        .route("/repos/{owner}/{repo}/git/blobs/{sha}", get(blob))
        .merge(super::oauth::routes())
        .fallback(|| async { not_found() })
        .with_state(shared)
}

/// Who a request must authenticate as.
pub(crate) enum Caller<'a> {
    /// Checked by the endpoint itself (the OAuth client secret, a user token).
    Open,
    /// The App itself, with a JWT.
    App,
    /// An installation token that may read repository `name` (or the fixed token).
    Reader(&'a str),
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("token "))
}

/// Counts the request, applies the first pending injection for `endpoint` (delay, token
/// expiry), checks the credential, then answers the injected status if there is one. `Some` is
/// the answer that replaces the endpoint's own.
pub(crate) async fn gate(
    shared: &Shared,
    headers: &HeaderMap,
    endpoint: &'static str,
    caller: Caller<'_>,
) -> Option<Response> {
    let latency = shared.lock().latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let injection = {
        let mut state = shared.lock();
        state.requests.push((endpoint, Instant::now()));
        if let Some(credential) = bearer(headers) {
            state.credentials_seen.insert(credential.to_owned());
        }
        state.injections.iter_mut().find(|i| i.endpoint == endpoint && i.times > 0).map(|i| {
            i.times -= 1;
            i.clone()
        })
    };
    if let Some(delay) = injection.as_ref().and_then(|i| i.delay_before_answer()) {
        tokio::time::sleep(delay).await;
    }
    let mut state = shared.lock();
    if injection.as_ref().is_some_and(|i| i.expires_tokens()) {
        state.tokens.expire_all();
    }
    let now = chrono::Utc::now().timestamp();
    let credential = bearer(headers).unwrap_or_default();
    let refused = match caller {
        Caller::Open => None,
        Caller::App => state
            .app
            .verify(credential, now)
            .err()
            .map(|why| message(StatusCode::UNAUTHORIZED, why)),
        Caller::Reader(_) if state.static_token.as_deref() == Some(credential) => None,
        Caller::Reader(name) => match state.tokens.check(credential, name) {
            Ok(_) => None,
            Err(Refusal::BadCredentials) => {
                Some(message(StatusCode::UNAUTHORIZED, "Bad credentials"))
            }
            Err(Refusal::OutOfScope) => Some(not_found()),
        },
    };
    refused.or_else(|| injection.and_then(|i| i.answer(now)))
}

#[derive(Deserialize, Default)]
struct ExchangeBody {
    repositories: Option<Vec<String>>,
    permissions: Option<serde_json::Value>,
}

async fn access_tokens(
    State(shared): State<Shared>,
    Path(installation): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = gate(&shared, &headers, "access_tokens", Caller::App).await {
        return r;
    }
    let Ok(installation) = installation.parse::<u64>() else {
        return not_found();
    };
    let body: ExchangeBody = if body.is_empty() {
        ExchangeBody::default()
    } else {
        match serde_json::from_slice(&body) {
            Ok(body) => body,
            Err(_) => return message(StatusCode::BAD_REQUEST, "Problems parsing JSON"),
        }
    };
    let mut state = shared.lock();
    if state.uninstalled.contains(&installation) {
        return not_found();
    }
    // GitHub refuses to narrow a token to a repository the installation cannot read: the
    // fake's installation reads the repositories it serves.
    let served = |name: &str| {
        let suffix = format!("/{}", name.to_ascii_lowercase());
        state.repos.keys().any(|full| full.ends_with(&suffix))
    };
    if body.repositories.as_ref().is_some_and(|names| !names.iter().all(|n| served(n))) {
        return message(
            StatusCode::UNPROCESSABLE_ENTITY,
            "There is at least one repository that does not exist or is not accessible to the parent installation.",
        );
    }
    let ttl = state.token_ttl;
    let token = state.tokens.issue(body.repositories.clone(), ttl);
    let expires_at = chrono::Utc::now()
        + chrono::TimeDelta::from_std(ttl).unwrap_or(chrono::TimeDelta::hours(1));
    let permissions =
        body.permissions.unwrap_or_else(|| json!({ "contents": "read", "metadata": "read" }));
    let selection = if body.repositories.is_some() { "selected" } else { "all" };
    (
        StatusCode::CREATED,
        axum::Json(json!({
            "token": token,
            "expires_at": expires_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "permissions": permissions,
            "repository_selection": selection,
        })),
    )
        .into_response()
}

/// The repository, shared with the server's state: never copied per request.
fn find_repo(shared: &Shared, owner: &str, name: &str) -> Option<Arc<FakeRepo>> {
    shared.lock().repos.get(&format!("{owner}/{name}").to_ascii_lowercase()).cloned()
}

fn accepts(headers: &HeaderMap, media: &str) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains(media))
}

async fn repo_info(
    State(shared): State<Shared>,
    Path((owner, name)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = gate(&shared, &headers, "repo", Caller::Reader(&name)).await {
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
    if let Some(r) = gate(&shared, &headers, "commit", Caller::Reader(&name)).await {
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
    let tree = trees::tree_sha(&commit.sha, "");
    axum::Json(json!({ "sha": commit.sha, "commit": { "tree": { "sha": tree } } })).into_response()
}

/// The commit of `repo` holding tree `sha`, and the directory it names.
fn find_tree<'a>(repo: &'a FakeRepo, sha: &str) -> Option<(&'a FakeCommit, String)> {
    repo.branches.values().find_map(|c| trees::dir_of(c, sha).map(|dir| (c, dir)))
}

async fn tree(
    State(shared): State<Shared>,
    Path((owner, name, sha)): Path<(String, String, String)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = gate(&shared, &headers, "tree", Caller::Reader(&name)).await {
        return r;
    }
    let Some(repo) = find_repo(&shared, &owner, &name) else {
        return not_found();
    };
    let Some((commit, dir)) = find_tree(&repo, &sha) else {
        return not_found();
    };
    // GitHub lists recursively whenever the parameter is present, whatever its value.
    let recursive = query.contains_key("recursive");
    let limit = if recursive { shared.lock().tree_limit } else { None };
    axum::Json(trees::listing(commit, &dir, recursive, limit)).into_response()
}

async fn blob(
    State(shared): State<Shared>,
    Path((owner, name, sha)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = gate(&shared, &headers, "blob", Caller::Reader(&name)).await {
        return r;
    }
    let Some(repo) = find_repo(&shared, &owner, &name) else {
        return not_found();
    };
    // Looked up in each commit's index by SHA; only the answer's own bytes are copied.
    let Some(contents) = repo.branches.values().find_map(|c| c.blob(&sha)) else {
        return not_found();
    };
    if accepts(&headers, "application/vnd.github.raw") {
        return contents.to_vec().into_response();
    }
    let encoded = base64::engine::general_purpose::STANDARD.encode(contents);
    axum::Json(
        json!({ "sha": sha, "size": contents.len(), "encoding": "base64", "content": encoded }),
    )
    .into_response()
}
