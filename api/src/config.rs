//! The API's settings, read once from the environment at start-up.

use axum::http::HeaderValue;
use secrecy::SecretString;
use whaleray_shared::config::{ConfigError, Env};
use whaleray_shared::rate_limit::RateLimit;
use whaleray_shared::telemetry::LogFormat;

/// The Vite dev server's origin, always allowed by CORS as in the original design.
pub const VITE_DEV_ORIGIN: &str = "http://localhost:5173";

/// Default per-user limit on `POST`s: a burst of 20, then 2 a second.
pub const DEFAULT_USER_RATE_LIMIT: &str = "20:2";
/// Default per-installation limit on creates: a burst of 60, then 5 a second.
pub const DEFAULT_INSTALLATION_RATE_LIMIT: &str = "60:5";

/// Where a secret (the webhook secret, the OAuth client secret) comes from.
#[derive(Debug, Clone)]
pub enum SecretSource {
    /// The value itself, from an environment variable (local runs only).
    Value(SecretString),
    /// A Secrets Manager secret (`..._ARN`) whose string is the secret, read once at start-up.
    SecretArn(String),
}

/// Where the webhook secret comes from (`GITHUB_WEBHOOK_SECRET` or `GITHUB_WEBHOOK_SECRET_ARN`).
pub type WebhookSecretSource = SecretSource;

/// GitHub's web host, where the OAuth code exchange lives.
pub const GITHUB_OAUTH_DEFAULT: &str = "https://github.com";
/// GitHub's REST API.
pub const GITHUB_API_DEFAULT: &str = "https://api.github.com";

/// The App's OAuth client, for linking users to installations.
#[derive(Debug, Clone)]
pub struct OAuthSettings {
    /// `GITHUB_CLIENT_ID`: the App's client id (public).
    pub client_id: String,
    /// The client secret: `GITHUB_CLIENT_SECRET` (local runs) or `GITHUB_CLIENT_SECRET_ARN`
    /// (a Secrets Manager secret read once at start-up).
    pub client_secret: SecretSource,
    /// `GITHUB_OAUTH_URL`: where `/login/oauth/access_token` is (default `https://github.com`).
    pub oauth_url: String,
    /// `GITHUB_API_URL`: where `/user/installations` is (default `https://api.github.com`).
    pub api_url: String,
}

/// Everything the API needs to know about its surroundings.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// The `deployments` table.
    pub deployments_table: String,
    /// The `whaleray-installations` table.
    pub installations_table: String,
    /// The `whaleray-github-installations` table (what GitHub reported).
    pub app_installations_table: String,
    /// The `whaleray-webhook-deliveries` table.
    pub deliveries_table: String,
    /// The `whaleray-projects` table.
    pub projects_table: String,
    /// The webhook secret's source.
    pub webhook_secret: WebhookSecretSource,
    /// The inspection job queue.
    pub job_queue_url: String,
    /// The API state table: idempotency keys and rate-limit buckets.
    pub api_state_table: String,
    /// Per-user limit on `POST`s (`USER_RATE_LIMIT`, `BURST:PER_SECOND`).
    pub user_rate_limit: RateLimit,
    /// Per-installation limit on creates (`INSTALLATION_RATE_LIMIT`, `BURST:PER_SECOND`).
    pub installation_rate_limit: RateLimit,
    /// The OAuth client for linking; required in Lambda, optional locally (without it the
    /// linking route answers 503 `linking_unavailable`).
    pub oauth: Option<OAuthSettings>,
    /// The front end's origin, e.g. `https://app.whaleray.dev`.
    pub frontend_url: String,
    /// Whether Lambda started this process (identity then comes from API Gateway's JWT authorizer).
    pub lambda: bool,
    /// The HS256 key for local bearer tokens; required when not in Lambda.
    pub dev_jwt_secret: Option<SecretString>,
    /// The local server's address.
    pub bind_address: String,
    /// The local server's port.
    pub port: u16,
    /// How log lines are written (`LOG_FORMAT`: json or text; JSON in Lambda by default).
    pub log_format: LogFormat,
}

impl ApiConfig {
    /// Reads every setting, reporting all missing or malformed variables at once.
    pub fn from_env(mut env: Env) -> Result<Self, ConfigError> {
        let lambda = env.is_set("AWS_LAMBDA_RUNTIME_API");
        let config = Self {
            deployments_table: env.required("DEPLOYMENTS_TABLE"),
            installations_table: env.required("INSTALLATIONS_TABLE"),
            app_installations_table: env.required("GITHUB_INSTALLATIONS_TABLE"),
            deliveries_table: env.required("WEBHOOK_DELIVERIES_TABLE"),
            projects_table: env.required("PROJECTS_TABLE"),
            webhook_secret: webhook_secret(&mut env, lambda),
            job_queue_url: env.required_url("JOB_QUEUE_URL"),
            api_state_table: env.required("API_STATE_TABLE"),
            user_rate_limit: rate_limit(&mut env, "USER_RATE_LIMIT", DEFAULT_USER_RATE_LIMIT),
            installation_rate_limit: rate_limit(
                &mut env,
                "INSTALLATION_RATE_LIMIT",
                DEFAULT_INSTALLATION_RATE_LIMIT,
            ),
            oauth: oauth_settings(&mut env, lambda),
            frontend_url: env.required_url("FRONTEND_URL"),
            lambda,
            dev_jwt_secret: env.optional("WHALERAY_DEV_JWT_SECRET").map(SecretString::from),
            bind_address: env.optional("BIND_ADDRESS").unwrap_or_else(|| "127.0.0.1".into()),
            port: env.parsed_or("PORT", 3000),
            log_format: LogFormat::Text,
        };
        let mut config = config;
        match LogFormat::choose(env.optional("LOG_FORMAT").as_deref(), lambda) {
            Ok(format) => config.log_format = format,
            Err(problem) => env.problem(problem.to_string()),
        }
        if !lambda {
            match &config.dev_jwt_secret {
                None => env.problem(
                    "WHALERAY_DEV_JWT_SECRET is not set (the local server needs it to verify bearer tokens)",
                ),
                Some(secret) if secrecy::ExposeSecret::expose_secret(secret).len() < 16 => {
                    env.problem("WHALERAY_DEV_JWT_SECRET must be at least 16 characters")
                }
                Some(_) => {}
            }
        }
        if HeaderValue::from_str(&config.frontend_url).is_err() {
            env.problem("FRONTEND_URL is not a valid origin");
        }
        env.finish()?;
        Ok(config)
    }

    /// The origins CORS allows: the front end and the Vite dev server, never `*`.
    pub fn allowed_origins(&self) -> Vec<HeaderValue> {
        [self.frontend_url.as_str(), VITE_DEV_ORIGIN]
            .into_iter()
            .filter_map(|origin| HeaderValue::from_str(origin).ok())
            .collect()
    }
}

fn rate_limit(env: &mut Env, name: &str, default: &str) -> RateLimit {
    let text = env.optional(name).unwrap_or_else(|| default.to_owned());
    RateLimit::parse(&text).unwrap_or_else(|problem| {
        env.problem(format!("{name}: {problem}"));
        // Never used: start-up stops on the problem just recorded.
        RateLimit::ONE_PER_SECOND
    })
}

/// `GITHUB_CLIENT_ID` with `GITHUB_CLIENT_SECRET_ARN` (Lambda: required) or
/// `GITHUB_CLIENT_SECRET` (local only); locally all may be absent.
fn oauth_settings(env: &mut Env, lambda: bool) -> Option<OAuthSettings> {
    let oauth_url = env.url_or("GITHUB_OAUTH_URL", GITHUB_OAUTH_DEFAULT);
    let api_url = env.url_or("GITHUB_API_URL", GITHUB_API_DEFAULT);
    let client_id = env.optional("GITHUB_CLIENT_ID").filter(|id| !id.trim().is_empty());
    let value = env.optional("GITHUB_CLIENT_SECRET").filter(|s| !s.trim().is_empty());
    let arn = env.optional("GITHUB_CLIENT_SECRET_ARN").filter(|s| !s.trim().is_empty());
    let client_secret = match (value, arn) {
        (Some(_), Some(_)) => {
            env.problem("set GITHUB_CLIENT_SECRET or GITHUB_CLIENT_SECRET_ARN, not both");
            return None;
        }
        (Some(_), None) if lambda => {
            env.problem("GITHUB_CLIENT_SECRET is for local runs only; in Lambda set GITHUB_CLIENT_SECRET_ARN");
            return None;
        }
        (Some(value), None) => Some(SecretSource::Value(SecretString::from(value))),
        (None, Some(arn)) => Some(SecretSource::SecretArn(arn)),
        (None, None) => None,
    };
    match (client_id, client_secret) {
        (Some(client_id), Some(client_secret)) => {
            Some(OAuthSettings { client_id, client_secret, oauth_url, api_url })
        }
        (None, None) if !lambda => None,
        _ => {
            env.problem("GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET_ARN (locally GITHUB_CLIENT_SECRET) must be set together (Lambda needs both)");
            None
        }
    }
}

/// `GITHUB_WEBHOOK_SECRET_ARN` in Lambda; locally that or `GITHUB_WEBHOOK_SECRET`.
fn webhook_secret(env: &mut Env, lambda: bool) -> WebhookSecretSource {
    let placeholder = WebhookSecretSource::Value(SecretString::from(""));
    let value = env.optional("GITHUB_WEBHOOK_SECRET");
    if let Some(arn) = env.optional("GITHUB_WEBHOOK_SECRET_ARN") {
        if value.is_some() {
            env.problem("set GITHUB_WEBHOOK_SECRET or GITHUB_WEBHOOK_SECRET_ARN, not both");
        }
        return WebhookSecretSource::SecretArn(arn);
    }
    match value {
        _ if lambda => {
            env.problem("GITHUB_WEBHOOK_SECRET_ARN is not set (Lambda reads the webhook secret from Secrets Manager)");
            placeholder
        }
        Some(secret) if secret.trim().is_empty() => {
            env.problem("GITHUB_WEBHOOK_SECRET is empty");
            placeholder
        }
        Some(secret) => WebhookSecretSource::Value(SecretString::from(secret)),
        None => {
            env.problem("GITHUB_WEBHOOK_SECRET (or GITHUB_WEBHOOK_SECRET_ARN) is not set");
            placeholder
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Vec<(&'static str, &'static str)> {
        vec![
            ("DEPLOYMENTS_TABLE", "deployments"),
            ("INSTALLATIONS_TABLE", "whaleray-installations"),
            ("GITHUB_INSTALLATIONS_TABLE", "whaleray-github-installations"),
            ("WEBHOOK_DELIVERIES_TABLE", "whaleray-webhook-deliveries"),
            ("PROJECTS_TABLE", "whaleray-projects"),
            ("JOB_QUEUE_URL", "http://127.0.0.1:4566/123456789012/jobs"),
            ("API_STATE_TABLE", "whaleray-api-state"),
            ("FRONTEND_URL", "https://app.example.test"),
        ]
    }

    #[test]
    fn local_mode_requires_a_dev_secret_and_names_it() {
        let err = ApiConfig::from_env(Env::from_pairs(base())).unwrap_err();
        assert!(err.to_string().contains("WHALERAY_DEV_JWT_SECRET"), "{err}");
    }

    #[test]
    fn lambda_mode_needs_no_dev_secret_and_allows_exactly_two_origins() {
        let mut vars = base();
        vars.push(("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"));
        vars.push(("GITHUB_WEBHOOK_SECRET_ARN", "arn:aws:secretsmanager:us-east-1:1:secret:w"));
        vars.push(("GITHUB_CLIENT_ID", "Iv1.abc"));
        vars.push(("GITHUB_CLIENT_SECRET_ARN", "arn:aws:secretsmanager:us-east-1:1:secret:c"));
        let config = ApiConfig::from_env(Env::from_pairs(vars)).unwrap();
        assert!(config.lambda);
        assert_eq!(config.allowed_origins(), ["https://app.example.test", VITE_DEV_ORIGIN]);
    }

    #[test]
    fn every_missing_variable_is_named_at_once() {
        let err = ApiConfig::from_env(Env::from_pairs([("PORT", "x")])).unwrap_err();
        let text = err.to_string();
        for name in [
            "DEPLOYMENTS_TABLE",
            "INSTALLATIONS_TABLE",
            "GITHUB_INSTALLATIONS_TABLE",
            "WEBHOOK_DELIVERIES_TABLE",
            "PROJECTS_TABLE",
            "GITHUB_WEBHOOK_SECRET",
            "JOB_QUEUE_URL",
            "API_STATE_TABLE",
            "FRONTEND_URL",
            "PORT",
        ] {
            assert!(text.contains(name), "{name} not named in {text}");
        }
    }

    #[test]
    fn rate_limits_default_to_documented_values_and_malformed_ones_are_named() {
        let mut vars = base();
        vars.push(("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"));
        vars.push(("GITHUB_WEBHOOK_SECRET_ARN", "arn:aws:secretsmanager:us-east-1:1:secret:w"));
        vars.push(("GITHUB_CLIENT_ID", "Iv1.x"));
        vars.push(("GITHUB_CLIENT_SECRET_ARN", "arn:aws:secretsmanager:us-east-1:1:secret:o"));
        let config = ApiConfig::from_env(Env::from_pairs(vars.clone())).unwrap();
        assert_eq!(config.user_rate_limit, RateLimit::parse(DEFAULT_USER_RATE_LIMIT).unwrap());
        assert_eq!(config.user_rate_limit.burst(), 20);
        assert_eq!(config.installation_rate_limit.burst(), 60);
        vars.push(("USER_RATE_LIMIT", "lots"));
        let err = ApiConfig::from_env(Env::from_pairs(vars)).unwrap_err();
        assert!(err.to_string().contains("USER_RATE_LIMIT"), "{err}");
    }
}

#[cfg(test)]
mod webhook_secret_tests {
    use super::*;

    fn with(extra: &[(&'static str, &'static str)]) -> Result<ApiConfig, ConfigError> {
        let mut vars = vec![
            ("DEPLOYMENTS_TABLE", "d"),
            ("INSTALLATIONS_TABLE", "i"),
            ("GITHUB_INSTALLATIONS_TABLE", "g"),
            ("WEBHOOK_DELIVERIES_TABLE", "w"),
            ("PROJECTS_TABLE", "p"),
            ("JOB_QUEUE_URL", "http://127.0.0.1:4566/123456789012/jobs"),
            ("API_STATE_TABLE", "a"),
            ("FRONTEND_URL", "https://app.example.test"),
            ("WHALERAY_DEV_JWT_SECRET", "0123456789abcdef"),
        ];
        vars.extend_from_slice(extra);
        ApiConfig::from_env(Env::from_pairs(vars))
    }

    #[test]
    fn lambda_refuses_a_plain_webhook_secret_and_local_accepts_it() {
        let lambda = with(&[("AWS_LAMBDA_RUNTIME_API", "x"), ("GITHUB_WEBHOOK_SECRET", "s3cret")]);
        assert!(lambda.unwrap_err().to_string().contains("GITHUB_WEBHOOK_SECRET_ARN"));
        let local = with(&[("GITHUB_WEBHOOK_SECRET", "s3cret")]).unwrap();
        assert!(matches!(local.webhook_secret, WebhookSecretSource::Value(_)));
    }

    #[test]
    fn an_empty_or_doubled_webhook_secret_is_refused() {
        assert!(with(&[("GITHUB_WEBHOOK_SECRET", " ")]).is_err());
        let both = with(&[("GITHUB_WEBHOOK_SECRET", "a"), ("GITHUB_WEBHOOK_SECRET_ARN", "arn:x")]);
        assert!(both.unwrap_err().to_string().contains("not both"));
    }
}

#[cfg(test)]
mod oauth_tests {
    use super::*;

    fn with(extra: &[(&'static str, &'static str)]) -> Result<ApiConfig, ConfigError> {
        let mut vars = vec![
            ("DEPLOYMENTS_TABLE", "d"),
            ("INSTALLATIONS_TABLE", "i"),
            ("GITHUB_INSTALLATIONS_TABLE", "g"),
            ("WEBHOOK_DELIVERIES_TABLE", "w"),
            ("PROJECTS_TABLE", "p"),
            ("JOB_QUEUE_URL", "http://127.0.0.1:4566/123456789012/jobs"),
            ("FRONTEND_URL", "https://app.example.test"),
            ("WHALERAY_DEV_JWT_SECRET", "0123456789abcdef"),
            ("GITHUB_WEBHOOK_SECRET", "w"),
            ("API_STATE_TABLE", "a"),
        ];
        vars.extend_from_slice(extra);
        ApiConfig::from_env(Env::from_pairs(vars))
    }

    #[test]
    fn locally_linking_is_optional_and_defaults_to_github() {
        assert!(with(&[]).unwrap().oauth.is_none());
        let config = with(&[("GITHUB_CLIENT_ID", "Iv1.x"), ("GITHUB_CLIENT_SECRET", "s")]).unwrap();
        let oauth = config.oauth.unwrap();
        assert_eq!(
            (oauth.oauth_url.as_str(), oauth.api_url.as_str()),
            (GITHUB_OAUTH_DEFAULT, GITHUB_API_DEFAULT)
        );
    }

    #[test]
    fn half_a_client_or_a_plain_secret_in_lambda_is_refused() {
        assert!(with(&[("GITHUB_CLIENT_ID", "Iv1.x")]).is_err());
        assert!(with(&[("GITHUB_CLIENT_SECRET", "s")]).is_err());
        let lambda = with(&[
            ("AWS_LAMBDA_RUNTIME_API", "x"),
            ("GITHUB_WEBHOOK_SECRET_ARN", "arn:w"),
            ("GITHUB_CLIENT_ID", "Iv1.x"),
            ("GITHUB_CLIENT_SECRET", "s"),
        ]);
        assert!(lambda.unwrap_err().to_string().contains("GITHUB_CLIENT_SECRET_ARN"));
        let missing =
            with(&[("AWS_LAMBDA_RUNTIME_API", "x"), ("GITHUB_WEBHOOK_SECRET_ARN", "arn:w")]);
        assert!(missing.unwrap_err().to_string().contains("GITHUB_CLIENT_ID"));
    }
}
