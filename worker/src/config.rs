//! The worker's settings, read once from the environment at start-up.

use secrecy::SecretString;
use whaleray_detect::SupportPolicy;
use whaleray_shared::config::{ConfigError, Env};

/// The public GitHub REST API.
pub const GITHUB_API_DEFAULT: &str = "https://api.github.com";

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
    /// Base URL of the GitHub REST API.
    pub github_api_url: String,
    /// A GitHub token used for every installation (local runs, until App auth is configured).
    pub github_token: Option<SecretString>,
    /// The queue's redrive `maxReceiveCount`: the attempt that reaches it is the last.
    pub max_receive_count: u32,
    /// Jobs processed at once by the poller.
    pub concurrency: usize,
    /// Which detected frameworks WhaleRay builds.
    pub support: SupportPolicy,
    /// Whether Lambda started this process.
    pub lambda: bool,
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
            github_api_url: env.url_or("GITHUB_API_URL", GITHUB_API_DEFAULT),
            github_token: env.optional("GITHUB_TOKEN").map(SecretString::from),
            max_receive_count: env.parsed_or("MAX_RECEIVE_COUNT", 5),
            concurrency: env.parsed_or("WORKER_CONCURRENCY", 4),
            support,
            lambda: env.is_set("AWS_LAMBDA_RUNTIME_API"),
        };
        if config.github_token.is_none() {
            env.problem("GITHUB_TOKEN is not set (the worker needs a token to read repositories)");
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_missing_variable_is_named_and_defaults_apply() {
        let err = WorkerConfig::from_env(Env::from_pairs([(
            "SUPPORTED_FRAMEWORKS",
            "nope-framework",
        )]))
        .unwrap_err()
        .to_string();
        for name in [
            "DEPLOYMENTS_TABLE",
            "JOB_QUEUE_URL",
            "CODEBUILD_PROJECT",
            "GITHUB_TOKEN",
            "SUPPORTED_FRAMEWORKS",
        ] {
            assert!(err.contains(name), "{name} missing from {err}");
        }
        let config = WorkerConfig::from_env(Env::from_pairs([
            ("DEPLOYMENTS_TABLE", "deployments"),
            ("JOB_QUEUE_URL", "http://127.0.0.1:1/123/q"),
            ("CODEBUILD_PROJECT", "whaleray-build"),
            ("GITHUB_TOKEN", "t"),
        ]))
        .unwrap();
        assert_eq!(config.github_api_url, GITHUB_API_DEFAULT);
        assert_eq!(config.max_receive_count, 5);
        assert!(!config.lambda);
    }
}
