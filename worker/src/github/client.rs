//! The GitHub REST client. Its base URL comes from configuration, so tests point it at the
//! local fake server and the production code path stays the same.

use std::time::Duration;

use async_trait::async_trait;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderMap, USER_AGENT};
use reqwest::{Response, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use whaleray_shared::{CommitSha, GitRef, InstallationId, RepoFullName};

use super::{GitHubError, RepoReader, TreeEntry};

/// Characters escaped in a ref path segment: everything but unreserved characters and `/`.
const REF_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/');

/// A GitHub REST API client authenticated with one token.
#[derive(Clone)]
pub struct GitHubClient {
    http: reqwest::Client,
    base_url: String,
    token: SecretString,
}

impl std::fmt::Debug for GitHubClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitHubClient")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct TreeResponse {
    tree: Vec<TreeItem>,
    #[serde(default)]
    truncated: bool,
}

#[derive(Deserialize)]
struct TreeItem {
    path: String,
    #[serde(rename = "type")]
    kind: String,
    sha: String,
    #[serde(default)]
    size: u64,
}

impl GitHubClient {
    /// A client for the API at `base_url` (no trailing slash) using `token`.
    pub fn new(base_url: impl Into<String>, token: SecretString) -> Result<Self, GitHubError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(20))
            .build()
            .map_err(GitHubError::Transport)?;
        Ok(Self {
            http,
            base_url: base_url.into(),
            token,
        })
    }

    async fn get(&self, path: &str, accept: &str) -> Result<Response, GitHubError> {
        let response = self
            .http
            .get(format!("{}{path}", self.base_url))
            .header(
                AUTHORIZATION,
                format!("Bearer {}", self.token.expose_secret()),
            )
            .header(ACCEPT, accept)
            .header(USER_AGENT, "whaleray-worker")
            .header("X-GitHub-Api-Version", "2022-11-28")
            .send()
            .await
            .map_err(GitHubError::Transport)?;
        check_status(response, path).await
    }
}

async fn check_status(response: Response, what: &str) -> Result<Response, GitHubError> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let wait = advertised_wait(response.headers());
    Err(match status {
        StatusCode::UNAUTHORIZED => GitHubError::BadCredentials,
        StatusCode::NOT_FOUND => GitHubError::NotFound(what.to_owned()),
        StatusCode::TOO_MANY_REQUESTS => {
            GitHubError::RateLimited(wait.unwrap_or(Duration::from_secs(60)))
        }
        StatusCode::FORBIDDEN if wait.is_some() => {
            GitHubError::RateLimited(wait.unwrap_or_default())
        }
        s if s.is_server_error() => GitHubError::Server(s.as_u16()),
        s => GitHubError::Refused {
            what: what.to_owned(),
            status: s.as_u16(),
        },
    })
}

/// The wait a rate-limit answer asks for: `Retry-After` seconds, or the time until
/// `x-ratelimit-reset` when `x-ratelimit-remaining` is 0.
fn advertised_wait(headers: &HeaderMap) -> Option<Duration> {
    let number = |name: &str| headers.get(name)?.to_str().ok()?.trim().parse::<u64>().ok();
    if let Some(seconds) = number("retry-after") {
        return Some(Duration::from_secs(seconds));
    }
    if number("x-ratelimit-remaining") == Some(0) {
        let reset = number("x-ratelimit-reset")?;
        let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap_or(0);
        return Some(Duration::from_secs(reset.saturating_sub(now).max(1)));
    }
    None
}

fn repo_path(repo: &RepoFullName) -> String {
    format!("/repos/{}/{}", repo.owner(), repo.name())
}

#[async_trait]
impl RepoReader for GitHubClient {
    async fn resolve_commit(
        &self,
        _installation: InstallationId,
        repo: &RepoFullName,
        branch: Option<&GitRef>,
    ) -> Result<CommitSha, GitHubError> {
        let reference = branch.map_or("HEAD".to_owned(), |b| {
            utf8_percent_encode(b.as_ref(), REF_SEGMENT).to_string()
        });
        let path = format!("{}/commits/{reference}", repo_path(repo));
        let text = self
            .get(&path, "application/vnd.github.sha")
            .await?
            .text()
            .await
            .map_err(GitHubError::Transport)?;
        CommitSha::parse(text.trim()).map_err(|e| GitHubError::Unexpected(e.to_string()))
    }

    async fn tree(
        &self,
        _installation: InstallationId,
        repo: &RepoFullName,
        commit: &CommitSha,
    ) -> Result<Vec<TreeEntry>, GitHubError> {
        let path = format!("{}/git/trees/{commit}?recursive=1", repo_path(repo));
        let response: TreeResponse = self
            .get(&path, "application/vnd.github+json")
            .await?
            .json()
            .await
            .map_err(|e| GitHubError::Unexpected(format!("tree of {repo}: {e}")))?;
        if response.truncated {
            tracing::warn!(%repo, "GitHub truncated the tree; detection sees part of it");
        }
        Ok(response
            .tree
            .into_iter()
            .filter(|item| item.kind == "blob")
            .map(|item| TreeEntry {
                path: item.path,
                sha: item.sha,
                size: item.size,
            })
            .collect())
    }

    async fn blob(
        &self,
        _installation: InstallationId,
        repo: &RepoFullName,
        blob_sha: &str,
    ) -> Result<Vec<u8>, GitHubError> {
        if !blob_sha.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(GitHubError::Unexpected(format!(
                "blob sha {blob_sha:?} is not hexadecimal"
            )));
        }
        let path = format!("{}/git/blobs/{blob_sha}", repo_path(repo));
        let bytes = self
            .get(&path, "application/vnd.github.raw+json")
            .await?
            .bytes()
            .await
            .map_err(GitHubError::Transport)?;
        Ok(bytes.to_vec())
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
    fn rate_limit_waits_come_from_retry_after_or_the_reset_time() {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", "7".parse().unwrap());
        assert_eq!(advertised_wait(&headers), Some(Duration::from_secs(7)));
        let mut headers = HeaderMap::new();
        headers.insert("x-ratelimit-remaining", "0".parse().unwrap());
        let reset = chrono::Utc::now().timestamp() + 30;
        headers.insert("x-ratelimit-reset", reset.to_string().parse().unwrap());
        let wait = advertised_wait(&headers).unwrap();
        assert!(
            wait <= Duration::from_secs(30) && wait >= Duration::from_secs(28),
            "{wait:?}"
        );
        let mut headers = HeaderMap::new();
        headers.insert("x-ratelimit-remaining", "10".parse().unwrap());
        assert_eq!(advertised_wait(&headers), None);
    }
}
