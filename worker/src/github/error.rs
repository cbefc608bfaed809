//! GitHub failures, classified once for the worker's retry logic, and the start-up failures of
//! the GitHub client.
//!
//! Messages of [`GitHubError`] end up in the deployment's `reason` or `lastError`, so they are
//! written for the user who deployed. None of them carries a token, a JWT or key material.

use std::time::Duration;

use whaleray_shared::ErrorClass;
use whaleray_shared::error::AwsError;

/// A failed GitHub call.
#[derive(Debug, thiserror::Error)]
pub enum GitHubError {
    /// The token exchange refused the App's JWT (401): the App id or private key is wrong.
    #[error(
        "GitHub refused the WhaleRay App's credentials; the WhaleRay operators must check the App id and private key"
    )]
    AppCredentialsRefused,
    /// An installation token was refused (401) even though it had just been issued.
    #[error("GitHub refused WhaleRay's installation token")]
    BadCredentials,
    /// 404 (and the 409/422 answers that mean "no such thing"): the repository is gone, the
    /// App was uninstalled or lost access, or the branch does not exist.
    #[error(
        "GitHub could not find {0}: check that the repository and branch exist and that the WhaleRay App is installed with access to it"
    )]
    NotFound(String),
    /// 403 without any rate-limit sign: access is denied and retrying will not help.
    #[error("GitHub denied access to {what}: {message}")]
    Forbidden {
        /// What was asked for.
        what: String,
        /// GitHub's explanation.
        message: String,
    },
    /// Any other 4xx: the request cannot succeed as it is.
    #[error("GitHub refused the request for {what} ({status}): {message}")]
    Refused {
        /// What was asked for.
        what: String,
        /// The HTTP status.
        status: u16,
        /// GitHub's explanation.
        message: String,
    },
    /// 429, or 403 with rate-limit signs (primary or secondary limit): wait, then try again.
    #[error("GitHub rate limit reached; retrying in {} s", wait.as_secs())]
    RateLimited {
        /// The wait `Retry-After` or `x-ratelimit-reset` asked for (60 s when neither did).
        wait: Duration,
    },
    /// 5xx: GitHub is having trouble.
    #[error("GitHub answered {status}")]
    Server {
        /// The HTTP status.
        status: u16,
        /// The wait `Retry-After` asked for, if it did.
        wait: Option<Duration>,
    },
    /// GitHub did not answer in time.
    #[error("GitHub did not answer in time")]
    Timeout(#[source] reqwest::Error),
    /// No answer at all: connection refused or reset, DNS, TLS.
    #[error("could not reach GitHub")]
    Transport(#[source] reqwest::Error),
    /// GitHub answered 2xx with a body that is not what the API documents.
    #[error("GitHub's answer could not be read: {0}")]
    Unexpected(String),
    /// The App JWT could not be signed; the key was checked at start-up, so this is a bug.
    #[error("the WhaleRay App's request to GitHub could not be signed")]
    Signing(#[source] jsonwebtoken::errors::Error),
}

impl GitHubError {
    /// Rate limits, 5xx, timeouts and transport trouble are retryable; everything else is
    /// permanent (see the table in `classify.rs`).
    pub fn class(&self) -> ErrorClass {
        match self {
            Self::RateLimited { .. }
            | Self::Server { .. }
            | Self::Timeout(_)
            | Self::Transport(_) => ErrorClass::Retryable,
            Self::AppCredentialsRefused
            | Self::BadCredentials
            | Self::NotFound(_)
            | Self::Forbidden { .. }
            | Self::Refused { .. }
            | Self::Unexpected(_)
            | Self::Signing(_) => ErrorClass::Permanent,
        }
    }

    /// The wait GitHub asked for before the next try, if it asked.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { wait } => Some(*wait),
            Self::Server { wait, .. } => *wait,
            _ => None,
        }
    }

    /// A transport failure, told apart from a timeout.
    pub(crate) fn transport(error: reqwest::Error) -> Self {
        if error.is_timeout() { Self::Timeout(error) } else { Self::Transport(error) }
    }
}

/// Why the GitHub client could not be built at start-up.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// Secrets Manager did not hand out the App's private key.
    #[error("could not read the GitHub App private key from Secrets Manager secret {arn}")]
    SecretUnreadable {
        /// The secret's ARN.
        arn: String,
        /// The SDK failure.
        #[source]
        source: AwsError,
    },
    /// The secret has no text value (the PEM must be stored as the secret string).
    #[error("Secrets Manager secret {arn} holds no text; store the App's PEM as the secret string")]
    SecretNotText {
        /// The secret's ARN.
        arn: String,
    },
    /// The private key is not an RSA private key in PEM form.
    #[error("the GitHub App private key from {origin} is not an RSA private key in PEM form")]
    InvalidKey {
        /// Where the key came from (a variable name or a secret ARN), never the key itself.
        origin: String,
    },
    /// The HTTP client could not be built (no TLS roots, for instance).
    #[error("could not build the HTTP client for GitHub")]
    Http(#[source] reqwest::Error),
}

impl SetupError {
    /// A Secrets Manager outage is retryable; a wrong key or secret is not.
    pub fn class(&self) -> ErrorClass {
        match self {
            Self::SecretUnreadable { source, .. } => source.class,
            Self::SecretNotText { .. } | Self::InvalidKey { .. } | Self::Http(_) => {
                ErrorClass::Permanent
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_rate_limits_server_errors_and_transport_trouble_are_retryable() {
        use ErrorClass::*;
        let cases = [
            (GitHubError::AppCredentialsRefused, Permanent),
            (GitHubError::BadCredentials, Permanent),
            (GitHubError::NotFound("a/b".into()), Permanent),
            (GitHubError::Forbidden { what: "a/b".into(), message: "no".into() }, Permanent),
            (
                GitHubError::Refused { what: "a/b".into(), status: 400, message: "no".into() },
                Permanent,
            ),
            (GitHubError::RateLimited { wait: Duration::from_secs(3) }, Retryable),
            (GitHubError::Server { status: 502, wait: None }, Retryable),
            (GitHubError::Unexpected("x".into()), Permanent),
        ];
        for (error, class) in cases {
            assert_eq!(error.class(), class, "{error}");
        }
    }

    #[test]
    fn retry_after_is_the_advertised_wait() {
        let wait = Duration::from_secs(3);
        assert_eq!(GitHubError::RateLimited { wait }.retry_after(), Some(wait));
        assert_eq!(GitHubError::Server { status: 503, wait: Some(wait) }.retry_after(), Some(wait));
        assert_eq!(GitHubError::NotFound("x".into()).retry_after(), None);
    }
}
