# The GitHub App's private key (PEM). Terraform creates only the secret; an operator puts
# the value once, outside Terraform, so it never lands in state:
#   aws secretsmanager put-secret-value --secret-id whaleray/github-app-private-key \
#     --secret-string file://whaleray.private-key.pem
resource "aws_secretsmanager_secret" "github_app_key" {
  #checkov:skip=CKV_AWS_149:Encrypted with the AWS managed key aws/secretsmanager. A customer managed key would add a key policy and cost without narrowing who can read: the resource policy below already denies every principal but the worker role.
  #checkov:skip=CKV2_AWS_57:A GitHub App private key cannot be rotated by a Lambda: a new key is generated in GitHub's App settings and put here by hand (see infra/README.md).
  name                    = local.names.github_key_secret
  description             = "Private key (PEM) of the WhaleRay GitHub App; read by the worker only"
  recovery_window_in_days = var.secret_recovery_window_days
}

# Readable only by the worker: an explicit deny for every other principal, so an identity
# policy elsewhere in the account (even an admin's) cannot read the key.
resource "aws_secretsmanager_secret_policy" "github_app_key" {
  secret_arn          = aws_secretsmanager_secret.github_app_key.arn
  block_public_policy = true

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "OnlyTheWorkerReadsTheKey"
        Effect    = "Deny"
        Principal = "*"
        Action    = "secretsmanager:GetSecretValue"
        # In a secret's resource policy "*" means the secret the policy is attached to.
        Resource = "*"
        Condition = {
          ArnNotEquals = { "aws:PrincipalArn" = local.arns.worker_role }
        }
      },
    ]
  })
}

# The GitHub App's webhook secret (the "Webhook secret" of the App's settings). As for the
# private key, Terraform creates only the secret and an operator puts the value:
#   aws secretsmanager put-secret-value --secret-id whaleray/github-webhook-secret \
#     --secret-string "$(openssl rand -hex 32)"
resource "aws_secretsmanager_secret" "webhook" {
  #checkov:skip=CKV_AWS_149:Encrypted with the AWS managed key aws/secretsmanager; the resource policy below already denies every principal but the API role.
  #checkov:skip=CKV2_AWS_57:The webhook secret is rotated by setting a new one in the GitHub App's settings and here by hand (see README.md).
  name                    = local.names.webhook_secret
  description             = "Webhook secret of the WhaleRay GitHub App; read by the API only"
  recovery_window_in_days = var.secret_recovery_window_days
}

resource "aws_secretsmanager_secret_policy" "webhook" {
  secret_arn          = aws_secretsmanager_secret.webhook.arn
  block_public_policy = true

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "OnlyTheApiReadsTheWebhookSecret"
        Effect    = "Deny"
        Principal = "*"
        Action    = "secretsmanager:GetSecretValue"
        Resource  = "*"
        Condition = {
          ArnNotEquals = { "aws:PrincipalArn" = local.arns.api_role }
        }
      },
    ]
  })
}

# The GitHub App's OAuth client secret ("Client secrets" in the App's settings), used by the API
# to exchange the code GitHub puts on the callback / setup URL for a user token. Terraform
# creates only the secret; an operator puts the value:
#   aws secretsmanager put-secret-value --secret-id whaleray/github-oauth-client-secret \
#     --secret-string '<client secret>'
resource "aws_secretsmanager_secret" "oauth_client" {
  #checkov:skip=CKV_AWS_149:Encrypted with the AWS managed key aws/secretsmanager; the resource policy below already denies every principal but the API role.
  #checkov:skip=CKV2_AWS_57:A GitHub App client secret is rotated by generating a new one in the App's settings and putting it here by hand (see README.md).
  name                    = local.names.oauth_client_secret
  description             = "OAuth client secret of the WhaleRay GitHub App; read by the API only"
  recovery_window_in_days = var.secret_recovery_window_days
}

resource "aws_secretsmanager_secret_policy" "oauth_client" {
  secret_arn          = aws_secretsmanager_secret.oauth_client.arn
  block_public_policy = true

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "OnlyTheApiReadsTheClientSecret"
        Effect    = "Deny"
        Principal = "*"
        Action    = "secretsmanager:GetSecretValue"
        Resource  = "*"
        Condition = {
          ArnNotEquals = { "aws:PrincipalArn" = local.arns.api_role }
        }
      },
    ]
  })
}
