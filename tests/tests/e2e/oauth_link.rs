//! The API's OAuth client against the fake GitHub's code exchange and `/user/installations`:
//! GitHub's rules (single-use codes expiring after ten minutes, client credentials, errors
//! answered with status 200, pages of at most 100 linked by `Link`) hold on both sides.

use std::time::Duration;

use secrecy::SecretString;
use whaleray_api::github::oauth::{GitHubUsers, OAuthClient, OAuthError, UserInstallations};
use whaleray_shared::ErrorClass;
use whaleray_tests::github::{
    FakeGitHub, FakeInstallation, Injection, TEST_CLIENT_ID, TEST_CLIENT_SECRET,
};

fn installation(id: u64, login: &str) -> FakeInstallation {
    FakeInstallation {
        id,
        account_id: id + 10_000,
        account_login: login.to_owned(),
        repositories: None,
        suspended: false,
    }
}

fn client(github: &FakeGitHub, secret: &str) -> GitHubUsers {
    let app = OAuthClient {
        client_id: TEST_CLIENT_ID.to_owned(),
        client_secret: SecretString::from(secret.to_owned()),
    };
    GitHubUsers::new(&github.url, &github.url, app).unwrap()
}

#[tokio::test]
async fn a_code_lists_every_installation_of_its_user_across_pages() {
    let github = FakeGitHub::start().await.unwrap();
    for id in 1..=130 {
        github.grant_user("octocat", installation(id, &format!("org-{id}")));
    }
    github.grant_user("someone-else", installation(999, "elsewhere"));
    let users = client(&github, TEST_CLIENT_SECRET);

    let code = github.authorize("octocat");
    let found = users.installations_for_code(&code).await.unwrap();

    assert_eq!(found.len(), 130);
    assert_eq!(found[0].account_login, "org-1");
    assert_eq!(found[0].account_id, 10_001);
    assert!(found.iter().all(|i| i.id.get() != 999));
    assert_eq!(github.requests("oauth_token"), 1);
    assert_eq!(github.requests("user_installations"), 2, "100 per page, then the Link");
    assert_eq!(github.user_tokens().len(), 1);
    assert_eq!(github.pending_codes(), 0);
}

#[tokio::test]
async fn a_code_works_once() {
    let github = FakeGitHub::start().await.unwrap();
    github.grant_user("octocat", installation(7, "acme"));
    let users = client(&github, TEST_CLIENT_SECRET);
    let code = github.authorize("octocat");
    assert_eq!(users.installations_for_code(&code).await.unwrap().len(), 1);
    let again = users.installations_for_code(&code).await.unwrap_err();
    assert!(matches!(again, OAuthError::BadCode), "{again:?}");
    assert_eq!(again.class(), ErrorClass::Permanent);
}

#[tokio::test]
async fn an_expired_or_unknown_code_is_refused() {
    let github = FakeGitHub::start().await.unwrap();
    let users = client(&github, TEST_CLIENT_SECRET);
    github.set_code_ttl(Duration::ZERO);
    let expired = github.authorize("octocat");
    let err = users.installations_for_code(&expired).await.unwrap_err();
    assert!(matches!(err, OAuthError::BadCode), "{err:?}");
    let err = users.installations_for_code("not-a-code").await.unwrap_err();
    assert!(matches!(err, OAuthError::BadCode), "{err:?}");
    assert!(github.user_tokens().is_empty());
    assert_eq!(github.requests("user_installations"), 0);
}

#[tokio::test]
async fn a_wrong_client_secret_is_a_configuration_error_and_keeps_the_code() {
    let github = FakeGitHub::start().await.unwrap();
    let code = github.authorize("octocat");
    let err = client(&github, "not-the-secret").installations_for_code(&code).await.unwrap_err();
    assert!(matches!(err, OAuthError::ClientCredentials), "{err:?}");
    assert_eq!(github.pending_codes(), 1);
    assert!(github.user_tokens().is_empty());
}

#[tokio::test]
async fn github_outages_are_retryable() {
    let github = FakeGitHub::start().await.unwrap();
    let users = client(&github, TEST_CLIENT_SECRET);
    github.inject(Injection::server_error("oauth_token", 502));
    let err = users.installations_for_code(&github.authorize("octocat")).await.unwrap_err();
    assert_eq!(err.class(), ErrorClass::Retryable, "{err:?}");
    github.inject(Injection::server_error("user_installations", 503));
    let err = users.installations_for_code(&github.authorize("octocat")).await.unwrap_err();
    assert_eq!(err.class(), ErrorClass::Retryable, "{err:?}");
}

#[tokio::test]
async fn the_authorize_page_redirects_with_a_code_for_the_named_user() {
    let github = FakeGitHub::start().await.unwrap();
    github.grant_user("octocat", installation(7, "acme"));
    let http =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let page = |client_id: &str| {
        format!(
            "{}/login/oauth/authorize?client_id={client_id}&login=octocat&state=s%201&redirect_uri=http://localhost:5173/cb",
            github.url
        )
    };
    let answer = http.get(page(TEST_CLIENT_ID)).send().await.unwrap();
    assert_eq!(answer.status(), reqwest::StatusCode::FOUND);
    let location = answer.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("http://localhost:5173/cb?code="), "{location}");
    assert!(location.ends_with("&state=s%201"), "{location}");
    let code = location.split("code=").nth(1).unwrap().split('&').next().unwrap();
    let found = client(&github, TEST_CLIENT_SECRET).installations_for_code(code).await.unwrap();
    assert_eq!(found.len(), 1);

    let unknown = http.get(page("Iv1.someone-else")).send().await.unwrap();
    assert_eq!(unknown.status(), reqwest::StatusCode::NOT_FOUND);
    assert_eq!(github.pending_codes(), 0);
}
