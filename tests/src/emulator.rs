//! The local AWS emulator: connecting to it, and creating a uniquely named stack per test so
//! tests run in parallel against one emulator.

use std::collections::HashMap;

use anyhow::{Context, anyhow};
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_codebuild::types::{
    ArtifactsType, ComputeType, EnvironmentType, ProjectArtifacts, ProjectEnvironment,
    ProjectSource, SourceType,
};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType,
};
use aws_sdk_sqs::types::QueueAttributeName;
use whaleray_shared::aws::default_timeouts;

use crate::config::emulator_endpoint;

/// Clients connected to the emulator at `AWS_ENDPOINT_URL`.
#[derive(Clone)]
pub struct Emulator {
    /// The SDK configuration every client in the test uses.
    pub sdk: SdkConfig,
    /// DynamoDB.
    pub dynamo: aws_sdk_dynamodb::Client,
    /// SQS.
    pub sqs: aws_sdk_sqs::Client,
    /// CodeBuild.
    pub codebuild: aws_sdk_codebuild::Client,
    /// SSM Parameter Store (the builds' clone tokens).
    pub ssm: aws_sdk_ssm::Client,
}

/// One test's resources.
#[derive(Debug, Clone)]
pub struct Stack {
    /// The deployments table.
    pub deployments_table: String,
    /// The installations table.
    pub installations_table: String,
    /// The App installations table (what GitHub reported).
    pub app_installations_table: String,
    /// The webhook deliveries table.
    pub deliveries_table: String,
    /// The projects table.
    pub projects_table: String,
    /// The API state table (idempotency keys, rate-limit buckets).
    pub api_state_table: String,
    /// The job queue.
    pub queue_url: String,
    /// Its dead-letter queue.
    pub dlq_url: String,
    /// The CodeBuild project.
    pub codebuild_project: String,
    /// The SSM path of this stack's build tokens.
    pub token_prefix: String,
}

/// Options for a stack.
#[derive(Debug, Clone, Copy)]
pub struct StackOptions {
    /// The queue's visibility timeout in seconds.
    pub visibility_timeout: u32,
    /// The redrive `maxReceiveCount`.
    pub max_receive_count: u32,
}

impl Default for StackOptions {
    fn default() -> Self {
        Self { visibility_timeout: 30, max_receive_count: 5 }
    }
}

impl Emulator {
    /// Connects to the emulator, or explains how to start one.
    pub async fn connect() -> anyhow::Result<Self> {
        let endpoint = emulator_endpoint().ok_or_else(|| {
            anyhow!("AWS_ENDPOINT_URL is not set: run the tests with ./scripts/test, which starts the local AWS emulator")
        })?;
        let sdk = aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(endpoint)
            .region(Region::new("us-east-1"))
            .test_credentials()
            .timeout_config(default_timeouts())
            .load()
            .await;
        Ok(Self {
            dynamo: aws_sdk_dynamodb::Client::new(&sdk),
            sqs: aws_sdk_sqs::Client::new(&sdk),
            codebuild: aws_sdk_codebuild::Client::new(&sdk),
            ssm: aws_sdk_ssm::Client::new(&sdk),
            sdk,
        })
    }

    /// Creates tables, queues and a CodeBuild project with names unique to this call.
    pub async fn create_stack(&self, options: StackOptions) -> anyhow::Result<Stack> {
        let suffix = ulid::Ulid::new().to_string().to_ascii_lowercase();
        let stack = Stack {
            deployments_table: format!("deployments-{suffix}"),
            installations_table: format!("installations-{suffix}"),
            app_installations_table: format!("github-installations-{suffix}"),
            deliveries_table: format!("webhook-deliveries-{suffix}"),
            projects_table: format!("projects-{suffix}"),
            api_state_table: format!("api-state-{suffix}"),
            queue_url: String::new(),
            dlq_url: String::new(),
            codebuild_project: format!("build-{suffix}"),
            token_prefix: format!("/whaleray/test-{suffix}/build-tokens"),
        };
        self.create_deployments_table(&stack.deployments_table).await?;
        self.create_installations_table(&stack.installations_table).await?;
        self.create_keyed_table(
            &stack.app_installations_table,
            "installationId",
            ScalarAttributeType::N,
        )
        .await?;
        self.create_keyed_table(&stack.deliveries_table, "deliveryId", ScalarAttributeType::S)
            .await?;
        self.create_api_state_table(&stack.api_state_table).await?;
        self.create_projects_table(&stack.projects_table).await?;
        let (queue_url, dlq_url) = self.create_queues(&format!("jobs-{suffix}"), options).await?;
        self.create_project(&stack.codebuild_project).await?;
        Ok(Stack { queue_url, dlq_url, ..stack })
    }

    async fn create_deployments_table(&self, name: &str) -> anyhow::Result<()> {
        let attribute = |n: &str| {
            AttributeDefinition::builder()
                .attribute_name(n)
                .attribute_type(ScalarAttributeType::S)
                .build()
        };
        let key = |n: &str, t| KeySchemaElement::builder().attribute_name(n).key_type(t).build();
        let index = GlobalSecondaryIndex::builder()
            .index_name(whaleray_shared::dynamo::USER_INDEX)
            .key_schema(key("userId", KeyType::Hash)?)
            .key_schema(key("createdAt", KeyType::Range)?)
            .projection(Projection::builder().projection_type(ProjectionType::All).build())
            .build()?;
        self.dynamo
            .create_table()
            .table_name(name)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(attribute("deploymentId")?)
            .attribute_definitions(attribute("userId")?)
            .attribute_definitions(attribute("createdAt")?)
            .key_schema(key("deploymentId", KeyType::Hash)?)
            .global_secondary_indexes(index)
            .send()
            .await
            .with_context(|| format!("creating table {name}"))?;
        Ok(())
    }

    /// The projects table as Terraform creates it: hash key `projectId`, an index on
    /// `userId` + `createdAt` and one on `repositoryKey`.
    pub async fn create_projects_table(&self, name: &str) -> anyhow::Result<()> {
        use whaleray_shared::dynamo::{PROJECT_REPOSITORY_INDEX, PROJECT_USER_INDEX};
        let attribute = |n: &str| {
            AttributeDefinition::builder()
                .attribute_name(n)
                .attribute_type(ScalarAttributeType::S)
                .build()
        };
        let key = |n: &str, t| KeySchemaElement::builder().attribute_name(n).key_type(t).build();
        let all = || Projection::builder().projection_type(ProjectionType::All).build();
        let by_user = GlobalSecondaryIndex::builder()
            .index_name(PROJECT_USER_INDEX)
            .key_schema(key("userId", KeyType::Hash)?)
            .key_schema(key("createdAt", KeyType::Range)?)
            .projection(all())
            .build()?;
        let by_repository = GlobalSecondaryIndex::builder()
            .index_name(PROJECT_REPOSITORY_INDEX)
            .key_schema(key("repositoryKey", KeyType::Hash)?)
            .projection(all())
            .build()?;
        self.dynamo
            .create_table()
            .table_name(name)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(attribute("projectId")?)
            .attribute_definitions(attribute("userId")?)
            .attribute_definitions(attribute("createdAt")?)
            .attribute_definitions(attribute("repositoryKey")?)
            .key_schema(key("projectId", KeyType::Hash)?)
            .global_secondary_indexes(by_user)
            .global_secondary_indexes(by_repository)
            .send()
            .await
            .with_context(|| format!("creating table {name}"))?;
        Ok(())
    }

    async fn create_installations_table(&self, name: &str) -> anyhow::Result<()> {
        self.dynamo
            .create_table()
            .table_name(name)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name("userId")
                    .attribute_type(ScalarAttributeType::S)
                    .build()?,
            )
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name("installationId")
                    .attribute_type(ScalarAttributeType::N)
                    .build()?,
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name("userId")
                    .key_type(KeyType::Hash)
                    .build()?,
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name("installationId")
                    .key_type(KeyType::Range)
                    .build()?,
            )
            .send()
            .await
            .with_context(|| format!("creating table {name}"))?;
        Ok(())
    }

    /// A table with only a partition key.
    async fn create_keyed_table(
        &self,
        name: &str,
        key: &str,
        kind: ScalarAttributeType,
    ) -> anyhow::Result<()> {
        self.dynamo
            .create_table()
            .table_name(name)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(
                AttributeDefinition::builder().attribute_name(key).attribute_type(kind).build()?,
            )
            .key_schema(
                KeySchemaElement::builder().attribute_name(key).key_type(KeyType::Hash).build()?,
            )
            .send()
            .await
            .with_context(|| format!("creating table {name}"))?;
        Ok(())
    }

    /// The API state table as Terraform creates it: hash key `pk`, TTL on `expiresAt`.
    pub async fn create_api_state_table(&self, name: &str) -> anyhow::Result<()> {
        use aws_sdk_dynamodb::types::TimeToLiveSpecification;
        self.dynamo
            .create_table()
            .table_name(name)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name("pk")
                    .attribute_type(ScalarAttributeType::S)
                    .build()?,
            )
            .key_schema(
                KeySchemaElement::builder().attribute_name("pk").key_type(KeyType::Hash).build()?,
            )
            .send()
            .await
            .with_context(|| format!("creating table {name}"))?;
        self.dynamo
            .update_time_to_live()
            .table_name(name)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name("expiresAt")
                    .enabled(true)
                    .build()?,
            )
            .send()
            .await
            .with_context(|| format!("enabling TTL on {name}"))?;
        Ok(())
    }

    async fn create_queues(
        &self,
        name: &str,
        options: StackOptions,
    ) -> anyhow::Result<(String, String)> {
        let dlq = self
            .sqs
            .create_queue()
            .queue_name(format!("{name}-dlq"))
            .attributes(QueueAttributeName::MessageRetentionPeriod, "1209600")
            .send()
            .await
            .context("creating the dead-letter queue")?;
        let dlq_url = dlq.queue_url.context("no dead-letter queue URL")?;
        let dlq_arn = self
            .sqs
            .get_queue_attributes()
            .queue_url(&dlq_url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await?
            .attributes
            .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
            .context("no dead-letter queue ARN")?;
        let redrive = serde_json::json!({
            "deadLetterTargetArn": dlq_arn,
            "maxReceiveCount": options.max_receive_count.to_string(),
        });
        let queue = self
            .sqs
            .create_queue()
            .queue_name(name)
            .attributes(
                QueueAttributeName::VisibilityTimeout,
                options.visibility_timeout.to_string(),
            )
            .attributes(QueueAttributeName::RedrivePolicy, redrive.to_string())
            .send()
            .await
            .context("creating the job queue")?;
        Ok((queue.queue_url.context("no queue URL")?, dlq_url))
    }

    async fn create_project(&self, name: &str) -> anyhow::Result<()> {
        self.codebuild
            .create_project()
            .name(name)
            .source(
                ProjectSource::builder()
                    .r#type(SourceType::Github)
                    .location("https://github.com/whaleray/placeholder.git")
                    .build()?,
            )
            .artifacts(ProjectArtifacts::builder().r#type(ArtifactsType::NoArtifacts).build()?)
            .environment(
                ProjectEnvironment::builder()
                    .r#type(EnvironmentType::LinuxContainer)
                    .image("aws/codebuild/standard:7.0")
                    .compute_type(ComputeType::BuildGeneral1Small)
                    .build()?,
            )
            .service_role("arn:aws:iam::123456789012:role/whaleray-codebuild")
            .send()
            .await
            .with_context(|| format!("creating CodeBuild project {name}"))?;
        Ok(())
    }

    /// Records that `user` may deploy from installation `installation_id` on `login`.
    pub async fn seed_installation(
        &self,
        stack: &Stack,
        user: &str,
        installation_id: u64,
        login: &str,
    ) -> anyhow::Result<()> {
        use aws_sdk_dynamodb::types::AttributeValue;
        let item = HashMap::from([
            ("userId".to_owned(), AttributeValue::S(user.to_owned())),
            ("installationId".to_owned(), AttributeValue::N(installation_id.to_string())),
            ("accountLogin".to_owned(), AttributeValue::S(login.to_owned())),
        ]);
        self.dynamo
            .put_item()
            .table_name(&stack.installations_table)
            .set_item(Some(item))
            .send()
            .await?;
        Ok(())
    }

    /// Approximate visible and in-flight message counts of a queue.
    pub async fn queue_depth(&self, queue_url: &str) -> anyhow::Result<(u64, u64)> {
        let depth = whaleray_worker::operator::queue_depth(&self.sqs, queue_url).await?;
        Ok((depth.visible, depth.in_flight))
    }
}
