//! What processing a job depends on, built once per process and shared by every job.

use std::sync::Arc;

use whaleray_detect::SupportPolicy;
use whaleray_shared::ports::DeploymentStore;

use crate::budget::Budgets;
use crate::codebuild::BuildLauncher;
use crate::github::RepoReader;

/// The worker's ports and policy.
#[derive(Clone)]
pub struct Deps {
    /// The deployments table.
    pub store: Arc<dyn DeploymentStore>,
    /// GitHub.
    pub github: Arc<dyn RepoReader>,
    /// CodeBuild.
    pub builds: Arc<dyn BuildLauncher>,
    /// Which frameworks are built.
    pub support: SupportPolicy,
    /// The queue's `maxReceiveCount`: the delivery that reaches it is the last attempt.
    pub max_receive_count: u32,
    /// What one inspection attempt may spend.
    pub budgets: Budgets,
}

impl Deps {
    /// The production wiring: DynamoDB, the GitHub client and CodeBuild, from `config`. With App
    /// auth and a Secrets Manager key, this is where the key is read, once per process.
    pub async fn from_config(
        config: &crate::WorkerConfig,
        sdk: &aws_config::SdkConfig,
    ) -> Result<Self, crate::github::SetupError> {
        let github =
            crate::github::connect(&config.github_api_url, &config.github_auth, sdk).await?;
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
