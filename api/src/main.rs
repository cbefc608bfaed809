//! `whaleray-api`: serves the router under `lambda_http` when Lambda starts it, and as a local
//! HTTP server otherwise.

use std::sync::Arc;

use anyhow::Context;
use secrecy::SecretString;
use whaleray_api::auth::Authenticator;
use whaleray_api::builds::CodeBuildStopper;
use whaleray_api::config::{OAuthSettings, SecretSource};
use whaleray_api::github::oauth::{GitHubUsers, OAuthClient, UserInstallations};
use whaleray_api::guards::rate_limit::Limits;
use whaleray_api::{ApiConfig, AppState, router};
use whaleray_shared::aws::load_sdk_config;
use whaleray_shared::config::Env;
use whaleray_shared::dynamo::{
    DynamoAppInstallations, DynamoDeliveryLog, DynamoDeploymentStore, DynamoIdempotency,
    DynamoInstallations, DynamoProjects, DynamoRateLimits,
};
use whaleray_shared::sqs::SqsJobQueue;
use whaleray_shared::telemetry;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // `whaleray-api openapi` prints the contract (api/openapi.json) and needs no settings.
    if std::env::args().nth(1).as_deref() == Some("openapi") {
        #[allow(clippy::print_stdout)]
        {
            print!("{}", whaleray_api::openapi::document_json());
        }
        return Ok(());
    }
    let config = ApiConfig::from_env(Env::from_process())?;
    telemetry::init(config.log_format);

    let sdk = load_sdk_config().await;
    let dynamo = aws_sdk_dynamodb_client(&sdk);
    let auth = match (&config.dev_jwt_secret, config.lambda) {
        (_, true) => Authenticator::ApiGateway,
        (Some(secret), false) => Authenticator::dev(secret),
        (None, false) => anyhow::bail!("WHALERAY_DEV_JWT_SECRET is not set"),
    };
    let webhook_secret = load_secret(&config.webhook_secret, "webhook secret", &sdk).await?;
    let github_users = match &config.oauth {
        Some(settings) => Some(github_users(settings, &sdk).await?),
        None => {
            tracing::warn!("GITHUB_CLIENT_ID is not set: POST /github/installations answers 501");
            None
        }
    };
    let state = Arc::new(AppState {
        store: Arc::new(DynamoDeploymentStore::new(dynamo.clone(), &config.deployments_table)),
        installations: Arc::new(DynamoInstallations::new(
            dynamo.clone(),
            &config.installations_table,
        )),
        app_installations: Arc::new(DynamoAppInstallations::new(
            dynamo.clone(),
            &config.app_installations_table,
        )),
        deliveries: Arc::new(DynamoDeliveryLog::new(dynamo.clone(), &config.deliveries_table)),
        projects: Arc::new(DynamoProjects::new(dynamo.clone(), &config.projects_table)),
        webhook_secret,
        github_users,
        idempotency: Arc::new(DynamoIdempotency::new(dynamo.clone(), &config.api_state_table)),
        rate_limits: Arc::new(DynamoRateLimits::new(dynamo, &config.api_state_table)),
        limits: Limits {
            per_user: config.user_rate_limit,
            per_installation: config.installation_rate_limit,
        },
        queue: Arc::new(SqsJobQueue::new(aws_sdk_sqs::Client::new(&sdk), &config.job_queue_url)),
        builds: Arc::new(CodeBuildStopper::new(aws_sdk_codebuild::Client::new(&sdk))),
        auth,
        allowed_origins: config.allowed_origins(),
    });
    let app = router(state);

    if config.lambda {
        return lambda_http::run(app).await.map_err(|e| anyhow::anyhow!(e));
    }
    let address = format!("{}:{}", config.bind_address, config.port);
    let listener = tokio::net::TcpListener::bind(&address)
        .await
        .with_context(|| format!("could not listen on {address}"))?;
    tracing::info!(%address, "whaleray-api listening");
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .context("the local server stopped with an error")
}

/// The OAuth client for linking, its secret read once.
async fn github_users(
    settings: &OAuthSettings,
    sdk: &aws_config::SdkConfig,
) -> anyhow::Result<Arc<dyn UserInstallations>> {
    let client_secret = load_secret(&settings.client_secret, "OAuth client secret", sdk).await?;
    let client = OAuthClient { client_id: settings.client_id.clone(), client_secret };
    let users = GitHubUsers::new(&settings.oauth_url, &settings.api_url, client)
        .context("could not build the GitHub OAuth client")?;
    Ok(Arc::new(users))
}

/// A secret, read from Secrets Manager at most once per process (here).
async fn load_secret(
    source: &SecretSource,
    what: &str,
    sdk: &aws_config::SdkConfig,
) -> anyhow::Result<SecretString> {
    let arn = match source {
        SecretSource::Value(secret) => return Ok(secret.clone()),
        SecretSource::SecretArn(arn) => arn,
    };
    let output = aws_sdk_secretsmanager::Client::new(sdk)
        .get_secret_value()
        .secret_id(arn)
        .send()
        .await
        .with_context(|| format!("could not read the {what} {arn} from Secrets Manager"))?;
    let text = output
        .secret_string()
        .filter(|s| !s.trim().is_empty())
        .with_context(|| format!("Secrets Manager secret {arn} holds no {what} text"))?;
    tracing::info!(secret = %arn, what, "read a secret from Secrets Manager");
    Ok(SecretString::from(text))
}

fn aws_sdk_dynamodb_client(sdk: &aws_config::SdkConfig) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(sdk)
}
