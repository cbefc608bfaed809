# One role per function and one for CodeBuild, each with only the actions the code calls,
# on only the resources it touches. ARNs come from locals.tf (known at plan time).
# No AWS managed policy is attached: AWSLambdaBasicExecutionRole would allow logs on "*".

locals {
  lambda_trust = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

# ---------------------------------------------------------------------------------------
# API function
# ---------------------------------------------------------------------------------------

resource "aws_iam_role" "api" {
  name               = local.names.api_role
  description        = "WhaleRay API Lambda: records deployments and enqueues inspection jobs"
  assume_role_policy = local.lambda_trust
}

resource "aws_iam_role_policy" "api" {
  name = "least-privilege"
  role = aws_iam_role.api.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "OwnLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = ["${local.arns.api_log_group}:*"]
      },
      {
        Sid      = "DeploymentItems"
        Effect   = "Allow"
        Action   = ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem"]
        Resource = [local.arns.deployments_table]
      },
      {
        Sid      = "DeploymentsByUser"
        Effect   = "Allow"
        Action   = ["dynamodb:Query"]
        Resource = [local.arns.deployments_table, local.arns.deployments_gsi]
      },
      {
        Sid      = "InstallationsOfCaller"
        Effect   = "Allow"
        Action   = ["dynamodb:Query"]
        Resource = [local.arns.installations_table]
      },
      {
        # POST /github/installations writes one link per installation GitHub lists for the
        # caller and deletes the ones it no longer lists; DELETE unlinks (conditional delete).
        Sid      = "LinkInstallations"
        Effect   = "Allow"
        Action   = ["dynamodb:PutItem", "dynamodb:DeleteItem"]
        Resource = [local.arns.installations_table]
      },
      {
        Sid      = "IdempotencyKeysAndRateLimits"
        Effect   = "Allow"
        Action   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]
        Resource = [local.arns.api_state_table]
      },
      {
        # POST /deployments/{id}/cancel stops a BUILDING deployment's build itself
        # (api/src/builds.rs); StopBuild is authorised on the project the build belongs to.
        Sid      = "StopCanceledBuilds"
        Effect   = "Allow"
        Action   = ["codebuild:StopBuild"]
        Resource = [local.arns.codebuild_project]
      },
      {
        # POST /deployments and a signed push to a project's production branch (the webhook
        # route runs in this function too) both queue inspections.
        Sid      = "EnqueueInspection"
        Effect   = "Allow"
        Action   = ["sqs:SendMessage"]
        Resource = [local.arns.job_queue]
      },
      {
        Sid      = "InstallationsFromWebhooks"
        Effect   = "Allow"
        Action   = ["dynamodb:UpdateItem", "dynamodb:GetItem"]
        Resource = [local.arns.app_installations_table]
      },
      {
        Sid      = "WebhookDeliveriesOnce"
        Effect   = "Allow"
        Action   = ["dynamodb:PutItem", "dynamodb:DeleteItem"]
        Resource = [local.arns.deliveries_table]
      },
      {
        # /projects: a create puts the project and its identity guard in one transaction
        # (TransactWriteItems is authorised as its PutItem parts), a delete removes both the
        # same way (DeleteItem), PATCH is a conditional UpdateItem, reads are GetItem.
        Sid      = "ProjectItems"
        Effect   = "Allow"
        Action   = ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]
        Resource = [local.arns.projects_table]
      },
      {
        # GET /projects (userId-createdAt-index) and a push's lookup of its repository's
        # projects (repositoryKey-index).
        Sid      = "ProjectsByUserAndRepository"
        Effect   = "Allow"
        Action   = ["dynamodb:Query"]
        Resource = [local.arns.projects_user_gsi, local.arns.projects_repository_gsi]
      },
      {
        Sid      = "ReadWebhookSecret"
        Effect   = "Allow"
        Action   = ["secretsmanager:GetSecretValue"]
        Resource = [local.arns.webhook_secret]
      },
      {
        Sid      = "ReadOAuthClientSecret"
        Effect   = "Allow"
        Action   = ["secretsmanager:GetSecretValue"]
        Resource = [local.arns.oauth_client_secret]
      },
    ]
  })
}

# ---------------------------------------------------------------------------------------
# Worker function
# ---------------------------------------------------------------------------------------

resource "aws_iam_role" "worker" {
  name               = local.names.worker_role
  description        = "WhaleRay worker Lambda: inspects repositories, moves statuses, starts builds, sweeps the DLQ"
  assume_role_policy = local.lambda_trust
}

resource "aws_iam_role_policy" "worker" {
  name = "least-privilege"
  role = aws_iam_role.worker.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "OwnLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = ["${local.arns.worker_log_group}:*"]
      },
      {
        Sid      = "DeploymentItems"
        Effect   = "Allow"
        Action   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
        Resource = [local.arns.deployments_table]
      },
      {
        Sid      = "DeploymentsQuery"
        Effect   = "Allow"
        Action   = ["dynamodb:Query"]
        Resource = [local.arns.deployments_table, local.arns.deployments_gsi]
      },
      {
        # The scheduled stall sweep finds INSPECTING deployments not updated for a while
        # with a filtered Scan (shared/src/dynamo/deployments.rs list_stalled).
        Sid      = "StallSweepScan"
        Effect   = "Allow"
        Action   = ["dynamodb:Scan"]
        Resource = [local.arns.deployments_table]
      },
      {
        # Receive/Delete/GetQueueAttributes: the event source mapping and the poller.
        # ChangeMessageVisibility: backing off a retryable job. SendMessage: the sweep
        # puts replayed dead letters back on this queue.
        Sid    = "JobQueue"
        Effect = "Allow"
        Action = [
          "sqs:ReceiveMessage",
          "sqs:DeleteMessage",
          "sqs:ChangeMessageVisibility",
          "sqs:GetQueueAttributes",
          "sqs:SendMessage",
        ]
        Resource = [local.arns.job_queue]
      },
      {
        Sid    = "DeadLetterQueue"
        Effect = "Allow"
        Action = [
          "sqs:ReceiveMessage",
          "sqs:DeleteMessage",
          "sqs:GetQueueAttributes",
          "sqs:SendMessage",
        ]
        Resource = [local.arns.dead_letter_queue]
      },
      {
        # ListBuildsForProject + BatchGetBuilds: finding a build an earlier attempt of the
        # same job already started (worker/src/codebuild.rs find_started). StopBuild: a build
        # started for a deployment its owner canceled meanwhile (worker/src/process).
        Sid      = "StartAndWatchBuilds"
        Effect   = "Allow"
        Action   = ["codebuild:StartBuild", "codebuild:BatchGetBuilds", "codebuild:ListBuildsForProject", "codebuild:StopBuild"]
        Resource = [local.arns.codebuild_project]
      },
      {
        Sid      = "GitHubAppKey"
        Effect   = "Allow"
        Action   = ["secretsmanager:GetSecretValue"]
        Resource = [local.arns.github_key_secret]
      },
      {
        # Each build's clone token: a SecureString written right before StartBuild and
        # deleted when the build ends. It is encrypted with the AWS managed key aws/ssm,
        # whose key policy lets principals of this account use it through SSM, so no kms:
        # action is granted here.
        Sid      = "BuildCloneTokens"
        Effect   = "Allow"
        Action   = ["ssm:PutParameter", "ssm:DeleteParameter"]
        Resource = [local.arns.build_tokens]
      },
    ]
  })
}

# ---------------------------------------------------------------------------------------
# CodeBuild
# ---------------------------------------------------------------------------------------

resource "aws_iam_role" "codebuild" {
  name        = local.names.codebuild_role
  description = "WhaleRay user builds: write their own build logs and read their clone token, nothing else"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "codebuild.amazonaws.com" }
      Action    = "sts:AssumeRole"
      # Confused-deputy guard: only CodeBuild acting for this account may assume the role.
      Condition = {
        StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id }
      }
    }]
  })
}

resource "aws_iam_role_policy" "codebuild" {
  name = "build-logs"
  role = aws_iam_role.codebuild.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "OwnLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = ["${local.arns.codebuild_log_group}:*"]
      },
      {
        # CodeBuild resolves the WHALERAY_GIT_TOKEN PARAMETER_STORE variable with this role
        # when a build starts (decrypting through the AWS managed key aws/ssm).
        Sid      = "ReadCloneTokens"
        Effect   = "Allow"
        Action   = ["ssm:GetParameters"]
        Resource = [local.arns.build_tokens]
      },
    ]
  })
}
