//! The fake's user side: the OAuth web flow's code exchange (`POST /login/oauth/access_token`)
//! and what a user access token can list (`GET /user/installations`,
//! `GET /user/installations/{id}/repositories`), with GitHub's rules:
//!
//! - a code is issued to one user by [`super::FakeGitHub::authorize`], or by
//!   `GET /login/oauth/authorize?client_id=..&redirect_uri=..&login=<user>` answering GitHub's
//!   302 to the redirect URI with `code` (the fake's stand-in for a signed-in user consenting:
//!   `login` says who), is single-use, and expires after ten minutes;
//! - the exchange checks the App's client id and secret, and answers its errors as GitHub does:
//!   status 200 with `{error, error_description, error_uri}` (`incorrect_client_credentials`,
//!   `bad_verification_code`); JSON only when asked with `Accept: application/json`, form
//!   encoding otherwise;
//! - user access tokens (`ghu_`) expire after eight hours; the lists page with `per_page`
//!   (default 30, at most 100) and `page`, and link the next page in a `Link` header;
//! - a user sees only installations they were granted ([`super::FakeGitHub::grant_user`]);
//!   another's answers 404.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use super::routes::{Caller, gate};
use super::server::{Shared, message, not_found};

/// How long GitHub accepts an authorization code.
pub const CODE_TTL: Duration = Duration::from_secs(600);
/// How long a user access token lives (GitHub's `expires_in` for expiring user tokens).
pub const USER_TOKEN_TTL: Duration = Duration::from_secs(8 * 3600);

/// The client id the fake's OAuth exchange accepts unless told otherwise.
pub const TEST_CLIENT_ID: &str = "Iv1.whaleraytestclient";
/// The client secret the fake's OAuth exchange accepts unless told otherwise (TEST ONLY).
pub const TEST_CLIENT_SECRET: &str = "test-only-client-secret-not-for-production";

/// An installation of the App as a user sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeInstallation {
    /// GitHub's installation id.
    pub id: u64,
    /// The account's numeric id.
    pub account_id: u64,
    /// The account's login.
    pub account_login: String,
    /// `None` for "all"; the repository names for "selected".
    pub repositories: Option<Vec<String>>,
    /// Suspended installations are still listed, with `suspended_at` set.
    pub suspended: bool,
}

struct Code {
    user: String,
    issued: Instant,
}

struct UserToken {
    user: String,
    expires: Instant,
}

/// The OAuth side's state.
pub(crate) struct OAuthState {
    client_id: String,
    client_secret: String,
    code_ttl: Duration,
    codes: HashMap<String, Code>,
    tokens: HashMap<String, UserToken>,
    grants: HashMap<String, Vec<FakeInstallation>>,
}

impl Default for OAuthState {
    fn default() -> Self {
        Self {
            client_id: TEST_CLIENT_ID.to_owned(),
            client_secret: TEST_CLIENT_SECRET.to_owned(),
            code_ttl: CODE_TTL,
            codes: HashMap::new(),
            tokens: HashMap::new(),
            grants: HashMap::new(),
        }
    }
}

impl OAuthState {
    /// Issues a code for `user`, as GitHub's redirect after authorization does.
    pub fn authorize(&mut self, user: &str) -> String {
        let code = format!("{:020x}", ulid::Ulid::new().0 & ((1u128 << 80) - 1));
        self.codes.insert(code.clone(), Code { user: user.to_owned(), issued: Instant::now() });
        code
    }

    /// Lets `user` see `installation` (replacing one with the same id).
    pub fn grant(&mut self, user: &str, installation: FakeInstallation) {
        let list = self.grants.entry(user.to_owned()).or_default();
        list.retain(|i| i.id != installation.id);
        list.push(installation);
        list.sort_by_key(|i| i.id);
    }

    /// Sets the client credentials the exchange accepts.
    pub fn set_client(&mut self, id: &str, secret: &str) {
        id.clone_into(&mut self.client_id);
        secret.clone_into(&mut self.client_secret);
    }

    /// Sets how long codes issued from now on are accepted.
    pub fn set_code_ttl(&mut self, ttl: Duration) {
        self.code_ttl = ttl;
    }

    /// Every user token issued so far, for leak checks.
    pub fn issued_tokens(&self) -> Vec<String> {
        self.tokens.keys().cloned().collect()
    }

    /// Codes issued and not yet exchanged.
    pub fn pending_codes(&self) -> usize {
        self.codes.len()
    }

    fn user_of(&self, headers: &HeaderMap) -> Option<String> {
        let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
        let token = value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("token "))?;
        let issued = self.tokens.get(token)?;
        (issued.expires > Instant::now()).then(|| issued.user.clone())
    }
}

pub(crate) fn routes() -> Router<Shared> {
    Router::new()
        .route("/login/oauth/authorize", get(authorize))
        .route("/login/oauth/access_token", post(exchange))
        .route("/user/installations", get(user_installations))
        .route("/user/installations/{installation}/repositories", get(user_repositories))
}

#[derive(Deserialize)]
struct AuthorizeQuery {
    client_id: Option<String>,
    redirect_uri: Option<String>,
    login: Option<String>,
    state: Option<String>,
}

/// The user consents: 302 to `redirect_uri` with a fresh `code` (and `state` echoed).
async fn authorize(State(shared): State<Shared>, Query(query): Query<AuthorizeQuery>) -> Response {
    let mut state = shared.lock();
    state.requests.push(("oauth_authorize", Instant::now()));
    if query.client_id.as_deref() != Some(state.oauth.client_id.as_str()) {
        return message(StatusCode::NOT_FOUND, "Not Found");
    }
    let (Some(redirect), Some(login)) = (query.redirect_uri, query.login) else {
        return message(
            StatusCode::BAD_REQUEST,
            "redirect_uri and login are required by this fake",
        );
    };
    let code = state.oauth.authorize(&login);
    let mut target =
        format!("{redirect}{}code={code}", if redirect.contains('?') { '&' } else { '?' });
    if let Some(echo) = query.state {
        let echo = percent_encoding::utf8_percent_encode(&echo, percent_encoding::NON_ALPHANUMERIC);
        target.push_str(&format!("&state={echo}"));
    }
    match HeaderValue::from_str(&target) {
        Ok(location) => (StatusCode::FOUND, [(header::LOCATION, location)]).into_response(),
        Err(_) => message(StatusCode::BAD_REQUEST, "redirect_uri is not a valid URL"),
    }
}

#[derive(Deserialize, Default)]
struct ExchangeParams {
    client_id: Option<String>,
    client_secret: Option<String>,
    code: Option<String>,
}

/// The exchange's parameters: query string, form body or JSON body, as GitHub accepts.
fn exchange_params(query: &str, headers: &HeaderMap, body: &[u8]) -> Option<ExchangeParams> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let from_body: ExchangeParams = if body.is_empty() {
        ExchangeParams::default()
    } else if json {
        serde_json::from_slice(body).ok()?
    } else {
        form_params(std::str::from_utf8(body).ok()?)
    };
    let from_query = form_params(query);
    Some(ExchangeParams {
        client_id: from_body.client_id.or(from_query.client_id),
        client_secret: from_body.client_secret.or(from_query.client_secret),
        code: from_body.code.or(from_query.code),
    })
}

/// Reads `a=b&c=d` (percent-decoded) into the exchange's parameters.
fn form_params(text: &str) -> ExchangeParams {
    let mut params = ExchangeParams::default();
    for pair in text.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_decode(value);
        match key {
            "client_id" => params.client_id = Some(value),
            "client_secret" => params.client_secret = Some(value),
            "code" => params.code = Some(value),
            _ => {}
        }
    }
    params
}

fn percent_decode(text: &str) -> String {
    let plus = text.replace('+', " ");
    percent_encoding::percent_decode_str(&plus).decode_utf8_lossy().into_owned()
}

/// GitHub's answer, JSON when asked for, form-encoded otherwise; status 200 either way.
fn answer(headers: &HeaderMap, fields: &[(&str, Value)]) -> Response {
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    if wants_json {
        let map: serde_json::Map<String, Value> =
            fields.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect();
        return axum::Json(Value::Object(map)).into_response();
    }
    let text = fields
        .iter()
        .map(|(k, v)| {
            let v = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
            format!(
                "{k}={}",
                percent_encoding::utf8_percent_encode(&v, percent_encoding::NON_ALPHANUMERIC)
            )
        })
        .collect::<Vec<_>>()
        .join("&");
    ([(header::CONTENT_TYPE, "application/x-www-form-urlencoded; charset=utf-8")], text)
        .into_response()
}

fn oauth_error(headers: &HeaderMap, error: &str, description: &str) -> Response {
    answer(
        headers,
        &[
            ("error", json!(error)),
            ("error_description", json!(description)),
            (
                "error_uri",
                json!(format!(
                    "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#{}",
                    error.replace('_', "-")
                )),
            ),
        ],
    )
}

async fn exchange(
    State(shared): State<Shared>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = gate(&shared, &headers, "oauth_token", Caller::Open).await {
        return r;
    }
    let Some(params) = exchange_params(query.as_deref().unwrap_or_default(), &headers, &body)
    else {
        return message(StatusCode::BAD_REQUEST, "Problems parsing the request body");
    };
    let mut state = shared.lock();
    let oauth = &mut state.oauth;
    if params.client_id.as_deref() != Some(oauth.client_id.as_str())
        || params.client_secret.as_deref() != Some(oauth.client_secret.as_str())
    {
        return oauth_error(
            &headers,
            "incorrect_client_credentials",
            "The client_id and/or client_secret passed are incorrect.",
        );
    }
    // A code is consumed by its first exchange, whatever the outcome.
    let code = params.code.and_then(|c| oauth.codes.remove(&c));
    let Some(code) = code.filter(|c| c.issued.elapsed() < oauth.code_ttl) else {
        return oauth_error(
            &headers,
            "bad_verification_code",
            "The code passed is incorrect or expired.",
        );
    };
    let token = format!("ghu_{}", ulid::Ulid::new());
    oauth.tokens.insert(
        token.clone(),
        UserToken { user: code.user, expires: Instant::now() + USER_TOKEN_TTL },
    );
    answer(
        &headers,
        &[
            ("access_token", json!(token)),
            ("expires_in", json!(USER_TOKEN_TTL.as_secs())),
            ("refresh_token", json!(format!("ghr_{}", ulid::Ulid::new()))),
            ("refresh_token_expires_in", json!(15_897_600)),
            ("scope", json!("")),
            ("token_type", json!("bearer")),
        ],
    )
}

#[derive(Deserialize)]
struct PageQuery {
    per_page: Option<String>,
    page: Option<String>,
}

/// The page asked for, with GitHub's defaults and its cap of 100 per page.
fn page_of<T: Clone>(items: &[T], query: &PageQuery) -> (Vec<T>, Option<u64>) {
    let per_page = query
        .per_page
        .as_deref()
        .and_then(|p| p.parse::<u64>().ok())
        .filter(|p| *p > 0)
        .unwrap_or(30)
        .min(100);
    let page =
        query.page.as_deref().and_then(|p| p.parse::<u64>().ok()).filter(|p| *p > 0).unwrap_or(1);
    let start = usize::try_from((page - 1) * per_page).unwrap_or(usize::MAX);
    let slice: Vec<T> =
        items.iter().skip(start).take(usize::try_from(per_page).unwrap_or(100)).cloned().collect();
    let more = start.saturating_add(slice.len()) < items.len();
    (slice, more.then_some(page + 1))
}

fn with_next(
    body: Value,
    base: &str,
    path: &str,
    query: &PageQuery,
    next: Option<u64>,
) -> Response {
    let mut response = axum::Json(body).into_response();
    if let Some(next) = next {
        let per_page = query.per_page.as_deref().unwrap_or("30");
        let link = format!("<{base}{path}?per_page={per_page}&page={next}>; rel=\"next\"");
        if let Ok(value) = HeaderValue::from_str(&link) {
            response.headers_mut().insert(header::LINK, value);
        }
    }
    response
}

fn installation_json(i: &FakeInstallation) -> Value {
    json!({
        "id": i.id,
        "account": { "login": i.account_login, "id": i.account_id, "type": "Organization" },
        "repository_selection": if i.repositories.is_some() { "selected" } else { "all" },
        "target_type": "Organization",
        "suspended_at": if i.suspended { json!("2026-01-01T00:00:00Z") } else { Value::Null },
        "permissions": { "contents": "read", "metadata": "read" },
        "events": ["push"],
    })
}

async fn user_installations(
    State(shared): State<Shared>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = gate(&shared, &headers, "user_installations", Caller::Open).await {
        return r;
    }
    let state = shared.lock();
    let Some(user) = state.oauth.user_of(&headers) else {
        return message(StatusCode::UNAUTHORIZED, "Bad credentials");
    };
    let all = state.oauth.grants.get(&user).cloned().unwrap_or_default();
    let (page, next) = page_of(&all, &query);
    let body = json!({
        "total_count": all.len(),
        "installations": page.iter().map(installation_json).collect::<Vec<_>>(),
    });
    with_next(body, &state.url, "/user/installations", &query, next)
}

async fn user_repositories(
    State(shared): State<Shared>,
    Path(installation): Path<String>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = gate(&shared, &headers, "user_installation_repositories", Caller::Open).await {
        return r;
    }
    let state = shared.lock();
    let Some(user) = state.oauth.user_of(&headers) else {
        return message(StatusCode::UNAUTHORIZED, "Bad credentials");
    };
    let granted = state.oauth.grants.get(&user).and_then(|list| {
        list.iter().find(|i| installation.parse::<u64>().is_ok_and(|id| id == i.id)).cloned()
    });
    let Some(granted) = granted else {
        return not_found();
    };
    let owner = granted.account_login.to_ascii_lowercase();
    let mut repos: Vec<Value> = state
        .repos
        .values()
        .filter(|r| {
            let (repo_owner, name) = r.full_name.split_once('/').unwrap_or(("", ""));
            repo_owner.eq_ignore_ascii_case(&owner)
                && granted
                    .repositories
                    .as_ref()
                    .is_none_or(|names| names.iter().any(|n| n.eq_ignore_ascii_case(name)))
        })
        .map(|r| {
            let name = r.full_name.split_once('/').map_or("", |(_, n)| n);
            json!({
                "name": name,
                "full_name": r.full_name,
                "private": true,
                "default_branch": r.default_branch,
                "owner": { "login": granted.account_login },
            })
        })
        .collect();
    repos.sort_by(|a, b| a["full_name"].as_str().cmp(&b["full_name"].as_str()));
    let (page, next) = page_of(&repos, &query);
    let body = json!({
        "total_count": repos.len(),
        "repository_selection": if granted.repositories.is_some() { "selected" } else { "all" },
        "repositories": page,
    });
    let path = format!("/user/installations/{}/repositories", granted.id);
    with_next(body, &state.url, &path, &query, next)
}
