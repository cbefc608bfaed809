//! Turning a GitHub error answer into a [`GitHubError`], once, for every call.
//!
//! | answer | error | class | wait |
//! | --- | --- | --- | --- |
//! | 401 from the token exchange | `AppCredentialsRefused` | permanent | |
//! | 401 with a fresh installation token | `BadCredentials` (a cached one is first refreshed once) | permanent | |
//! | 404 | `NotFound` | permanent | |
//! | 409 / 422 on commit resolution (empty repository, no such branch) | `NotFound` | permanent | |
//! | 422 on the token exchange (repository not in the installation) | `NotFound` | permanent | |
//! | 403 with `Retry-After` | `RateLimited` | retryable | `Retry-After` |
//! | 403 with `x-ratelimit-remaining: 0` | `RateLimited` | retryable | until `x-ratelimit-reset` |
//! | 403 whose message names a (secondary) rate limit | `RateLimited` | retryable | 60 s |
//! | 403 otherwise | `Forbidden` | permanent | |
//! | 429 | `RateLimited` | retryable | `Retry-After`, else the reset, else 60 s |
//! | 5xx | `Server` | retryable | `Retry-After` if given |
//! | other 4xx | `Refused` | permanent | |
//! | timeout / connection failure | `Timeout` / `Transport` | retryable | |
//!
//! GitHub's documentation asks clients that see a secondary rate limit without either header
//! to wait at least a minute, hence the 60 s default.

use std::time::Duration;

use reqwest::header::HeaderMap;
use whaleray_shared::{GitRef, InstallationId, RepoFullName};

use super::GitHubError;

/// The wait when a rate-limit answer names none.
pub(crate) const DEFAULT_RATE_LIMIT_WAIT: Duration = Duration::from_secs(60);
/// The longest wait honoured; GitHub's primary limit resets within the hour.
const MAX_WAIT: Duration = Duration::from_secs(3600);
/// GitHub's explanation is kept to this many characters in user-facing messages.
const MAX_MESSAGE_CHARS: usize = 200;

/// What a request asked for, so an error can say it in words.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Call<'a> {
    /// `POST /app/installations/{id}/access_tokens`.
    Exchange {
        /// The installation.
        installation: InstallationId,
        /// The repository the token is narrowed to.
        repo: &'a RepoFullName,
    },
    /// `GET /repos/{owner}/{repo}/commits/{ref}`.
    Commit {
        /// The repository.
        repo: &'a RepoFullName,
        /// The branch; `None` is the default branch.
        branch: Option<&'a GitRef>,
    },
    /// `GET /repos/{owner}/{repo}/git/trees/{sha}` and `/git/blobs/{sha}`.
    Files {
        /// The repository.
        repo: &'a RepoFullName,
    },
}

impl Call<'_> {
    fn subject(&self) -> String {
        match self {
            Self::Exchange { repo, .. } | Self::Commit { repo, .. } | Self::Files { repo } => {
                format!("the repository {repo}")
            }
        }
    }

    /// What a 404 means for this call.
    fn missing(&self) -> String {
        match self {
            Self::Exchange { installation, .. } => format!(
                "the WhaleRay App installation {installation} (the App may have been uninstalled)"
            ),
            other => other.subject(),
        }
    }

    /// What a 409/422 means for this call, when it means "no such thing".
    fn unprocessable(&self, message: &str) -> Option<String> {
        match self {
            Self::Commit { repo, branch: Some(branch) } => {
                Some(format!("the branch \"{branch}\" of {repo}"))
            }
            Self::Commit { repo, branch: None } => {
                Some(format!("a commit on the default branch of {repo} (is it empty?)"))
            }
            Self::Exchange { .. } if message.to_ascii_lowercase().contains("permission") => None,
            Self::Exchange { repo, installation } => Some(format!(
                "the repository {repo} among those WhaleRay App installation {installation} can read"
            )),
            Self::Files { .. } => None,
        }
    }
}

/// The error for a non-2xx answer with `status`, `headers` and `body`, at Unix time `now`.
pub(crate) fn classify(
    call: &Call<'_>,
    status: u16,
    headers: &HeaderMap,
    body: &str,
    now: i64,
) -> GitHubError {
    let message = github_message(body);
    let wait = advertised_wait(headers, now);
    match status {
        401 if matches!(call, Call::Exchange { .. }) => GitHubError::AppCredentialsRefused,
        401 => GitHubError::BadCredentials,
        404 => GitHubError::NotFound(call.missing()),
        409 | 422 => match call.unprocessable(&message) {
            Some(subject) => GitHubError::NotFound(subject),
            None => refused(call, status, message),
        },
        403 if wait.is_some() || names_rate_limit(&message) => {
            GitHubError::RateLimited { wait: wait.unwrap_or(DEFAULT_RATE_LIMIT_WAIT) }
        }
        403 => GitHubError::Forbidden { what: call.subject(), message },
        429 => GitHubError::RateLimited { wait: wait.unwrap_or(DEFAULT_RATE_LIMIT_WAIT) },
        500..=599 => GitHubError::Server { status, wait },
        _ => refused(call, status, message),
    }
}

fn refused(call: &Call<'_>, status: u16, message: String) -> GitHubError {
    GitHubError::Refused { what: call.subject(), status, message }
}

fn names_rate_limit(message: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    lower.contains("rate limit") || lower.contains("abuse detection")
}

/// GitHub's `message` field, or the start of the body, as one short printable line.
fn github_message(body: &str) -> String {
    let message = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("message")?.as_str().map(str::to_owned))
        .unwrap_or_else(|| body.to_owned());
    let line: String = message
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_MESSAGE_CHARS)
        .collect();
    let line = line.trim();
    if line.is_empty() { "no explanation given".to_owned() } else { line.to_owned() }
}

/// The wait a rate-limit answer asks for: `Retry-After` seconds, or the time until
/// `x-ratelimit-reset` when `x-ratelimit-remaining` is 0; at least 1 s, at most an hour.
pub(crate) fn advertised_wait(headers: &HeaderMap, now: i64) -> Option<Duration> {
    let number = |name: &str| headers.get(name)?.to_str().ok()?.trim().parse::<i64>().ok();
    let seconds = match number("retry-after") {
        Some(seconds) => seconds,
        None if number("x-ratelimit-remaining") == Some(0) => number("x-ratelimit-reset")? - now,
        None => return None,
    };
    let seconds = u64::try_from(seconds).unwrap_or(0).max(1);
    Some(Duration::from_secs(seconds).min(MAX_WAIT))
}

#[cfg(test)]
mod tests {
    use super::*;
    use whaleray_shared::ErrorClass::{self, Permanent, Retryable};

    const NOW: i64 = 1_700_000_000;

    fn repo() -> RepoFullName {
        RepoFullName::parse("acme/site").unwrap()
    }

    fn headers(pairs: &[(&'static str, String)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    /// One row of the table: the error's class, its wait, and a word its message must hold.
    fn check(
        call: Call<'_>,
        status: u16,
        head: &[(&'static str, String)],
        body: &str,
        class: ErrorClass,
        wait: Option<u64>,
        says: &str,
    ) {
        let error = classify(&call, status, &headers(head), body, NOW);
        assert_eq!(error.class(), class, "{status} {head:?} {body}: {error}");
        assert_eq!(
            error.retry_after(),
            wait.map(Duration::from_secs),
            "{status} {head:?}: {error}"
        );
        assert!(error.to_string().contains(says), "{status}: {error:?} should say {says:?}");
    }

    #[test]
    fn the_classification_table_holds() {
        let repo = repo();
        let dev = GitRef::parse("dev").unwrap();
        let installation = InstallationId::new(42).unwrap();
        let exchange = Call::Exchange { installation, repo: &repo };
        let commit = Call::Commit { repo: &repo, branch: Some(&dev) };
        let head = Call::Commit { repo: &repo, branch: None };
        let files = Call::Files { repo: &repo };
        let reset = |s: i64| {
            vec![
                ("x-ratelimit-remaining", "0".to_owned()),
                ("x-ratelimit-reset", (NOW + s).to_string()),
            ]
        };
        let retry_after = |s: u64| vec![("retry-after", s.to_string())];
        let secondary = r#"{"message":"You have exceeded a secondary rate limit. Please wait."}"#;
        let denied = r#"{"message":"Resource not accessible by integration"}"#;

        check(exchange, 401, &[], "", Permanent, None, "App id and private key");
        check(files, 401, &[], "", Permanent, None, "installation token");
        check(files, 404, &[], "", Permanent, None, "could not find the repository acme/site");
        check(exchange, 404, &[], "", Permanent, None, "installation 42");
        check(
            exchange,
            422,
            &[],
            "{}",
            Permanent,
            None,
            "could not find the repository acme/site among",
        );
        check(
            exchange,
            422,
            &[],
            r#"{"message":"The permissions requested are not granted"}"#,
            Permanent,
            None,
            "(422)",
        );
        check(
            commit,
            422,
            &[],
            r#"{"message":"No commit found for SHA: dev"}"#,
            Permanent,
            None,
            "the branch \"dev\"",
        );
        check(
            head,
            409,
            &[],
            r#"{"message":"Git Repository is empty."}"#,
            Permanent,
            None,
            "default branch",
        );
        check(files, 422, &[], r#"{"message":"bad"}"#, Permanent, None, "(422): bad");
        check(files, 403, &[], denied, Permanent, None, "Resource not accessible by integration");
        check(files, 403, &reset(30), "{}", Retryable, Some(30), "rate limit");
        check(files, 403, &retry_after(7), secondary, Retryable, Some(7), "rate limit");
        check(files, 403, &[], secondary, Retryable, Some(60), "retrying in 60 s");
        check(
            files,
            403,
            &[("x-ratelimit-remaining", "12".into())],
            denied,
            Permanent,
            None,
            "denied",
        );
        check(files, 429, &retry_after(2), "", Retryable, Some(2), "rate limit");
        check(files, 429, &reset(5), "", Retryable, Some(5), "rate limit");
        check(files, 429, &[], "", Retryable, Some(60), "rate limit");
        check(files, 500, &[], "", Retryable, None, "500");
        check(files, 502, &[], "<html>bad gateway</html>", Retryable, None, "502");
        check(files, 503, &retry_after(4), "", Retryable, Some(4), "503");
        check(files, 400, &[], "not json", Permanent, None, "(400): not json");
    }

    #[test]
    fn waits_are_clamped_between_one_second_and_an_hour() {
        let past = headers(&[
            ("x-ratelimit-remaining", "0".into()),
            ("x-ratelimit-reset", (NOW - 10).to_string()),
        ]);
        assert_eq!(advertised_wait(&past, NOW), Some(Duration::from_secs(1)));
        let far = headers(&[("retry-after", "999999".into())]);
        assert_eq!(advertised_wait(&far, NOW), Some(MAX_WAIT));
        let garbage = headers(&[("retry-after", "soon".into())]);
        assert_eq!(advertised_wait(&garbage, NOW), None);
    }

    #[test]
    fn github_messages_are_one_short_printable_line() {
        let long = format!(r#"{{"message":"line\none {}"}}"#, "x".repeat(500));
        let message = github_message(&long);
        assert!(!message.contains('\n'));
        assert_eq!(message.chars().count(), MAX_MESSAGE_CHARS);
        assert_eq!(github_message("   "), "no explanation given");
    }
}
