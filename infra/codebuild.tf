# User builds. The project has no source: the worker sends this buildspec with every
# StartBuild (buildspecOverride), the plan and the pinned commit as PLAINTEXT variables, and
# the clone token as a PARAMETER_STORE variable naming an SSM SecureString under
# /<name_prefix>/<environment_name>/build-tokens/ (see buildspec.yml); the buildspec clones
# the commit itself, so a repository's own buildspec.yml is never run. The worker caps each
# build's queued timeout at 30 minutes, well inside the token's hour.
resource "aws_cloudwatch_log_group" "codebuild" {
  #checkov:skip=CKV_AWS_158:Build logs; CloudWatch Logs encrypts them at rest with its own key. The clone token never reaches the logs (the buildspec never prints it and unsets it after the clone).
  #checkov:skip=CKV_AWS_338:Operational logs: retention is the log_retention_days variable (default 30 days) to bound cost.
  name              = local.log_groups.codebuild
  retention_in_days = var.log_retention_days
}

resource "aws_codebuild_project" "build" {
  name          = local.names.codebuild_project
  description   = "WhaleRay: builds a user's repository at the commit the worker resolved"
  service_role  = aws_iam_role.codebuild.arn
  build_timeout = var.codebuild_timeout_minutes

  # Publishing the build output is not part of this pipeline yet: NO_ARTIFACTS keeps the
  # project minimal (no bucket to secure). The buildspec still fails a build whose output
  # directory is missing. When hosting lands, add an S3 bucket here and an `artifacts`
  # section with base-directory = the output directory.
  artifacts {
    type = "NO_ARTIFACTS"
  }

  # Every build clones its own source in the buildspec, so the project needs none
  # (NO_SOURCE). moto rejects NO_SOURCE without a location while the provider
  # rejects a location with NO_SOURCE, so the emulator gets a GITHUB source with a dummy
  # location that no build ever uses.
  source {
    type      = var.emulator ? "GITHUB" : "NO_SOURCE"
    location  = var.emulator ? "https://github.com/whaleray/emulator-placeholder.git" : null
    buildspec = file("${path.module}/buildspec.yml")
  }

  environment {
    type                        = "LINUX_CONTAINER"
    compute_type                = var.codebuild_compute_type
    image                       = var.codebuild_image
    image_pull_credentials_type = "CODEBUILD"
    privileged_mode             = false
  }

  logs_config {
    cloudwatch_logs {
      group_name = aws_cloudwatch_log_group.codebuild.name
      status     = "ENABLED"
    }
    s3_logs {
      status = "DISABLED"
    }
  }
}
