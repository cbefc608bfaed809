# Both functions are Rust binaries built by scripts/package-lambdas.sh with cargo-lambda
# (`--arm64`): the zip holds one executable named `bootstrap` for the provided.al2023 runtime.

resource "aws_cloudwatch_log_group" "api" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts at rest with its own key; the functions never log secrets (STYLE.md), so a customer managed KMS key would only add cost and a key policy.
  #checkov:skip=CKV_AWS_338:Operational logs: retention is the log_retention_days variable (default 30 days) to bound cost; audit history lives in CloudTrail, not here.
  name              = local.log_groups.api
  retention_in_days = var.log_retention_days
}

resource "aws_cloudwatch_log_group" "worker" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts at rest with its own key; the worker never logs secrets (the GitHub key and tokens are SecretString), so a customer managed KMS key would only add cost.
  #checkov:skip=CKV_AWS_338:Operational logs: retention is the log_retention_days variable (default 30 days) to bound cost; audit history lives in CloudTrail, not here.
  name              = local.log_groups.worker
  retention_in_days = var.log_retention_days
}

resource "aws_lambda_function" "api" {
  #checkov:skip=CKV_AWS_117:Not in a VPC on purpose: the function reaches only public AWS endpoints (DynamoDB, SQS); a VPC would need endpoints or a NAT gateway and adds cold-start cost without protecting anything.
  #checkov:skip=CKV_AWS_116:Invoked synchronously by API Gateway only, where a dead-letter queue never applies; failed inspection jobs have their own DLQ (sqs.tf).
  #checkov:skip=CKV_AWS_173:The environment holds only resource names, URLs and a log filter, no secrets; Lambda encrypts it at rest with the AWS managed key.
  #checkov:skip=CKV_AWS_272:Code signing needs an AWS Signer profile the project does not have; the zip is built by scripts/package-lambdas.sh from the reviewed repository.
  #checkov:skip=CKV_AWS_115:No reserved concurrency: reserving it on a new account (concurrency quota 10) is refused, and the stage throttling in api-gateway.tf already bounds the load.
  #checkov:skip=CKV_AWS_50:No X-Ray: the Rust functions emit structured JSON logs with span fields instead, and X-Ray write permissions would need a Resource "*" statement.
  function_name    = local.names.api_function
  description      = "WhaleRay HTTP API: POST/GET /deployments"
  role             = aws_iam_role.api.arn
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  architectures    = ["arm64"]
  filename         = local.api_zip_path
  source_code_hash = filebase64sha256(local.api_zip_path)
  memory_size      = var.api_memory_mb
  timeout          = var.api_timeout_seconds

  environment {
    variables = local.api_env
  }

  # Without JSON format the runtime prints plain text (STYLE.md, tracing and JSON logs).
  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.api.name
  }

  depends_on = [aws_iam_role_policy.api]
}

resource "aws_lambda_function" "worker" {
  #checkov:skip=CKV_AWS_117:Not in a VPC on purpose: the worker calls the public GitHub API and AWS endpoints; a VPC would need a NAT gateway without protecting anything.
  #checkov:skip=CKV_AWS_116:Jobs come from SQS, whose own redrive policy moves failed jobs to the DLQ (sqs.tf); the only asynchronous invoke is the scheduled sweep, retried by its next run (maximum_retry_attempts = 0 below).
  #checkov:skip=CKV_AWS_173:The environment holds only names, URLs, the App id and the secret's ARN, never the key itself; Lambda encrypts it at rest with the AWS managed key.
  #checkov:skip=CKV_AWS_272:Code signing needs an AWS Signer profile the project does not have; the zip is built by scripts/package-lambdas.sh from the reviewed repository.
  #checkov:skip=CKV_AWS_115:Concurrency is bounded where the load comes from: scaling_config.maximum_concurrency on the SQS mapping; reserved concurrency is refused on accounts with the default quota of 10.
  #checkov:skip=CKV_AWS_50:No X-Ray: the Rust functions emit structured JSON logs with span fields instead, and X-Ray write permissions would need a Resource "*" statement.
  function_name    = local.names.worker_function
  description      = "WhaleRay inspection worker: SQS batches, sweep on a schedule"
  role             = aws_iam_role.worker.arn
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  architectures    = ["arm64"]
  filename         = local.worker_zip_path
  source_code_hash = filebase64sha256(local.worker_zip_path)
  memory_size      = var.worker_memory_mb
  timeout          = var.worker_timeout_seconds

  environment {
    variables = local.worker_env
  }

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.worker.name
  }

  depends_on = [aws_iam_role_policy.worker]
}

# The queue drives the worker. ReportBatchItemFailures is what makes the Rust handler's
# SqsBatchResponse count: without it, failed messages are deleted as if they succeeded.
# Left out under the emulator: moto then fails an invoke on every send (functions cannot
# run there), raising ApproximateReceiveCount and pushing jobs to the DLQ early. The
# emulator run drives the worker with `whaleray-worker poll` instead.
resource "aws_lambda_event_source_mapping" "worker_jobs" {
  count = var.emulator ? 0 : 1

  event_source_arn                   = aws_sqs_queue.jobs.arn
  function_name                      = aws_lambda_function.worker.arn
  function_response_types            = ["ReportBatchItemFailures"]
  batch_size                         = var.worker_batch_size
  maximum_batching_window_in_seconds = var.worker_batching_window_seconds

  scaling_config {
    maximum_concurrency = var.worker_max_concurrency
  }

  lifecycle {
    precondition {
      condition     = var.worker_batch_size <= 10 || var.worker_batching_window_seconds >= 1
      error_message = "SQS event source mappings with batch_size over 10 need a batching window of at least 1 s."
    }
  }
}

# Asynchronous invokes are the scheduled sweep (the next run sweeps again) and the build
# state-change events: a failed recording (a DynamoDB outage) is tried twice more, and
# whatever is still lost the sweep's reconciliation records.
resource "aws_lambda_function_event_invoke_config" "worker" {
  function_name                = aws_lambda_function.worker.function_name
  maximum_retry_attempts       = 2
  maximum_event_age_in_seconds = 300
}
