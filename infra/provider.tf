# One provider for real AWS and the local emulator. With `emulator = true` every service
# endpoint points at `aws_endpoint`, the credentials are the emulator's dummy ones, and the
# checks that need real AWS (STS validation, account-id lookup, EC2 metadata) are skipped.
provider "aws" {
  region = var.aws_region

  # Dummy credentials for the emulator only (they are not secrets: moto accepts any value).
  # On real AWS these are null and the normal credential chain applies.
  access_key                  = var.emulator ? "test" : null
  secret_key                  = var.emulator ? "test" : null
  skip_credentials_validation = var.emulator
  skip_requesting_account_id  = var.emulator
  skip_metadata_api_check     = var.emulator
  s3_use_path_style           = var.emulator

  endpoints {
    apigatewayv2   = var.aws_endpoint
    cloudwatch     = var.aws_endpoint
    codebuild      = var.aws_endpoint
    dynamodb       = var.aws_endpoint
    events         = var.aws_endpoint
    iam            = var.aws_endpoint
    lambda         = var.aws_endpoint
    logs           = var.aws_endpoint
    s3             = var.aws_endpoint
    secretsmanager = var.aws_endpoint
    sqs            = var.aws_endpoint
    sts            = var.aws_endpoint
  }

  default_tags {
    tags = var.tags
  }
}

# Read at plan time (no dependency on anything created here), so the ARNs built from them in
# locals.tf are known in a plan: reviewers and policy_check.py see real IAM resources before
# the first apply.
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}
