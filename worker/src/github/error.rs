//! GitHub failures, classified once for the worker's retry logic.

use std::time::Duration;

use whaleray_shared::ErrorClass;

/// A failed GitHub call. Messages are written for the user who deployed.
#[derive(Debug, thiserror::Error)]
pub enum GitHubError {
    /// The credentials were refused (401).
    #[error("GitHub refused WhaleRay's credentials")]
    BadCredentials,
    /// 404: the repository is gone, the App lost access, or the branch does not exist.
    #[error(
        "GitHub could not find {0}: check that the repository and branch exist and that the WhaleRay App can access it"
    )]
    NotFound(String),
    /// 403 without rate-limit signs, or 422: the request cannot succeed as it is.
    #[error("GitHub refused the request for {what} ({status})")]
    Refused {
        /// What was asked for.
        what: String,
        /// The HTTP status.
        status: u16,
    },
    /// 429, or 403 with rate-limit headers: wait and try again.
    #[error("GitHub rate limit reached; retry in {0:?}")]
    RateLimited(Duration),
    /// 5xx: GitHub is having trouble.
    #[error("GitHub answered {0}")]
    Server(u16),
    /// No answer: timeouts, connection errors.
    #[error("could not reach GitHub")]
    Transport(#[source] reqwest::Error),
    /// GitHub answered 2xx with a body that is not what the API documents.
    #[error("GitHub's answer could not be read: {0}")]
    Unexpected(String),
}

impl GitHubError {
    /// Rate limits, 5xx and transport trouble are retryable; everything else is permanent.
    pub fn class(&self) -> ErrorClass {
        match self {
            Self::RateLimited(_) | Self::Server(_) | Self::Transport(_) => ErrorClass::Retryable,
            Self::BadCredentials
            | Self::NotFound(_)
            | Self::Refused { .. }
            | Self::Unexpected(_) => ErrorClass::Permanent,
        }
    }

    /// The wait GitHub asked for, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited(wait) => Some(*wait),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_table() {
        use ErrorClass::*;
        let cases = [
            (GitHubError::BadCredentials, Permanent),
            (GitHubError::NotFound("a/b".into()), Permanent),
            (
                GitHubError::Refused {
                    what: "a/b".into(),
                    status: 403,
                },
                Permanent,
            ),
            (GitHubError::RateLimited(Duration::from_secs(3)), Retryable),
            (GitHubError::Server(502), Retryable),
            (GitHubError::Unexpected("x".into()), Permanent),
        ];
        for (error, class) in cases {
            assert_eq!(error.class(), class, "{error}");
        }
        assert_eq!(
            GitHubError::RateLimited(Duration::from_secs(3)).retry_after(),
            Some(Duration::from_secs(3))
        );
    }
}
