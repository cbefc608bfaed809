//! The GitHub REST client. Its base URL comes from configuration, so tests point it at the
//! local fake server and the production code path stays the same.
//!
//! A single-package repository costs one request per step: resolve the branch to a commit,
//! the recursive tree of that commit, and each blob detection asks for; plus the token
//! exchange when no cached token is usable. A cached token GitHub refuses (401) is dropped,
//! exchanged once more and the request retried once; a second refusal is final.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::header::{ACCEPT, AUTHORIZATION, USER_AGENT};
use reqwest::{RequestBuilder, Response, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use whaleray_detect::MAX_FILE_BYTES;
use whaleray_shared::{CommitSha, GitRef, InstallationId, RepoFullName};

use super::classify::{Call, classify};
use super::tokens::{IssuedToken, Lease, Scope, TokenCache};
use super::tree::{self, Listing};
use super::{AppCredentials, GitHubError, RepoReader, SetupError, TreeEntry};
use crate::ports::{BuildToken, TokenMinter};

/// Characters escaped in a ref path segment: everything but unreserved characters and `/`.
const REF_SEGMENT: &AsciiSet =
    &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~').remove(b'/');
/// The REST API version the client is written against.
const API_VERSION: &str = "2022-11-28";
/// Below this many remaining requests in the window, each answer is logged as a warning.
const LOW_RATE_LIMIT: u64 = 100;

/// How the client authenticates.
pub enum Credentials {
    /// As the GitHub App, with installation tokens narrowed to one repository (production).
    App(AppCredentials),
    /// One fixed token for every installation (local use).
    Token(SecretString),
}

/// How long the client waits for GitHub.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// To open a connection.
    pub connect: Duration,
    /// For a whole request, body included.
    pub request: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self { connect: Duration::from_secs(5), request: Duration::from_secs(20) }
    }
}

enum Auth {
    App { credentials: AppCredentials, tokens: TokenCache },
    Token(SecretString),
}

/// A GitHub REST API client.
pub struct GitHubClient {
    http: reqwest::Client,
    base_url: String,
    auth: Auth,
}

impl std::fmt::Debug for GitHubClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let auth = match &self.auth {
            Auth::App { credentials, .. } => format!("app {}", credentials.app_id()),
            Auth::Token(_) => "token".to_owned(),
        };
        f.debug_struct("GitHubClient")
            .field("base_url", &self.base_url)
            .field("auth", &auth)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct TokenAnswer {
    token: SecretString,
    expires_at: DateTime<Utc>,
}

impl GitHubClient {
    /// A client for the API at `base_url` (no trailing slash) with the default timeouts.
    pub fn new(base_url: impl Into<String>, credentials: Credentials) -> Result<Self, SetupError> {
        Self::with_timeouts(base_url, credentials, Timeouts::default())
    }

    /// A client with explicit timeouts.
    pub fn with_timeouts(
        base_url: impl Into<String>,
        credentials: Credentials,
        timeouts: Timeouts,
    ) -> Result<Self, SetupError> {
        let http = reqwest::Client::builder()
            .connect_timeout(timeouts.connect)
            .timeout(timeouts.request)
            .build()
            .map_err(SetupError::Http)?;
        let auth = match credentials {
            Credentials::App(credentials) => {
                Auth::App { credentials, tokens: TokenCache::default() }
            }
            Credentials::Token(token) => Auth::Token(token),
        };
        Ok(Self { http, base_url: base_url.into().trim_end_matches('/').to_owned(), auth })
    }

    /// A GET of `path` with a token for `scope`, refreshing a refused cached token once.
    async fn get(
        &self,
        scope: &Scope,
        repo: &RepoFullName,
        call: Call<'_>,
        path: &str,
        accept: &str,
    ) -> Result<Response, GitHubError> {
        let lease = self.token(scope, repo).await?;
        let response = self.send_get(&lease.token, path, accept).await?;
        if response.status() != StatusCode::UNAUTHORIZED || !lease.cached {
            return check(response, &call).await;
        }
        tracing::info!(
            installation = %scope.installation,
            "GitHub refused a cached installation token; exchanging a new one"
        );
        self.forget(scope, lease.generation).await;
        let lease = self.token(scope, repo).await?;
        let response = self.send_get(&lease.token, path, accept).await?;
        check(response, &call).await
    }

    async fn send_get(
        &self,
        token: &SecretString,
        path: &str,
        accept: &str,
    ) -> Result<Response, GitHubError> {
        let request = self.http.get(format!("{}{path}", self.base_url));
        send(headers(request, token, accept)).await
    }

    /// A token for `scope`: the fixed one, or a cached or freshly exchanged installation token.
    async fn token(&self, scope: &Scope, repo: &RepoFullName) -> Result<Lease, GitHubError> {
        match &self.auth {
            Auth::Token(token) => Ok(Lease { token: token.clone(), generation: 0, cached: false }),
            Auth::App { credentials, tokens } => {
                tokens
                    .lease(scope, Utc::now(), || {
                        self.exchange(credentials, scope.installation, repo)
                    })
                    .await
            }
        }
    }

    async fn forget(&self, scope: &Scope, generation: u64) {
        if let Auth::App { tokens, .. } = &self.auth {
            tokens.forget(scope, generation).await;
        }
    }

    /// `POST /app/installations/{id}/access_tokens`, narrowed to `repo` and `contents: read`.
    #[tracing::instrument(skip_all, fields(%installation))]
    async fn exchange(
        &self,
        credentials: &AppCredentials,
        installation: InstallationId,
        repo: &RepoFullName,
    ) -> Result<IssuedToken, GitHubError> {
        let jwt = credentials.jwt(Utc::now()).map_err(GitHubError::Signing)?;
        let url = format!("{}/app/installations/{installation}/access_tokens", self.base_url);
        let body = serde_json::json!({
            "repositories": [repo.name()],
            "permissions": { "contents": "read" },
        });
        let request = headers(self.http.post(url), &jwt, "application/vnd.github+json").json(&body);
        let response = check(send(request).await?, &Call::Exchange { installation, repo }).await?;
        let bytes = response.bytes().await.map_err(GitHubError::transport)?;
        // serde's message could quote the body, and the body holds the token: say nothing more.
        let answer: TokenAnswer = serde_json::from_slice(&bytes).map_err(|_| {
            GitHubError::Unexpected("the installation token answer is malformed".into())
        })?;
        tracing::info!(expires_at = %answer.expires_at, "exchanged an installation token");
        Ok(IssuedToken { token: answer.token, expires_at: answer.expires_at })
    }

    /// One tree listing, recursive or not.
    async fn listing(
        &self,
        scope: &Scope,
        repo: &RepoFullName,
        tree_sha: &str,
        recursive: bool,
    ) -> Result<Listing, GitHubError> {
        if !is_hex(tree_sha) {
            return Err(GitHubError::Unexpected(format!(
                "tree sha {tree_sha:?} is not hexadecimal"
            )));
        }
        let query = if recursive { "?recursive=1" } else { "" };
        let path = format!("{}/git/trees/{tree_sha}{query}", repo_path(repo));
        let response = self
            .get(scope, repo, Call::Files { repo }, &path, "application/vnd.github+json")
            .await?;
        let bytes = response.bytes().await.map_err(GitHubError::transport)?;
        serde_json::from_slice(&bytes)
            .map_err(|e| GitHubError::Unexpected(format!("tree of {repo}: {e}")))
    }
}

fn headers(request: RequestBuilder, token: &SecretString, accept: &str) -> RequestBuilder {
    request
        .header(AUTHORIZATION, format!("Bearer {}", token.expose_secret()))
        .header(ACCEPT, accept)
        .header(USER_AGENT, "whaleray-worker")
        .header("X-GitHub-Api-Version", API_VERSION)
}

async fn send(request: RequestBuilder) -> Result<Response, GitHubError> {
    request.send().await.map_err(GitHubError::transport)
}

/// The response if it is a success; its classified error otherwise.
async fn check(response: Response, call: &Call<'_>) -> Result<Response, GitHubError> {
    let status = response.status();
    log_rate_limit(&response);
    if status.is_success() {
        return Ok(response);
    }
    let headers = response.headers().clone();
    // An unreadable error body is no reason to lose the status.
    let body = response.text().await.unwrap_or_default();
    let error = classify(call, status.as_u16(), &headers, &body, Utc::now().timestamp());
    tracing::debug!(status = status.as_u16(), error = %error, "GitHub answered with an error");
    Err(error)
}

fn log_rate_limit(response: &Response) {
    let remaining = response
        .headers()
        .get("x-ratelimit-remaining")
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    match remaining {
        Some(remaining) if remaining < LOW_RATE_LIMIT => {
            tracing::warn!(remaining, "GitHub rate limit nearly used up");
        }
        Some(remaining) => tracing::debug!(remaining, "GitHub rate limit"),
        None => {}
    }
}

fn repo_path(repo: &RepoFullName) -> String {
    format!("/repos/{}/{}", repo.owner(), repo.name())
}

fn is_hex(sha: &str) -> bool {
    !sha.is_empty() && sha.bytes().all(|b| b.is_ascii_hexdigit())
}

#[async_trait]
impl RepoReader for GitHubClient {
    #[tracing::instrument(skip_all, fields(%repo))]
    async fn resolve_commit(
        &self,
        installation: InstallationId,
        repo: &RepoFullName,
        branch: Option<&GitRef>,
    ) -> Result<CommitSha, GitHubError> {
        let scope = Scope::new(installation, repo);
        let reference = branch.map_or("HEAD".to_owned(), |b| {
            utf8_percent_encode(b.as_ref(), REF_SEGMENT).to_string()
        });
        let path = format!("{}/commits/{reference}", repo_path(repo));
        let call = Call::Commit { repo, branch };
        let response = self.get(&scope, repo, call, &path, "application/vnd.github.sha").await?;
        let text = response.text().await.map_err(GitHubError::transport)?;
        CommitSha::parse(text.trim()).map_err(|e| GitHubError::Unexpected(e.to_string()))
    }

    #[tracing::instrument(skip_all, fields(%repo, %commit))]
    async fn tree(
        &self,
        installation: InstallationId,
        repo: &RepoFullName,
        commit: &CommitSha,
    ) -> Result<Vec<TreeEntry>, GitHubError> {
        let scope = Scope::new(installation, repo);
        let listing = self.listing(&scope, repo, commit.as_ref(), true).await?;
        if !listing.truncated {
            return Ok(tree::files(listing));
        }
        tracing::info!(
            entries = listing.tree.len(),
            "GitHub truncated the recursive tree; walking its directories"
        );
        tree::complete(listing, |sha| {
            let scope = scope.clone();
            async move { self.listing(&scope, repo, &sha, false).await }
        })
        .await
    }

    /// Reads at most [`MAX_FILE_BYTES`] + 1 bytes: a longer blob is cut there, which the caller
    /// sees as too large, so no more than the cap is ever downloaded.
    #[tracing::instrument(skip_all, fields(%repo))]
    async fn blob(
        &self,
        installation: InstallationId,
        repo: &RepoFullName,
        blob_sha: &str,
    ) -> Result<Vec<u8>, GitHubError> {
        if !is_hex(blob_sha) {
            return Err(GitHubError::Unexpected(format!(
                "blob sha {blob_sha:?} is not hexadecimal"
            )));
        }
        let scope = Scope::new(installation, repo);
        let path = format!("{}/git/blobs/{blob_sha}", repo_path(repo));
        let mut response = self
            .get(&scope, repo, Call::Files { repo }, &path, "application/vnd.github.raw+json")
            .await?;
        let cap = usize::try_from(MAX_FILE_BYTES).unwrap_or(usize::MAX).saturating_add(1);
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(GitHubError::transport)? {
            let room = cap - bytes.len();
            bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
            if bytes.len() == cap {
                break;
            }
        }
        Ok(bytes)
    }
}

#[async_trait]
impl TokenMinter for GitHubClient {
    /// Always a new exchange, bypassing the cache: a build may wait in CodeBuild's queue, so
    /// its token must have its whole hour ahead of it. The local fixed token is handed over as
    /// it is.
    #[tracing::instrument(skip_all, fields(%repo))]
    async fn mint_build_token(
        &self,
        installation: InstallationId,
        repo: &RepoFullName,
    ) -> Result<BuildToken, GitHubError> {
        match &self.auth {
            Auth::Token(token) => Ok(BuildToken { token: token.clone(), expires_at: None }),
            Auth::App { credentials, .. } => {
                let issued = self.exchange(credentials, installation, repo).await?;
                Ok(BuildToken { token: issued.token, expires_at: Some(issued.expires_at) })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_branch_names_are_escaped_in_the_path() {
        let branch = GitRef::parse("zzz\";echo${IFS}\"hello\";#").unwrap();
        let encoded = utf8_percent_encode(branch.as_ref(), REF_SEGMENT).to_string();
        assert_eq!(encoded, "zzz%22%3Becho%24%7BIFS%7D%22hello%22%3B%23");
        let nested = GitRef::parse("feature/a-b_c.d").unwrap();
        assert_eq!(
            utf8_percent_encode(nested.as_ref(), REF_SEGMENT).to_string(),
            "feature/a-b_c.d"
        );
    }

    #[test]
    fn only_hexadecimal_shas_reach_a_url() {
        assert!(is_hex("0123456789abcdefABCDEF"));
        assert!(!is_hex(""));
        assert!(!is_hex("../../etc"));
        assert!(!is_hex("abc?recursive=1"));
    }

    #[test]
    fn debug_output_names_the_auth_kind_and_never_the_token() {
        let client = GitHubClient::new(
            "http://127.0.0.1:1/",
            Credentials::Token(SecretString::from("ghs_secret_value")),
        )
        .unwrap();
        let debug = format!("{client:?}");
        assert!(debug.contains("http://127.0.0.1:1\""), "{debug}");
        assert!(!debug.contains("ghs_secret_value"), "{debug}");
    }
}
