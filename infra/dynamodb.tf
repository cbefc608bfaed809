# Deployments, one item per deployment. The API lists a user's deployments newest first
# through the userId/createdAt index (createdAt is an RFC 3339 string, so it sorts as text).
resource "aws_dynamodb_table" "deployments" {
  #checkov:skip=CKV_AWS_119:Encrypted at rest with the AWS owned key; a customer managed KMS key adds cost and a key policy while the items hold no secrets (repository names, statuses, build ids).
  name         = local.names.deployments_table
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "deploymentId"

  attribute {
    name = "deploymentId"
    type = "S"
  }
  attribute {
    name = "userId"
    type = "S"
  }
  attribute {
    name = "createdAt"
    type = "S"
  }

  global_secondary_index {
    name            = local.names.deployments_gsi
    hash_key        = "userId"
    range_key       = "createdAt"
    projection_type = "ALL"
  }

  point_in_time_recovery {
    enabled = true
  }

  # No stream: nothing consumes table changes; jobs travel on SQS.
  stream_enabled = false

  deletion_protection_enabled = var.deletion_protection
}

# GitHub App installations per user, as the API reads them (Query on userId).
resource "aws_dynamodb_table" "installations" {
  #checkov:skip=CKV_AWS_119:Encrypted at rest with the AWS owned key; the items (user id, installation id, account login) are not secrets and a customer managed key only adds cost.
  name         = local.names.installations_table
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "userId"
  range_key    = "installationId"

  attribute {
    name = "userId"
    type = "S"
  }
  attribute {
    name = "installationId"
    type = "N"
  }

  point_in_time_recovery {
    enabled = true
  }

  deletion_protection_enabled = var.deletion_protection
}

# What GitHub reported about each installation of the App, written only by signed webhooks
# (UpdateItem) and read when a deployment is requested (GetItem). Keyed on GitHub's numeric
# installation id; the account login is data, since logins change.
resource "aws_dynamodb_table" "app_installations" {
  #checkov:skip=CKV_AWS_119:Encrypted at rest with the AWS owned key; the items (installation and account ids, login, repository names) are not secrets and a customer managed key only adds cost.
  name         = local.names.app_installations_table
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "installationId"

  attribute {
    name = "installationId"
    type = "N"
  }

  point_in_time_recovery {
    enabled = true
  }

  deletion_protection_enabled = var.deletion_protection
}

# Webhook deliveries already acted on (X-GitHub-Delivery), so a redelivery changes nothing.
# Items expire through TTL on expiresAt (epoch seconds) a week after they were written.
resource "aws_dynamodb_table" "webhook_deliveries" {
  #checkov:skip=CKV_AWS_119:Encrypted at rest with the AWS owned key; the items are delivery GUIDs and expiry times.
  name         = local.names.deliveries_table
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "deliveryId"

  attribute {
    name = "deliveryId"
    type = "S"
  }

  ttl {
    attribute_name = "expiresAt"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  deletion_protection_enabled = var.deletion_protection
}

# Projects: the repositories users connected for push-to-deploy (api/src/projects.rs). Hash
# key projectId; guard items keyed "identity#<user, repository, root directory>" make a
# project's identity unique (written with it in one transaction) and carry neither index
# attribute. The API lists a user's projects through userId/createdAt, and a push finds every
# project of its repository through repositoryKey (the lower-case full name).
resource "aws_dynamodb_table" "projects" {
  #checkov:skip=CKV_AWS_119:Encrypted at rest with the AWS owned key; the items (user ids, repository names, branch names) are not secrets and a customer managed key only adds cost.
  name         = local.names.projects_table
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "projectId"

  attribute {
    name = "projectId"
    type = "S"
  }
  attribute {
    name = "userId"
    type = "S"
  }
  attribute {
    name = "createdAt"
    type = "S"
  }
  attribute {
    name = "repositoryKey"
    type = "S"
  }

  global_secondary_index {
    name            = local.names.projects_user_gsi
    hash_key        = "userId"
    range_key       = "createdAt"
    projection_type = "ALL"
  }

  global_secondary_index {
    name            = local.names.projects_repository_gsi
    hash_key        = "repositoryKey"
    projection_type = "ALL"
  }

  point_in_time_recovery {
    enabled = true
  }

  deletion_protection_enabled = var.deletion_protection
}

# API state: Idempotency-Key records and per-user / per-installation rate-limit buckets, one
# item per key (hash key `pk`). Every item carries `expiresAt` (Unix seconds) and TTL removes
# it once expired; the API treats an expired item as absent, since TTL deletes lazily.
resource "aws_dynamodb_table" "api_state" {
  #checkov:skip=CKV_AWS_119:Encrypted at rest with the AWS owned key; the items (hashed request fingerprints, stored API answers, token counts) are short-lived and not secrets.
  #checkov:skip=CKV_AWS_28:Point-in-time recovery is pointless for state that expires within 24 hours and is rebuilt by the next request.
  name         = local.names.api_state_table
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "pk"

  attribute {
    name = "pk"
    type = "S"
  }

  ttl {
    attribute_name = "expiresAt"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = false
  }

  deletion_protection_enabled = var.deletion_protection
}
