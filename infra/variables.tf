# ---------------------------------------------------------------------------------------
# Where to deploy
# ---------------------------------------------------------------------------------------

variable "aws_region" {
  description = "AWS region for every resource."
  type        = string
  default     = "us-east-1"
}

variable "emulator" {
  description = "Apply against the local emulator (moto): turns off only what it cannot take (SQS event source mapping, SQS redrive allow policy) and gives CodeBuild a dummy source location. Never true on real AWS."
  type        = bool
  default     = false
}

variable "aws_endpoint" {
  description = "Endpoint URL for every AWS service (the emulator's, e.g. http://127.0.0.1:4566). Null means the real AWS endpoints."
  type        = string
  default     = null

  validation {
    # Guards against an emulator run that would silently talk to real AWS.
    condition     = !var.emulator || var.aws_endpoint != null
    error_message = "emulator = true needs aws_endpoint (the emulator's URL)."
  }
}

variable "tags" {
  description = "Tags applied to every resource that supports them."
  type        = map(string)
  default = {
    Project   = "whaleray"
    ManagedBy = "terraform"
  }
}

# ---------------------------------------------------------------------------------------
# Names (defaults give exactly the names the Rust code and localstack/ use)
# ---------------------------------------------------------------------------------------

variable "name_prefix" {
  description = "Prefix of every resource name except the deployments table (see deployments_table_name)."
  type        = string
  default     = "whaleray"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}$", var.name_prefix))
    error_message = "name_prefix: lowercase letters, digits and '-', starting with a letter, at most 31 characters."
  }
}

variable "environment_name" {
  description = "The environment's name in SSM paths: builds' clone tokens live under /<name_prefix>/<environment_name>/build-tokens/."
  type        = string
  default     = "prod"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,30}$", var.environment_name))
    error_message = "environment_name: lowercase letters, digits and '-', at most 31 characters."
  }
}

variable "deployments_table_name" {
  description = "Name of the deployments DynamoDB table (the original design called it plain 'deployments')."
  type        = string
  default     = "deployments"
}

# ---------------------------------------------------------------------------------------
# Front end, authentication, GitHub
# ---------------------------------------------------------------------------------------

variable "domain_name" {
  description = "Domain of the web front end (no scheme): CORS allows https://<domain_name>, and the API's FRONTEND_URL is that origin."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$", var.domain_name))
    error_message = "domain_name must be a lowercase host name such as app.example.com, without scheme or path."
  }
}

variable "jwt_issuer" {
  description = "Issuer URL of the JWT authorizer (e.g. https://cognito-idp.<region>.amazonaws.com/<pool id>)."
  type        = string

  validation {
    condition     = startswith(var.jwt_issuer, "https://")
    error_message = "jwt_issuer must be an https:// URL."
  }
}

variable "jwt_audience" {
  description = "Accepted audiences (client ids) of the JWT authorizer."
  type        = list(string)

  validation {
    condition     = length(var.jwt_audience) > 0
    error_message = "jwt_audience needs at least one audience."
  }
}

variable "github_app_id" {
  description = "Numeric id of the WhaleRay GitHub App (worker env GITHUB_APP_ID)."
  type        = string

  validation {
    condition     = can(regex("^[0-9]+$", var.github_app_id))
    error_message = "github_app_id must be the App's numeric id."
  }
}

variable "github_client_id" {
  description = "Client ID of the WhaleRay GitHub App (API env GITHUB_CLIENT_ID), for the OAuth code exchange that links users to installations. Public; the client secret goes in Secrets Manager."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9._-]+$", var.github_client_id))
    error_message = "github_client_id must be the App's client ID (e.g. Iv23li...)."
  }
}

variable "github_oauth_url" {
  description = "GitHub web base URL for the OAuth code exchange (API env GITHUB_OAUTH_URL)."
  type        = string
  default     = "https://github.com"
}

variable "github_api_url" {
  description = "GitHub REST API base URL (worker and API env GITHUB_API_URL)."
  type        = string
  default     = "https://api.github.com"
}

variable "supported_frameworks" {
  description = "Optional comma-separated framework slugs the worker builds (worker env SUPPORTED_FRAMEWORKS). Empty: the worker's own default, and the variable is not set."
  type        = string
  default     = ""
}

# ---------------------------------------------------------------------------------------
# Lambda functions
# ---------------------------------------------------------------------------------------

variable "api_zip_path" {
  description = "Zip of the API function (scripts/package-lambdas.sh writes it). Null: <repo>/target/lambda/whaleray-api/bootstrap.zip."
  type        = string
  default     = null
}

variable "worker_zip_path" {
  description = "Zip of the worker function. Null: <repo>/target/lambda/whaleray-worker/bootstrap.zip."
  type        = string
  default     = null
}

variable "api_memory_mb" {
  description = "Memory of the API function in MB."
  type        = number
  default     = 256
}

variable "api_timeout_seconds" {
  description = "Timeout of the API function. API Gateway HTTP APIs stop waiting after 30 s."
  type        = number
  default     = 10

  validation {
    condition     = var.api_timeout_seconds >= 1 && var.api_timeout_seconds <= 30
    error_message = "api_timeout_seconds must be 1 to 30 (the HTTP API integration limit)."
  }
}

variable "worker_memory_mb" {
  description = "Memory of the worker function in MB."
  type        = number
  default     = 512
}

variable "worker_timeout_seconds" {
  description = "Timeout of the worker function. The job queue's visibility timeout is derived from it (6 x timeout + batching window)."
  type        = number
  default     = 60

  validation {
    condition     = var.worker_timeout_seconds >= 1 && var.worker_timeout_seconds <= 900
    error_message = "worker_timeout_seconds must be 1 to 900."
  }
}

variable "worker_batch_size" {
  description = "Messages per worker invocation (SQS event source mapping)."
  type        = number
  default     = 10

  validation {
    condition     = var.worker_batch_size >= 1 && var.worker_batch_size <= 10000
    error_message = "worker_batch_size must be 1 to 10000."
  }
}

variable "worker_batching_window_seconds" {
  description = "Maximum batching window of the event source mapping, in seconds (needed when batch size > 10)."
  type        = number
  default     = 5

  validation {
    condition     = var.worker_batching_window_seconds >= 0 && var.worker_batching_window_seconds <= 300
    error_message = "worker_batching_window_seconds must be 0 to 300."
  }
}

variable "worker_max_concurrency" {
  description = "Maximum concurrent worker invocations the SQS mapping may start (scaling_config)."
  type        = number
  default     = 5

  validation {
    condition     = var.worker_max_concurrency >= 2 && var.worker_max_concurrency <= 1000
    error_message = "worker_max_concurrency must be 2 to 1000 (the SQS mapping's limits)."
  }
}

variable "rust_log" {
  description = "RUST_LOG filter for both functions."
  type        = string
  default     = "info"
}

variable "log_retention_days" {
  description = "Retention of the functions', the build's and the API access logs."
  type        = number
  default     = 30
}

variable "sweep_schedule_expression" {
  description = "EventBridge schedule of the worker's sweep (payload {\"whaleray\":\"sweep\"})."
  type        = string
  default     = "rate(5 minutes)"
}

# ---------------------------------------------------------------------------------------
# Queue
# ---------------------------------------------------------------------------------------

variable "max_receive_count" {
  description = "Receives before a job moves to the dead-letter queue; also the worker's MAX_RECEIVE_COUNT, so its last-attempt logic and the redrive agree."
  type        = number
  default     = 5

  validation {
    condition     = var.max_receive_count >= 5 && var.max_receive_count <= 1000
    error_message = "max_receive_count must be at least 5 (AWS's advice for Lambda-driven queues) and at most 1000."
  }
}

variable "job_retention_seconds" {
  description = "Retention of the job queue. Must stay below the dead-letter queue's 14 days: a message keeps its first enqueue time when it moves."
  type        = number
  default     = 345600 # 4 days, the SQS default

  validation {
    condition     = var.job_retention_seconds >= 60 && var.job_retention_seconds < 1209600
    error_message = "job_retention_seconds must be 60 s to less than 14 days (the dead-letter queue's retention)."
  }
}

# ---------------------------------------------------------------------------------------
# API Gateway
# ---------------------------------------------------------------------------------------

variable "user_rate_limit" {
  description = "Per-user limit on the API's POSTs as BURST:PER_SECOND (a token bucket in the API state table, shared by every API instance)."
  type        = string
  default     = "20:2"

  validation {
    condition     = can(regex("^[1-9][0-9]*:[0-9]*\\.?[0-9]+$", var.user_rate_limit))
    error_message = "user_rate_limit must be BURST:PER_SECOND, e.g. 20:2."
  }
}

variable "installation_rate_limit" {
  description = "Per-installation limit on deployment creates as BURST:PER_SECOND, all of the installation's users together."
  type        = string
  default     = "60:5"

  validation {
    condition     = can(regex("^[1-9][0-9]*:[0-9]*\\.?[0-9]+$", var.installation_rate_limit))
    error_message = "installation_rate_limit must be BURST:PER_SECOND, e.g. 60:5."
  }
}

variable "api_throttling_burst_limit" {
  description = "Burst limit of the API's $default stage (the coarse outer limit over all callers; the per-user limits are in the API)."
  type        = number
  default     = 50
}

variable "api_throttling_rate_limit" {
  description = "Steady requests per second of the API's $default stage."
  type        = number
  default     = 20
}

# ---------------------------------------------------------------------------------------
# CodeBuild
# ---------------------------------------------------------------------------------------

variable "codebuild_image" {
  description = "CodeBuild image for user builds (the buildspec uses bash, n and corepack from it)."
  type        = string
  default     = "aws/codebuild/standard:7.0"
}

variable "codebuild_compute_type" {
  description = "CodeBuild compute type."
  type        = string
  default     = "BUILD_GENERAL1_SMALL"
}

variable "codebuild_timeout_minutes" {
  description = "Build timeout in minutes."
  type        = number
  default     = 20
}

# ---------------------------------------------------------------------------------------
# Alarms
# ---------------------------------------------------------------------------------------

variable "oldest_job_age_alarm_seconds" {
  description = "Alarm when the oldest job on the queue is older than this."
  type        = number
  default     = 900
}

variable "alarm_actions" {
  description = "ARNs (e.g. SNS topics) notified when an alarm fires or recovers."
  type        = list(string)
  default     = []
}

variable "deletion_protection" {
  description = "DynamoDB deletion protection on both tables. Turn it off only for throwaway stacks (the emulator run does) or before a deliberate destroy."
  type        = bool
  default     = true
}

variable "secret_recovery_window_days" {
  description = "Days a deleted GitHub key secret stays recoverable (0 deletes at once: throwaway stacks only, as the emulator run)."
  type        = number
  default     = 7
}
