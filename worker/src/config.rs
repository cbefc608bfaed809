//! The worker's settings, read once from the environment at start-up.
//!
//! GitHub access is the WhaleRay GitHub App (`GITHUB_APP_ID` and the private key from
//! `GITHUB_PRIVATE_KEY` or `GITHUB_PRIVATE_KEY_SECRET_ARN`); `GITHUB_TOKEN` is a local-only
//! alternative that Lambda refuses. A key given as text is checked here; one in Secrets
//! Manager is read and checked when the client is built.

use secrecy::SecretString;
use whaleray_detect::SupportPolicy;
use whaleray_shared::config::{ConfigError, Env};

use crate::credentials::ParameterPrefix;

/// The public GitHub REST API.
pub const GITHUB_API_DEFAULT: &str = "https://api.github.com";

/// How the worker authenticates to GitHub.
#[derive(Debug, Clone)]
pub enum GitHubAuth {
    /// As the WhaleRay GitHub App: the production path.
    App {
        /// The App's numeric id (`GITHUB_APP_ID`).
        app_id: u64,
        /// Where its private key comes from.
        private_key: PrivateKeySource,
    },
    /// One fixed token for every installation (`GITHUB_TOKEN`), for local runs only.
    Token(SecretString),
}

/// Where the App's private key comes from.
#[derive(Debug, Clone)]
pub enum PrivateKeySource {
    /// PEM text from `GITHUB_PRIVATE_KEY` (local runs).
    Pem(SecretString),
    /// A Secrets Manager secret whose string is the PEM (`GITHUB_PRIVATE_KEY_SECRET_ARN`).
    SecretArn(String),
}

/// Everything the worker needs to know about its surroundings.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// The `deployments` table.
    pub deployments_table: String,
    /// The inspection job queue.
    pub job_queue_url: String,
    /// The dead-letter queue (needed by operator commands only).
    pub dead_letter_queue_url: Option<String>,
    /// The CodeBuild project that builds deployments.
    pub codebuild_project: String,
    /// Where builds clone repositories from (`GIT_CLONE_BASE_URL`, default
    /// `https://github.com`; a local git server in tests).
    pub git_clone_base_url: String,
    /// The SSM path of the builds' clone tokens (`BUILD_TOKEN_PARAMETER_PREFIX`, default
    /// `/whaleray/local/build-tokens`; Terraform sets `/whaleray/<env>/build-tokens`).
    pub build_token_prefix: ParameterPrefix,
    /// Base URL of the GitHub REST API.
    pub github_api_url: String,
    /// How the worker authenticates to GitHub.
    pub github_auth: GitHubAuth,
    /// The queue's redrive `maxReceiveCount`: the attempt that reaches it is the last.
    pub max_receive_count: u32,
    /// Jobs processed at once by the poller.
    pub concurrency: usize,
    /// How long a stopping poller waits for in-flight jobs before abandoning them
    /// (`STOP_GRACE_SECONDS`, default [`crate::poll::DEFAULT_STOP_GRACE`]).
    pub stop_grace: std::time::Duration,
    /// Which detected frameworks WhaleRay builds.
    pub support: SupportPolicy,
    /// Whether Lambda started this process.
    pub lambda: bool,
    /// How log lines are written (`LOG_FORMAT`: json or text; JSON in Lambda by default).
    pub log_format: whaleray_shared::telemetry::LogFormat,
    /// What one inspection attempt may spend (`INSPECTION_DEADLINE_SECONDS`,
    /// `GITHUB_REQUEST_BUDGET`, `FETCH_FILE_BUDGET`, `FETCH_BYTE_BUDGET`).
    pub budgets: crate::budget::Budgets,
    /// A deployment BUILDING this long has its build looked up by the sweep
    /// (`RECONCILE_AFTER_MINUTES`, default [`crate::sweep::DEFAULT_RECONCILE_AFTER`]).
    pub reconcile_after: std::time::Duration,
    /// Local runs only: a feed of CodeBuild state-change events to read instead of
    /// EventBridge (`BUILD_EVENTS_URL`, the fake CodeBuild's event feed).
    pub build_events_url: Option<String>,
}

impl WorkerConfig {
    /// Reads every setting, reporting all missing or malformed variables at once.
    pub fn from_env(mut env: Env) -> Result<Self, ConfigError> {
        let support = match env.optional("SUPPORTED_FRAMEWORKS") {
            None => SupportPolicy::default_policy(),
            Some(list) => SupportPolicy::parse(&list).unwrap_or_else(|e| {
                env.problem(format!("SUPPORTED_FRAMEWORKS is invalid: {e}"));
                SupportPolicy::default_policy()
            }),
        };
        let config = Self {
            deployments_table: env.required("DEPLOYMENTS_TABLE"),
            job_queue_url: env.required_url("JOB_QUEUE_URL"),
            dead_letter_queue_url: env.optional("DEAD_LETTER_QUEUE_URL"),
            codebuild_project: env.required("CODEBUILD_PROJECT"),
            git_clone_base_url: env
                .url_or("GIT_CLONE_BASE_URL", crate::codebuild::GIT_BASE_URL_DEFAULT)
                .trim_end_matches('/')
                .to_owned(),
            build_token_prefix: build_token_prefix(&mut env),
            github_api_url: env.url_or("GITHUB_API_URL", GITHUB_API_DEFAULT),
            github_auth: github_auth(&mut env),
            max_receive_count: env.parsed_or("MAX_RECEIVE_COUNT", 5),
            concurrency: env.parsed_or("WORKER_CONCURRENCY", 4),
            stop_grace: std::time::Duration::from_secs(
                env.parsed_or("STOP_GRACE_SECONDS", crate::poll::DEFAULT_STOP_GRACE.as_secs()),
            ),
            support,
            lambda: env.is_set("AWS_LAMBDA_RUNTIME_API"),
            log_format: whaleray_shared::telemetry::LogFormat::Text,
            budgets: budgets(&mut env),
            reconcile_after: std::time::Duration::from_secs(
                60 * env.parsed_or(
                    "RECONCILE_AFTER_MINUTES",
                    crate::sweep::DEFAULT_RECONCILE_AFTER.as_secs() / 60,
                ),
            ),
            build_events_url: env.optional("BUILD_EVENTS_URL"),
        };
        let mut config = config;
        let named = env.optional("LOG_FORMAT");
        match whaleray_shared::telemetry::LogFormat::choose(named.as_deref(), config.lambda) {
            Ok(format) => config.log_format = format,
            Err(problem) => env.problem(problem.to_string()),
        }
        if config.lambda && matches!(config.github_auth, GitHubAuth::Token(_)) {
            env.problem(
                "GITHUB_TOKEN is for local runs only; in Lambda set GITHUB_APP_ID and GITHUB_PRIVATE_KEY_SECRET_ARN",
            );
        }
        if config.lambda && config.build_events_url.is_some() {
            env.problem("BUILD_EVENTS_URL is for local runs only; in Lambda EventBridge delivers build events");
        }
        if config.reconcile_after.is_zero() {
            env.problem("RECONCILE_AFTER_MINUTES must be at least 1");
        }
        if config.max_receive_count == 0 {
            env.problem("MAX_RECEIVE_COUNT must be at least 1");
        }
        if config.concurrency == 0 {
            env.problem("WORKER_CONCURRENCY must be at least 1");
        }
        env.finish()?;
        Ok(config)
    }
}

/// The builds' token path: `BUILD_TOKEN_PARAMETER_PREFIX`, checked against SSM's naming rules.
fn build_token_prefix(env: &mut Env) -> ParameterPrefix {
    let Some(named) = env.optional("BUILD_TOKEN_PARAMETER_PREFIX") else {
        return ParameterPrefix::local_default();
    };
    ParameterPrefix::parse(&named).unwrap_or_else(|problem| {
        env.problem(format!("BUILD_TOKEN_PARAMETER_PREFIX is invalid: {problem}"));
        ParameterPrefix::local_default()
    })
}

/// The inspection budgets: each setting overrides its documented default and must be positive.
fn budgets(env: &mut Env) -> crate::budget::Budgets {
    let defaults = crate::budget::Budgets::default();
    let seconds = env.parsed_or("INSPECTION_DEADLINE_SECONDS", defaults.deadline.as_secs());
    let budgets = crate::budget::Budgets {
        deadline: std::time::Duration::from_secs(seconds),
        requests: env.parsed_or("GITHUB_REQUEST_BUDGET", defaults.requests),
        files: env.parsed_or("FETCH_FILE_BUDGET", defaults.files),
        bytes: env.parsed_or("FETCH_BYTE_BUDGET", defaults.bytes),
    };
    for (name, value) in [
        ("INSPECTION_DEADLINE_SECONDS", seconds),
        ("GITHUB_REQUEST_BUDGET", u64::from(budgets.requests)),
        ("FETCH_FILE_BUDGET", u64::from(budgets.files)),
        ("FETCH_BYTE_BUDGET", budgets.bytes),
    ] {
        if value == 0 {
            env.problem(format!("{name} must be at least 1"));
        }
    }
    budgets
}

/// GitHub access from `GITHUB_APP_ID` with `GITHUB_PRIVATE_KEY` or
/// `GITHUB_PRIVATE_KEY_SECRET_ARN`, or from `GITHUB_TOKEN` alone. Problems never quote a key.
fn github_auth(env: &mut Env) -> GitHubAuth {
    let app_id = env.optional("GITHUB_APP_ID");
    let pem = env.optional("GITHUB_PRIVATE_KEY");
    let arn = env.optional("GITHUB_PRIVATE_KEY_SECRET_ARN");
    let token = env.optional("GITHUB_TOKEN");
    let none = GitHubAuth::Token(SecretString::from(""));
    if let Some(token) = token {
        if app_id.is_some() || pem.is_some() || arn.is_some() {
            env.problem(
                "GITHUB_TOKEN cannot be combined with GITHUB_APP_ID, GITHUB_PRIVATE_KEY or GITHUB_PRIVATE_KEY_SECRET_ARN: use the App or the local token",
            );
        }
        return GitHubAuth::Token(SecretString::from(token));
    }
    let app_id = match app_id {
        None => {
            env.problem(
                "GITHUB_APP_ID is not set (the worker reads repositories as the GitHub App; GITHUB_TOKEN is the local-only alternative)",
            );
            None
        }
        Some(raw) => match raw.parse::<u64>() {
            Ok(id) if id > 0 => Some(id),
            _ => {
                env.problem(format!("GITHUB_APP_ID={raw:?} is not a positive integer"));
                None
            }
        },
    };
    let private_key = match (pem, arn) {
        (Some(_), Some(_)) => {
            env.problem("set only one of GITHUB_PRIVATE_KEY and GITHUB_PRIVATE_KEY_SECRET_ARN");
            None
        }
        (None, None) => {
            env.problem(
                "GITHUB_PRIVATE_KEY or GITHUB_PRIVATE_KEY_SECRET_ARN is not set (the GitHub App's private key)",
            );
            None
        }
        (Some(pem), None) => private_key_pem(env, pem),
        (None, Some(arn)) if arn.starts_with("arn:") => Some(PrivateKeySource::SecretArn(arn)),
        (None, Some(arn)) => {
            env.problem(format!("GITHUB_PRIVATE_KEY_SECRET_ARN={arn:?} is not an ARN"));
            None
        }
    };
    match (app_id, private_key) {
        (Some(app_id), Some(private_key)) => GitHubAuth::App { app_id, private_key },
        _ => none,
    }
}

/// The PEM from `GITHUB_PRIVATE_KEY`, accepting `\n` escapes (as `.env` files write it).
fn private_key_pem(env: &mut Env, pem: String) -> Option<PrivateKeySource> {
    let pem = if pem.contains('\n') { pem } else { pem.replace("\\n", "\n") };
    if jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes()).is_err() {
        env.problem("GITHUB_PRIVATE_KEY is not an RSA private key in PEM form");
        return None;
    }
    Some(PrivateKeySource::Pem(SecretString::from(pem)))
}

/// What the operator commands (`replay-dlq`, `sweep`, `queues`) need: no GitHub or CodeBuild
/// settings, so an operator's shell needs only the table and the two queues (and, where the
/// stack names its own, the build tokens' SSM path, which the sweep deletes ended builds' from).
#[derive(Debug, Clone)]
pub struct OperatorConfig {
    /// The `deployments` table.
    pub deployments_table: String,
    /// The inspection job queue.
    pub job_queue_url: String,
    /// The dead-letter queue.
    pub dead_letter_queue_url: String,
    /// Where the builds' clone tokens live (`BUILD_TOKEN_PARAMETER_PREFIX`, optional).
    pub build_token_prefix: ParameterPrefix,
}

impl OperatorConfig {
    /// Reads the settings, naming every missing or invalid one.
    pub fn from_env(mut env: Env) -> Result<Self, ConfigError> {
        let config = Self {
            deployments_table: env.required("DEPLOYMENTS_TABLE"),
            job_queue_url: env.required_url("JOB_QUEUE_URL"),
            dead_letter_queue_url: env.required_url("DEAD_LETTER_QUEUE_URL"),
            build_token_prefix: build_token_prefix(&mut env),
        };
        env.finish()?;
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    const TEST_KEY: &str = include_str!("../../tests/fixtures/github-app/test-app.private-key.pem");
    const BASE: [(&str, &str); 3] = [
        ("DEPLOYMENTS_TABLE", "deployments"),
        ("JOB_QUEUE_URL", "http://127.0.0.1:1/123/q"),
        ("CODEBUILD_PROJECT", "whaleray-build"),
    ];

    fn with(extra: &[(&str, &str)]) -> Result<WorkerConfig, ConfigError> {
        WorkerConfig::from_env(Env::from_pairs(BASE.iter().chain(extra).copied()))
    }

    fn problems(extra: &[(&str, &str)]) -> String {
        with(extra).unwrap_err().to_string()
    }

    #[test]
    fn every_missing_variable_is_named_and_defaults_apply() {
        let err =
            WorkerConfig::from_env(Env::from_pairs([("SUPPORTED_FRAMEWORKS", "nope-framework")]))
                .unwrap_err()
                .to_string();
        for name in [
            "DEPLOYMENTS_TABLE",
            "JOB_QUEUE_URL",
            "CODEBUILD_PROJECT",
            "GITHUB_APP_ID",
            "GITHUB_PRIVATE_KEY or GITHUB_PRIVATE_KEY_SECRET_ARN",
            "SUPPORTED_FRAMEWORKS",
        ] {
            assert!(err.contains(name), "{name} missing from {err}");
        }
        let config = with(&[("GITHUB_APP_ID", "31337"), ("GITHUB_PRIVATE_KEY", TEST_KEY)]).unwrap();
        assert_eq!(config.github_api_url, GITHUB_API_DEFAULT);
        assert_eq!(config.max_receive_count, 5);
        assert_eq!(config.stop_grace, crate::poll::DEFAULT_STOP_GRACE);
        assert!(!config.lambda);
    }

    #[test]
    fn the_clone_settings_default_locally_and_a_bad_token_path_stops_start_up() {
        let config = with(&[("GITHUB_TOKEN", "t")]).unwrap();
        assert_eq!(config.build_token_prefix, ParameterPrefix::local_default());
        assert_eq!(config.git_clone_base_url, "https://github.com");
        let config = with(&[
            ("GITHUB_TOKEN", "t"),
            ("BUILD_TOKEN_PARAMETER_PREFIX", "/whaleray/prod/build-tokens"),
            ("GIT_CLONE_BASE_URL", "http://127.0.0.1:9/"),
        ])
        .unwrap();
        assert_eq!(config.build_token_prefix.to_string(), "/whaleray/prod/build-tokens");
        assert_eq!(config.git_clone_base_url, "http://127.0.0.1:9");
        let err = problems(&[("GITHUB_TOKEN", "t"), ("BUILD_TOKEN_PARAMETER_PREFIX", "/aws/x")]);
        assert!(err.contains("BUILD_TOKEN_PARAMETER_PREFIX"), "{err}");
    }

    #[test]
    fn the_stop_grace_is_a_setting() {
        let config = with(&[("GITHUB_TOKEN", "t"), ("STOP_GRACE_SECONDS", "3")]).unwrap();
        assert_eq!(config.stop_grace, std::time::Duration::from_secs(3));
        let err = problems(&[("GITHUB_TOKEN", "t"), ("STOP_GRACE_SECONDS", "soon")]);
        assert!(err.contains("STOP_GRACE_SECONDS"), "{err}");
    }

    #[test]
    fn budgets_default_to_their_constants_and_settings_override_them() {
        let app = [("GITHUB_TOKEN", "t")];
        assert_eq!(with(&app).unwrap().budgets, crate::budget::Budgets::default());
        let config = with(&[
            ("GITHUB_TOKEN", "t"),
            ("INSPECTION_DEADLINE_SECONDS", "5"),
            ("GITHUB_REQUEST_BUDGET", "7"),
            ("FETCH_FILE_BUDGET", "9"),
            ("FETCH_BYTE_BUDGET", "1024"),
        ])
        .unwrap();
        let expected = crate::budget::Budgets {
            deadline: std::time::Duration::from_secs(5),
            requests: 7,
            files: 9,
            bytes: 1024,
        };
        assert_eq!(config.budgets, expected);
        let err = problems(&[
            ("GITHUB_TOKEN", "t"),
            ("INSPECTION_DEADLINE_SECONDS", "0"),
            ("FETCH_BYTE_BUDGET", "lots"),
        ]);
        assert!(err.contains("INSPECTION_DEADLINE_SECONDS must be at least 1"), "{err}");
        assert!(err.contains("FETCH_BYTE_BUDGET=\"lots\" is invalid"), "{err}");
    }

    #[test]
    fn app_auth_takes_the_key_as_text_or_as_a_secret_arn() {
        let config = with(&[("GITHUB_APP_ID", "31337"), ("GITHUB_PRIVATE_KEY", TEST_KEY)]).unwrap();
        assert!(matches!(
            config.github_auth,
            GitHubAuth::App { app_id: 31337, private_key: PrivateKeySource::Pem(_) }
        ));
        let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:whaleray/github-app-private-key-AbCdEf";
        let config = with(&[
            ("GITHUB_APP_ID", "31337"),
            ("GITHUB_PRIVATE_KEY_SECRET_ARN", arn),
            ("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"),
        ])
        .unwrap();
        match config.github_auth {
            GitHubAuth::App { private_key: PrivateKeySource::SecretArn(got), .. } => {
                assert_eq!(got, arn)
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_key_with_escaped_newlines_is_unescaped() {
        let escaped = TEST_KEY.trim().replace('\n', "\\n");
        let config = with(&[("GITHUB_APP_ID", "1"), ("GITHUB_PRIVATE_KEY", &escaped)]).unwrap();
        let GitHubAuth::App { private_key: PrivateKeySource::Pem(pem), .. } = config.github_auth
        else {
            panic!("not app auth");
        };
        assert_eq!(pem.expose_secret(), TEST_KEY.trim());
    }

    #[test]
    fn app_id_without_a_key_names_both_key_variables() {
        let err = problems(&[("GITHUB_APP_ID", "31337")]);
        assert!(
            err.contains("GITHUB_PRIVATE_KEY or GITHUB_PRIVATE_KEY_SECRET_ARN is not set"),
            "{err}"
        );
        assert!(!err.contains("GITHUB_APP_ID is not set"), "{err}");
    }

    #[test]
    fn malformed_github_settings_are_reported_without_quoting_the_key() {
        let secret_looking =
            "-----BEGIN RSA PRIVATE KEY-----\nbm90LWEta2V5\n-----END RSA PRIVATE KEY-----";
        let err = problems(&[("GITHUB_APP_ID", "app"), ("GITHUB_PRIVATE_KEY", secret_looking)]);
        assert!(err.contains("GITHUB_APP_ID=\"app\" is not a positive integer"), "{err}");
        assert!(err.contains("GITHUB_PRIVATE_KEY is not an RSA private key"), "{err}");
        assert!(!err.contains("bm90LWEta2V5"), "{err}");
        let err = problems(&[
            ("GITHUB_APP_ID", "1"),
            ("GITHUB_PRIVATE_KEY", TEST_KEY),
            ("GITHUB_PRIVATE_KEY_SECRET_ARN", "arn:aws:secretsmanager:x"),
        ]);
        assert!(err.contains("only one of"), "{err}");
        let err =
            problems(&[("GITHUB_APP_ID", "1"), ("GITHUB_PRIVATE_KEY_SECRET_ARN", "my-secret")]);
        assert!(err.contains("is not an ARN"), "{err}");
    }

    #[test]
    fn the_local_token_is_exclusive_and_refused_in_lambda() {
        let config = with(&[("GITHUB_TOKEN", "t")]).unwrap();
        assert!(matches!(config.github_auth, GitHubAuth::Token(_)));
        let err = problems(&[("GITHUB_TOKEN", "t"), ("GITHUB_APP_ID", "1")]);
        assert!(err.contains("GITHUB_TOKEN cannot be combined"), "{err}");
        let err = problems(&[("GITHUB_TOKEN", "t"), ("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001")]);
        assert!(err.contains("GITHUB_TOKEN is for local runs only"), "{err}");
    }

    #[test]
    fn operator_commands_need_only_the_table_and_both_queues() {
        let err = OperatorConfig::from_env(Env::from_pairs([("DEPLOYMENTS_TABLE", "d")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("JOB_QUEUE_URL") && err.contains("DEAD_LETTER_QUEUE_URL"), "{err}");
        assert!(!err.contains("GITHUB"), "{err}");
        let config = OperatorConfig::from_env(Env::from_pairs([
            ("DEPLOYMENTS_TABLE", "d"),
            ("JOB_QUEUE_URL", "http://127.0.0.1:1/123/q"),
            ("DEAD_LETTER_QUEUE_URL", "http://127.0.0.1:1/123/q-dlq"),
        ]))
        .unwrap();
        assert_eq!(config.dead_letter_queue_url, "http://127.0.0.1:1/123/q-dlq");
        assert_eq!(config.build_token_prefix, ParameterPrefix::local_default());
        let err = OperatorConfig::from_env(Env::from_pairs([
            ("DEPLOYMENTS_TABLE", "d"),
            ("JOB_QUEUE_URL", "http://127.0.0.1:1/123/q"),
            ("DEAD_LETTER_QUEUE_URL", "http://127.0.0.1:1/123/q-dlq"),
            ("BUILD_TOKEN_PARAMETER_PREFIX", "/aws/x"),
        ]))
        .unwrap_err()
        .to_string();
        assert!(err.contains("BUILD_TOKEN_PARAMETER_PREFIX is invalid"), "{err}");
    }
}
