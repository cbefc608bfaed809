//! The production wiring, in one place: which adapter serves each port (DynamoDB, the GitHub
//! REST client, CodeBuild), built from the configuration once per process.

use std::sync::Arc;

use crate::Deps;
use crate::config::GitHubAuth;
use crate::github::{Credentials, GitHubClient, SetupError, key};

impl Deps {
    /// The production wiring: DynamoDB, the GitHub client and CodeBuild, from `config`. With App
    /// auth and a Secrets Manager key, this is where the key is read, once per process.
    pub async fn from_config(
        config: &crate::WorkerConfig,
        sdk: &aws_config::SdkConfig,
    ) -> Result<Self, SetupError> {
        let github = connect(&config.github_api_url, &config.github_auth, sdk).await?;
        Ok(Self {
            store: Arc::new(whaleray_shared::dynamo::DynamoDeploymentStore::new(
                aws_sdk_dynamodb::Client::new(sdk),
                &config.deployments_table,
            )),
            github: Arc::new(github),
            builds: Arc::new(crate::codebuild::CodeBuildLauncher::new(
                aws_sdk_codebuild::Client::new(sdk),
                &config.codebuild_project,
            )),
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
