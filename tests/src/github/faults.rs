//! Answers a test injects in place of the fake's own: error statuses, rate limits, delays and
//! token expiry, each for the next few requests to one endpoint.
//!
//! Endpoints are named `access_tokens`, `repo`, `commit`, `tree` and `blob`.

use std::time::Duration;

use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;

use super::server::message;

/// A failure to inject: the next `times` requests to `endpoint` get `status` and `headers`.
#[derive(Debug, Clone)]
pub struct Fault {
    /// `access_tokens`, `repo`, `commit`, `tree` or `blob`.
    pub endpoint: &'static str,
    /// The HTTP status to answer.
    pub status: u16,
    /// How many requests it applies to.
    pub times: u32,
    /// Extra headers, e.g. `retry-after`.
    pub headers: Vec<(String, String)>,
}

/// What the next `times` requests to one endpoint meet: a delay, tokens expiring, an error
/// answer, or several of these in that order.
#[derive(Debug, Clone)]
pub struct Injection {
    pub(crate) endpoint: &'static str,
    pub(crate) times: u32,
    delay: Option<Duration>,
    expire_tokens: bool,
    status: Option<u16>,
    headers: Vec<(String, String)>,
    reset_in: Option<Duration>,
    message: String,
}

impl From<Fault> for Injection {
    fn from(fault: Fault) -> Self {
        let mut injection = Self::on(fault.endpoint).times(fault.times).status(fault.status);
        injection.headers = fault.headers;
        injection
    }
}

impl Injection {
    /// Nothing yet, for the next request to `endpoint`.
    pub fn on(endpoint: &'static str) -> Self {
        Self {
            endpoint,
            times: 1,
            delay: None,
            expire_tokens: false,
            status: None,
            headers: Vec::new(),
            reset_in: None,
            message: "injected failure".to_owned(),
        }
    }

    /// Applies to the next `times` requests instead of one.
    pub fn times(mut self, times: u32) -> Self {
        self.times = times;
        self
    }

    /// Answers `status` instead of the endpoint's own answer.
    pub fn status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// Adds a header to the injected answer.
    pub fn header(mut self, name: &str, value: impl ToString) -> Self {
        self.headers.push((name.to_owned(), value.to_string()));
        self
    }

    /// The injected answer's `message`.
    pub fn message(mut self, message: &str) -> Self {
        self.message = message.to_owned();
        self
    }

    /// Waits `delay` before answering (then answers normally unless a status is set too).
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }

    /// Expires every token issued so far just before the request's token is checked.
    pub fn expire_tokens(mut self) -> Self {
        self.expire_tokens = true;
        self
    }

    /// `status` (a 5xx, say) once.
    pub fn server_error(endpoint: &'static str, status: u16) -> Self {
        Self::on(endpoint).status(status)
    }

    /// GitHub's primary rate limit: 403 with `x-ratelimit-remaining: 0` and a reset `reset_in`
    /// after the answer.
    pub fn rate_limited(endpoint: &'static str, reset_in: Duration) -> Self {
        let mut injection = Self::on(endpoint)
            .status(403)
            .header("x-ratelimit-limit", 5000)
            .header("x-ratelimit-remaining", 0)
            .header("x-ratelimit-used", 5000)
            .header("x-ratelimit-resource", "core")
            .message("API rate limit exceeded for installation.");
        injection.reset_in = Some(reset_in);
        injection
    }

    /// 429 with `Retry-After`.
    pub fn too_many_requests(endpoint: &'static str, retry_after: Duration) -> Self {
        Self::on(endpoint)
            .status(429)
            .header("retry-after", retry_after.as_secs())
            .message("Too many requests")
    }

    /// GitHub's secondary rate limit: 403 with its message, and `Retry-After` if given.
    pub fn secondary_rate_limit(endpoint: &'static str, retry_after: Option<Duration>) -> Self {
        let injection = Self::on(endpoint).status(403).message(
            "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
        );
        match retry_after {
            Some(wait) => injection.header("retry-after", wait.as_secs()),
            None => injection,
        }
    }

    pub(crate) fn delay_before_answer(&self) -> Option<Duration> {
        self.delay
    }

    pub(crate) fn expires_tokens(&self) -> bool {
        self.expire_tokens
    }

    /// The answer replacing the endpoint's own, if any; `now` is Unix time.
    pub(crate) fn answer(&self, now: i64) -> Option<Response> {
        let status =
            StatusCode::from_u16(self.status?).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = message(status, &self.message);
        let reset = self
            .reset_in
            .map(|d| ("x-ratelimit-reset".to_owned(), (now + d.as_secs() as i64).to_string()));
        for (name, value) in self.headers.iter().cloned().chain(reset) {
            if let (Ok(name), Ok(value)) =
                (HeaderName::try_from(name.as_str()), HeaderValue::from_str(&value))
            {
                response.headers_mut().insert(name, value);
            }
        }
        Some(response)
    }
}
