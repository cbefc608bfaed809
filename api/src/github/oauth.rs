//! Linking a WhaleRay user to App installations through GitHub's OAuth web flow.
//!
//! GitHub's setup URL carries `installation_id`, and GitHub warns that it can be spoofed, so it
//! is never trusted. The front end sends the `code` GitHub put on the callback or setup URL; it
//! is exchanged (`POST {GITHUB_OAUTH_URL}/login/oauth/access_token`, single-use, expiring after
//! ten minutes) for a user access token, which lists the installations the user can reach
//! (`GET {GITHUB_API_URL}/user/installations`, paged by `Link`). The token lives only inside
//! [`GitHubUsers::installations_for_code`]: it is never returned, logged or stored.

use std::time::Duration;

use async_trait::async_trait;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, AUTHORIZATION, LINK, USER_AGENT};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use whaleray_shared::{ErrorClass, InstallationId};

/// The REST API version the client is written against.
const API_VERSION: &str = "2022-11-28";
/// GitHub's largest page.
const PER_PAGE: u32 = 100;
/// At most this many pages of installations are read (10 000 installations).
const MAX_PAGES: usize = 100;

/// One installation the user can reach, as GitHub lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserInstallation {
    /// GitHub's installation id.
    pub id: InstallationId,
    /// The account's numeric id.
    pub account_id: u64,
    /// The account's login.
    pub account_login: String,
}

/// Why linking through GitHub failed.
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    /// The code is unknown, already used or older than ten minutes (`bad_verification_code`).
    #[error("the GitHub authorization code is incorrect, already used or expired")]
    BadCode,
    /// GitHub refused the exchange for another reason the user can act on.
    #[error("GitHub refused the authorization: {0}")]
    Refused(String),
    /// GitHub does not accept the App's client id and secret: a configuration error.
    #[error("GitHub does not accept the configured OAuth client id and secret")]
    ClientCredentials,
    /// GitHub answered something unexpected.
    #[error("GitHub answered {operation} with status {status}")]
    Status {
        /// What was asked.
        operation: &'static str,
        /// The status GitHub answered.
        status: u16,
    },
    /// GitHub could not be reached, or its answer could not be read.
    #[error("GitHub could not be reached for {operation}")]
    Transport {
        /// What was asked.
        operation: &'static str,
        /// The cause.
        #[source]
        source: reqwest::Error,
    },
    /// More installations than this client reads.
    #[error("the user can reach more than {0} installations")]
    TooMany(usize),
}

impl OAuthError {
    /// Whether trying again later can succeed.
    pub fn class(&self) -> ErrorClass {
        match self {
            Self::Transport { .. } => ErrorClass::Retryable,
            Self::Status { status, .. } if *status >= 500 || *status == 429 || *status == 403 => {
                ErrorClass::Retryable
            }
            _ => ErrorClass::Permanent,
        }
    }
}

/// What linking needs from GitHub: the installations the user who got `code` can reach.
#[async_trait]
pub trait UserInstallations: Send + Sync {
    /// Exchanges `code` and lists the user's installations of the App.
    async fn installations_for_code(&self, code: &str)
    -> Result<Vec<UserInstallation>, OAuthError>;
}

/// The App's OAuth client credentials.
#[derive(Debug, Clone)]
pub struct OAuthClient {
    /// The App's client id (`Iv1...`), public.
    pub client_id: String,
    /// The App's client secret.
    pub client_secret: SecretString,
}

/// GitHub over HTTPS.
#[derive(Debug, Clone)]
pub struct GitHubUsers {
    http: reqwest::Client,
    oauth_url: String,
    api_url: String,
    client: OAuthClient,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: Option<SecretString>,
    error: Option<String>,
    error_description: Option<String>,
}

#[derive(Deserialize)]
struct InstallationsPage {
    installations: Vec<InstallationItem>,
}

#[derive(Deserialize)]
struct InstallationItem {
    id: u64,
    account: Option<Account>,
}

#[derive(Deserialize)]
struct Account {
    id: u64,
    login: String,
}

impl GitHubUsers {
    /// A client for GitHub at `oauth_url` (`https://github.com`) and `api_url`
    /// (`https://api.github.com`).
    pub fn new(
        oauth_url: &str,
        api_url: &str,
        client: OAuthClient,
    ) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(3))
            .timeout(Duration::from_secs(8))
            .build()?;
        Ok(Self {
            http,
            oauth_url: oauth_url.trim_end_matches('/').to_owned(),
            api_url: api_url.trim_end_matches('/').to_owned(),
            client,
        })
    }

    async fn exchange(&self, code: &str) -> Result<SecretString, OAuthError> {
        const OPERATION: &str = "the code exchange";
        let transport = |source| OAuthError::Transport { operation: OPERATION, source };
        let response = self
            .http
            .post(format!("{}/login/oauth/access_token", self.oauth_url))
            .header(ACCEPT, "application/json")
            .header(USER_AGENT, "whaleray-api")
            .form(&[
                ("client_id", self.client.client_id.as_str()),
                ("client_secret", self.client.client_secret.expose_secret()),
                ("code", code),
            ])
            .send()
            .await
            .map_err(transport)?;
        if !response.status().is_success() {
            return Err(OAuthError::Status {
                operation: OPERATION,
                status: response.status().as_u16(),
            });
        }
        // GitHub answers its errors with status 200 and an `error` field.
        let answer: TokenAnswer = response.json().await.map_err(transport)?;
        match (answer.access_token, answer.error.as_deref()) {
            (Some(token), None) => Ok(token),
            (_, Some("bad_verification_code")) => Err(OAuthError::BadCode),
            (_, Some("incorrect_client_credentials")) => Err(OAuthError::ClientCredentials),
            (_, Some(other)) => Err(OAuthError::Refused(
                answer.error_description.unwrap_or_else(|| other.to_owned()),
            )),
            (None, None) => Err(OAuthError::Refused("no access token in GitHub's answer".into())),
        }
    }

    async fn list(&self, token: &SecretString) -> Result<Vec<UserInstallation>, OAuthError> {
        const OPERATION: &str = "the user's installations";
        let transport = |source| OAuthError::Transport { operation: OPERATION, source };
        let mut url = format!("{}/user/installations?per_page={PER_PAGE}", self.api_url);
        let mut found = Vec::new();
        for _ in 0..MAX_PAGES {
            let response = self
                .http
                .get(&url)
                .header(AUTHORIZATION, format!("Bearer {}", token.expose_secret()))
                .header(ACCEPT, "application/vnd.github+json")
                .header(USER_AGENT, "whaleray-api")
                .header("X-GitHub-Api-Version", API_VERSION)
                .send()
                .await
                .map_err(transport)?;
            if response.status() != StatusCode::OK {
                return Err(OAuthError::Status {
                    operation: OPERATION,
                    status: response.status().as_u16(),
                });
            }
            let next = next_link(response.headers().get(LINK).and_then(|v| v.to_str().ok()));
            let page: InstallationsPage = response.json().await.map_err(transport)?;
            for item in page.installations {
                let (Ok(id), Some(account)) = (InstallationId::new(item.id), item.account) else {
                    continue;
                };
                found.push(UserInstallation {
                    id,
                    account_id: account.id,
                    account_login: account.login,
                });
            }
            // Only links back to the configured API are followed: the token goes nowhere else.
            match next.filter(|n| n.starts_with(&format!("{}/", self.api_url))) {
                Some(next) => url = next,
                None => return Ok(found),
            }
        }
        Err(OAuthError::TooMany(MAX_PAGES * PER_PAGE as usize))
    }
}

#[async_trait]
impl UserInstallations for GitHubUsers {
    #[tracing::instrument(skip_all)]
    async fn installations_for_code(
        &self,
        code: &str,
    ) -> Result<Vec<UserInstallation>, OAuthError> {
        let token = self.exchange(code).await?;
        self.list(&token).await
    }
}

/// The `rel="next"` target of a `Link` header.
fn next_link(header: Option<&str>) -> Option<String> {
    header?.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        params
            .split(';')
            .any(|p| p.trim() == "rel=\"next\"")
            .then(|| target.trim().trim_start_matches('<').trim_end_matches('>').to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_link_is_found_among_others() {
        let header = r#"<https://api.github.com/user/installations?page=1>; rel="prev", <https://api.github.com/user/installations?page=3>; rel="next", <https://api.github.com/user/installations?page=9>; rel="last""#;
        assert_eq!(
            next_link(Some(header)).as_deref(),
            Some("https://api.github.com/user/installations?page=3")
        );
        assert_eq!(next_link(Some(r#"<https://x/y>; rel="last""#)), None);
        assert_eq!(next_link(None), None);
    }
}
