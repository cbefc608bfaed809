//! The production wiring, in one place: which adapter serves each port (DynamoDB, the GitHub
//! REST client, CodeBuild, SSM for the builds' clone tokens, SQS), built from the configuration
//! once per process.

use std::sync::Arc;

use std::time::Duration;

use crate::Deps;
use crate::config::GitHubAuth;
use crate::github::{Credentials, GitHubClient, SetupError, key};
use crate::lambda::LambdaWorker;
use crate::poll::Poller;
use crate::ports::QueueConsumer;
use crate::queue::SqsConsumer;
use crate::visibility::Retries;

/// The first retry's delay in production; each later attempt doubles it.
pub const BASE_BACKOFF: Duration = Duration::from_secs(10);

/// The consumer side of the SQS queue at `queue_url`.
pub fn sqs_consumer(sdk: &aws_config::SdkConfig, queue_url: &str) -> Arc<dyn QueueConsumer> {
    Arc::new(SqsConsumer::new(aws_sdk_sqs::Client::new(sdk), queue_url))
}

/// The long-polling worker over the job queue, with the configured concurrency (unless
/// `concurrency` overrides it) and stop grace.
pub fn poller(
    config: &crate::WorkerConfig,
    sdk: &aws_config::SdkConfig,
    deps: Deps,
    concurrency: Option<usize>,
) -> Poller {
    let queue = sqs_consumer(sdk, &config.job_queue_url);
    let mut poller = Poller::new(queue, deps, concurrency.unwrap_or(config.concurrency));
    poller.base_backoff = BASE_BACKOFF;
    poller.grace = config.stop_grace;
    poller
}

/// What the Lambda function's invocations share: the job's ports, the job queue (sending for
/// the sweep, consuming for the retry schedule).
pub fn lambda_worker(
    config: &crate::WorkerConfig,
    sdk: &aws_config::SdkConfig,
    deps: Deps,
) -> LambdaWorker {
    let sqs = aws_sdk_sqs::Client::new(sdk);
    LambdaWorker {
        deps,
        queue: Arc::new(whaleray_shared::sqs::SqsJobQueue::new(sqs.clone(), &config.job_queue_url)),
        retries: Retries {
            queue: Arc::new(SqsConsumer::new(sqs, &config.job_queue_url)),
            base_backoff: BASE_BACKOFF,
        },
    }
}

impl Deps {
    /// The production wiring: DynamoDB, the GitHub client and CodeBuild, from `config`. With App
    /// auth and a Secrets Manager key, this is where the key is read, once per process.
    pub async fn from_config(
        config: &crate::WorkerConfig,
        sdk: &aws_config::SdkConfig,
    ) -> Result<Self, SetupError> {
        let github = Arc::new(connect(&config.github_api_url, &config.github_auth, sdk).await?);
        let credentials = crate::credentials::SsmBuildCredentials::new(
            aws_sdk_ssm::Client::new(sdk),
            github.clone(),
            config.build_token_prefix.clone(),
        );
        Ok(Self {
            store: Arc::new(whaleray_shared::dynamo::DynamoDeploymentStore::new(
                aws_sdk_dynamodb::Client::new(sdk),
                &config.deployments_table,
            )),
            github,
            builds: Arc::new(
                crate::codebuild::CodeBuildLauncher::new(
                    aws_sdk_codebuild::Client::new(sdk),
                    &config.codebuild_project,
                )
                .with_git_base_url(&config.git_clone_base_url),
            ),
            credentials: Arc::new(credentials),
            support: config.support.clone(),
            max_receive_count: config.max_receive_count,
            budgets: config.budgets,
        })
    }
}

/// The production client from the configuration: App auth with the key from PEM text or
/// Secrets Manager (read here, once), or the local-only fixed token.
pub async fn connect(
    api_url: &str,
    auth: &GitHubAuth,
    sdk: &aws_config::SdkConfig,
) -> Result<GitHubClient, SetupError> {
    let credentials = match auth {
        GitHubAuth::App { app_id, private_key } => {
            Credentials::App(key::load_app_credentials(*app_id, private_key, sdk).await?)
        }
        GitHubAuth::Token(token) => Credentials::Token(token.clone()),
    };
    GitHubClient::new(api_url, credentials)
}
