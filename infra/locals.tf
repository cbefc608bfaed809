locals {
  # Names. The defaults give exactly the names the Rust code, localstack/bootstrap.py and
  # localstack/init/ready.d/10-whaleray.sh use (infra/tests/test_drift.py checks this).
  names = {
    deployments_table       = var.deployments_table_name
    deployments_gsi         = "userId-createdAt-index"
    installations_table     = "${var.name_prefix}-installations"
    app_installations_table = "${var.name_prefix}-github-installations"
    deliveries_table        = "${var.name_prefix}-webhook-deliveries"
    api_state_table         = "${var.name_prefix}-api-state"
    projects_table          = "${var.name_prefix}-projects"
    projects_user_gsi       = "userId-createdAt-index"
    projects_repository_gsi = "repositoryKey-index"
    job_queue               = "${var.name_prefix}-inspection-jobs"
    dead_letter_queue       = "${var.name_prefix}-inspection-jobs-dlq"
    codebuild_project       = "${var.name_prefix}-build"
    api_function            = "${var.name_prefix}-api"
    worker_function         = "${var.name_prefix}-worker"
    api_role                = "${var.name_prefix}-api-lambda"
    worker_role             = "${var.name_prefix}-worker-lambda"
    codebuild_role          = "${var.name_prefix}-codebuild"
    http_api                = "${var.name_prefix}-http-api"
    github_key_secret       = "${var.name_prefix}/github-app-private-key"
    webhook_secret          = "${var.name_prefix}/github-webhook-secret"
    oauth_client_secret     = "${var.name_prefix}/github-oauth-client-secret"
    sweep_rule              = "${var.name_prefix}-worker-sweep"
    build_state_rule        = "${var.name_prefix}-build-state"
    # SSM path of the builds' clone tokens: one SecureString per deployment, written by the
    # worker right before StartBuild and deleted when the build ends (worker/src/credentials.rs).
    build_tokens_path = "/${var.name_prefix}/${var.environment_name}/build-tokens"
  }

  log_groups = {
    api       = "/aws/lambda/${local.names.api_function}"
    worker    = "/aws/lambda/${local.names.worker_function}"
    codebuild = "/aws/codebuild/${local.names.codebuild_project}"
    api_gw    = "/aws/apigateway/${local.names.http_api}/access"
  }

  # One number for the redrive policy and the worker's MAX_RECEIVE_COUNT.
  max_receive_count = var.max_receive_count

  # AWS: set the source queue's visibility timeout to at least six times the function
  # timeout plus the batching window, so a batch that is retried by Lambda is not received
  # again while the first attempt still runs.
  job_visibility_timeout_seconds = 6 * var.worker_timeout_seconds + var.worker_batching_window_seconds

  dead_letter_retention_seconds = 1209600 # 14 days, the SQS maximum

  # ARNs built from names and the caller identity (read at plan time), not from resource
  # attributes: plans then show the exact IAM resources, and policy_check.py can verify a
  # plan before the first apply. apply-emulator.sh checks they equal the created ARNs.
  arn_prefix = {
    for service in ["sqs", "dynamodb", "logs", "codebuild", "secretsmanager", "lambda", "ssm"] :
    service => "arn:${data.aws_partition.current.partition}:${service}:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}"
  }
  arns = {
    job_queue               = "${local.arn_prefix.sqs}:${local.names.job_queue}"
    dead_letter_queue       = "${local.arn_prefix.sqs}:${local.names.dead_letter_queue}"
    deployments_table       = "${local.arn_prefix.dynamodb}:table/${local.names.deployments_table}"
    deployments_gsi         = "${local.arn_prefix.dynamodb}:table/${local.names.deployments_table}/index/${local.names.deployments_gsi}"
    installations_table     = "${local.arn_prefix.dynamodb}:table/${local.names.installations_table}"
    app_installations_table = "${local.arn_prefix.dynamodb}:table/${local.names.app_installations_table}"
    deliveries_table        = "${local.arn_prefix.dynamodb}:table/${local.names.deliveries_table}"
    api_state_table         = "${local.arn_prefix.dynamodb}:table/${local.names.api_state_table}"
    projects_table          = "${local.arn_prefix.dynamodb}:table/${local.names.projects_table}"
    projects_user_gsi       = "${local.arn_prefix.dynamodb}:table/${local.names.projects_table}/index/${local.names.projects_user_gsi}"
    projects_repository_gsi = "${local.arn_prefix.dynamodb}:table/${local.names.projects_table}/index/${local.names.projects_repository_gsi}"
    codebuild_project       = "${local.arn_prefix.codebuild}:project/${local.names.codebuild_project}"
    # Secrets Manager appends six random characters to a secret's ARN; `-??????` is AWS's
    # documented way to name one secret in a policy before it exists.
    github_key_secret   = "${local.arn_prefix.secretsmanager}:secret:${local.names.github_key_secret}-??????"
    webhook_secret      = "${local.arn_prefix.secretsmanager}:secret:${local.names.webhook_secret}-??????"
    oauth_client_secret = "${local.arn_prefix.secretsmanager}:secret:${local.names.oauth_client_secret}-??????"
    api_role            = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:role/${local.names.api_role}"
    worker_role         = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:role/${local.names.worker_role}"
    api_log_group       = "${local.arn_prefix.logs}:log-group:${local.log_groups.api}"
    worker_log_group    = "${local.arn_prefix.logs}:log-group:${local.log_groups.worker}"
    codebuild_log_group = "${local.arn_prefix.logs}:log-group:${local.log_groups.codebuild}"
    # A parameter's ARN is arn:...:parameter<name>, its name starting with "/".
    build_tokens = "${local.arn_prefix.ssm}:parameter${local.names.build_tokens_path}/*"
  }

  # Environment of each function, exactly as the Rust config reads it (also an output, for
  # the smoke check that runs the binaries against what Terraform created).
  api_env = {
    DEPLOYMENTS_TABLE          = aws_dynamodb_table.deployments.name
    INSTALLATIONS_TABLE        = aws_dynamodb_table.installations.name
    GITHUB_INSTALLATIONS_TABLE = aws_dynamodb_table.app_installations.name
    WEBHOOK_DELIVERIES_TABLE   = aws_dynamodb_table.webhook_deliveries.name
    PROJECTS_TABLE             = aws_dynamodb_table.projects.name
    GITHUB_WEBHOOK_SECRET_ARN  = aws_secretsmanager_secret.webhook.arn
    GITHUB_CLIENT_ID           = var.github_client_id
    GITHUB_CLIENT_SECRET_ARN   = aws_secretsmanager_secret.oauth_client.arn
    GITHUB_OAUTH_URL           = var.github_oauth_url
    GITHUB_API_URL             = var.github_api_url
    API_STATE_TABLE            = aws_dynamodb_table.api_state.name
    USER_RATE_LIMIT            = var.user_rate_limit
    INSTALLATION_RATE_LIMIT    = var.installation_rate_limit
    JOB_QUEUE_URL              = aws_sqs_queue.jobs.url
    FRONTEND_URL               = "https://${var.domain_name}"
    RUST_LOG                   = var.rust_log
  }

  worker_env = merge(
    {
      DEPLOYMENTS_TABLE             = aws_dynamodb_table.deployments.name
      JOB_QUEUE_URL                 = aws_sqs_queue.jobs.url
      DEAD_LETTER_QUEUE_URL         = aws_sqs_queue.dead_letter.url
      CODEBUILD_PROJECT             = aws_codebuild_project.build.name
      GITHUB_API_URL                = var.github_api_url
      GITHUB_APP_ID                 = var.github_app_id
      GITHUB_PRIVATE_KEY_SECRET_ARN = aws_secretsmanager_secret.github_app_key.arn
      MAX_RECEIVE_COUNT             = tostring(local.max_receive_count)
      BUILD_TOKEN_PARAMETER_PREFIX  = local.names.build_tokens_path
      RUST_LOG                      = var.rust_log
    },
    # Blank means "use the worker's default", so leave the variable out rather than set it empty.
    var.supported_frameworks == "" ? {} : { SUPPORTED_FRAMEWORKS = var.supported_frameworks },
  )

  api_zip_path    = coalesce(var.api_zip_path, "${path.module}/../target/lambda/whaleray-api/bootstrap.zip")
  worker_zip_path = coalesce(var.worker_zip_path, "${path.module}/../target/lambda/whaleray-worker/bootstrap.zip")

  cors_allow_origins = ["https://${var.domain_name}", "http://localhost:5173"]
}
