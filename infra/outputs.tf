output "api_url" {
  description = "Base URL of the HTTP API ($default stage: no stage prefix)."
  value       = aws_apigatewayv2_api.http.api_endpoint
}

output "job_queue_url" {
  description = "URL of the inspection job queue."
  value       = aws_sqs_queue.jobs.url
}

output "dead_letter_queue_url" {
  description = "URL of the inspection jobs' dead-letter queue."
  value       = aws_sqs_queue.dead_letter.url
}

output "deployments_table" {
  description = "Name of the deployments table."
  value       = aws_dynamodb_table.deployments.name
}

output "installations_table" {
  description = "Name of the installations table."
  value       = aws_dynamodb_table.installations.name
}

output "api_state_table" {
  description = "Name of the API state table (idempotency keys, rate-limit buckets)."
  value       = aws_dynamodb_table.api_state.name
}

output "codebuild_project" {
  description = "Name of the CodeBuild project."
  value       = aws_codebuild_project.build.name
}

output "github_private_key_secret_arn" {
  description = "ARN of the secret to put the GitHub App private key into."
  value       = aws_secretsmanager_secret.github_app_key.arn
}

output "api_env" {
  description = "The API function's environment, exactly as deployed."
  value       = local.api_env
}

output "worker_env" {
  description = "The worker function's environment, exactly as deployed."
  value       = local.worker_env
}
