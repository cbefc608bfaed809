#!/usr/bin/env bash
# LocalStack ready hook: creates WhaleRay's resources with the same names and settings as
# infra/ (Terraform) and localstack/bootstrap.py; infra/tests/test_drift.py runs this script
# against moto through an `awslocal` shim and compares the result with both.
#
# Optional seeding (docker-compose.yml passes these through):
#   WHALERAY_DEV_USER_ID, WHALERAY_DEV_INSTALLATION_ID, WHALERAY_DEV_ACCOUNT_LOGIN
set -euo pipefail

DEPLOYMENTS_TABLE="${DEPLOYMENTS_TABLE:-deployments}"
INSTALLATIONS_TABLE="${INSTALLATIONS_TABLE:-whaleray-installations}"
GITHUB_INSTALLATIONS_TABLE="${GITHUB_INSTALLATIONS_TABLE:-whaleray-github-installations}"
WEBHOOK_DELIVERIES_TABLE="${WEBHOOK_DELIVERIES_TABLE:-whaleray-webhook-deliveries}"
API_STATE_TABLE="${API_STATE_TABLE:-whaleray-api-state}"
PROJECTS_TABLE="${PROJECTS_TABLE:-whaleray-projects}"
JOB_QUEUE_NAME="${JOB_QUEUE_NAME:-whaleray-inspection-jobs}"
DEAD_LETTER_QUEUE_NAME="${DEAD_LETTER_QUEUE_NAME:-whaleray-inspection-jobs-dlq}"
CODEBUILD_PROJECT="${CODEBUILD_PROJECT:-whaleray-build}"
BUILDSPEC_FILE="${WHALERAY_BUILDSPEC_FILE:-/etc/whaleray/buildspec.yml}"

# Terraform defaults: visibility = 6 x worker timeout (60 s) + batching window (0 s).
VISIBILITY_TIMEOUT=360
JOB_RETENTION=345600
DLQ_RETENTION=1209600
MAX_RECEIVE_COUNT=5

log() { printf 'whaleray-init: %s\n' "$*" >&2; }

table_exists() {
  awslocal dynamodb describe-table --table-name "$1" >/dev/null 2>&1
}

if ! table_exists "$DEPLOYMENTS_TABLE"; then
  awslocal dynamodb create-table \
    --table-name "$DEPLOYMENTS_TABLE" \
    --billing-mode PAY_PER_REQUEST \
    --attribute-definitions \
    AttributeName=deploymentId,AttributeType=S \
    AttributeName=userId,AttributeType=S \
    AttributeName=createdAt,AttributeType=S \
    --key-schema AttributeName=deploymentId,KeyType=HASH \
    --global-secondary-indexes \
    'IndexName=userId-createdAt-index,KeySchema=[{AttributeName=userId,KeyType=HASH},{AttributeName=createdAt,KeyType=RANGE}],Projection={ProjectionType=ALL}' \
    >/dev/null
  log "created table $DEPLOYMENTS_TABLE"
fi

if ! table_exists "$INSTALLATIONS_TABLE"; then
  awslocal dynamodb create-table \
    --table-name "$INSTALLATIONS_TABLE" \
    --billing-mode PAY_PER_REQUEST \
    --attribute-definitions \
    AttributeName=userId,AttributeType=S \
    AttributeName=installationId,AttributeType=N \
    --key-schema AttributeName=userId,KeyType=HASH AttributeName=installationId,KeyType=RANGE \
    >/dev/null
  log "created table $INSTALLATIONS_TABLE"
fi

if ! table_exists "$API_STATE_TABLE"; then
  awslocal dynamodb create-table \
    --table-name "$API_STATE_TABLE" \
    --billing-mode PAY_PER_REQUEST \
    --attribute-definitions AttributeName=pk,AttributeType=S \
    --key-schema AttributeName=pk,KeyType=HASH \
    >/dev/null
  awslocal dynamodb wait table-exists --table-name "$API_STATE_TABLE"
  awslocal dynamodb update-time-to-live --table-name "$API_STATE_TABLE" \
    --time-to-live-specification Enabled=true,AttributeName=expiresAt >/dev/null
  log "created table $API_STATE_TABLE"
fi

if ! table_exists "$GITHUB_INSTALLATIONS_TABLE"; then
  awslocal dynamodb create-table \
    --table-name "$GITHUB_INSTALLATIONS_TABLE" \
    --billing-mode PAY_PER_REQUEST \
    --attribute-definitions AttributeName=installationId,AttributeType=N \
    --key-schema AttributeName=installationId,KeyType=HASH \
    >/dev/null
  log "created table $GITHUB_INSTALLATIONS_TABLE"
fi

if ! table_exists "$WEBHOOK_DELIVERIES_TABLE"; then
  awslocal dynamodb create-table \
    --table-name "$WEBHOOK_DELIVERIES_TABLE" \
    --billing-mode PAY_PER_REQUEST \
    --attribute-definitions AttributeName=deliveryId,AttributeType=S \
    --key-schema AttributeName=deliveryId,KeyType=HASH \
    >/dev/null
  log "created table $WEBHOOK_DELIVERIES_TABLE"
fi
awslocal dynamodb wait table-exists --table-name "$WEBHOOK_DELIVERIES_TABLE"
awslocal dynamodb update-time-to-live --table-name "$WEBHOOK_DELIVERIES_TABLE" \
  --time-to-live-specification Enabled=true,AttributeName=expiresAt >/dev/null

# Projects: hash projectId; a user's projects by userId/createdAt, a push's by repositoryKey.
if ! table_exists "$PROJECTS_TABLE"; then
  awslocal dynamodb create-table \
    --table-name "$PROJECTS_TABLE" \
    --billing-mode PAY_PER_REQUEST \
    --attribute-definitions AttributeName=projectId,AttributeType=S \
      AttributeName=userId,AttributeType=S AttributeName=createdAt,AttributeType=S \
      AttributeName=repositoryKey,AttributeType=S \
    --key-schema AttributeName=projectId,KeyType=HASH \
    --global-secondary-indexes \
      'IndexName=userId-createdAt-index,KeySchema=[{AttributeName=userId,KeyType=HASH},{AttributeName=createdAt,KeyType=RANGE}],Projection={ProjectionType=ALL}' \
      'IndexName=repositoryKey-index,KeySchema=[{AttributeName=repositoryKey,KeyType=HASH}],Projection={ProjectionType=ALL}' \
    >/dev/null
  log "created table $PROJECTS_TABLE"
fi

for table in "$DEPLOYMENTS_TABLE" "$INSTALLATIONS_TABLE" "$GITHUB_INSTALLATIONS_TABLE" "$WEBHOOK_DELIVERIES_TABLE" "$PROJECTS_TABLE"; do
  awslocal dynamodb wait table-exists --table-name "$table"
  awslocal dynamodb update-continuous-backups --table-name "$table" \
    --point-in-time-recovery-specification PointInTimeRecoveryEnabled=true >/dev/null
done

dlq_url="$(awslocal sqs create-queue --queue-name "$DEAD_LETTER_QUEUE_NAME" \
  --attributes "MessageRetentionPeriod=$DLQ_RETENTION,ReceiveMessageWaitTimeSeconds=20,SqsManagedSseEnabled=true" \
  --query QueueUrl --output text)"
dlq_arn="$(awslocal sqs get-queue-attributes --queue-url "$dlq_url" \
  --attribute-names QueueArn --query Attributes.QueueArn --output text)"

# The redrive policy is JSON inside an attribute map, so the attributes go in as a JSON file.
attributes_file="$(mktemp)"
trap 'rm -f "$attributes_file"' EXIT
cat >"$attributes_file" <<JSON
{
  "VisibilityTimeout": "$VISIBILITY_TIMEOUT",
  "MessageRetentionPeriod": "$JOB_RETENTION",
  "ReceiveMessageWaitTimeSeconds": "20",
  "SqsManagedSseEnabled": "true",
  "RedrivePolicy": "{\"deadLetterTargetArn\":\"$dlq_arn\",\"maxReceiveCount\":$MAX_RECEIVE_COUNT}"
}
JSON
if job_url="$(awslocal sqs get-queue-url --queue-name "$JOB_QUEUE_NAME" --query QueueUrl --output text 2>/dev/null)"; then
  awslocal sqs set-queue-attributes --queue-url "$job_url" --attributes "file://$attributes_file"
else
  job_url="$(awslocal sqs create-queue --queue-name "$JOB_QUEUE_NAME" \
    --attributes "file://$attributes_file" --query QueueUrl --output text)"
fi
log "queues ready: $job_url (dead letters: $dlq_url)"

# CodeBuild is not in LocalStack's community edition: warn and carry on without it.
if awslocal codebuild batch-get-projects --names "$CODEBUILD_PROJECT" \
  --query 'projects[0].name' --output text 2>/dev/null | grep -qx "$CODEBUILD_PROJECT"; then
  log "CodeBuild project $CODEBUILD_PROJECT exists"
elif [[ ! -r "$BUILDSPEC_FILE" ]]; then
  log "no buildspec at $BUILDSPEC_FILE; skipping the CodeBuild project"
else
  account="$(awslocal sts get-caller-identity --query Account --output text)"
  project_file="$(mktemp)"
  trap 'rm -f "$attributes_file" "$project_file"' EXIT
  python3 - "$BUILDSPEC_FILE" "$CODEBUILD_PROJECT" "$account" >"$project_file" <<'PY'
import json, sys
buildspec, name, account = sys.argv[1:4]
print(json.dumps({
    "name": name,
    "description": "WhaleRay: builds a user's repository at the commit the worker resolved",
    "source": {
        "type": "GITHUB",
        "location": "https://github.com/whaleray/emulator-placeholder.git",
        "buildspec": open(buildspec, encoding="utf-8").read(),
    },
    "artifacts": {"type": "NO_ARTIFACTS"},
    "environment": {
        "type": "LINUX_CONTAINER",
        "image": "aws/codebuild/standard:7.0",
        "computeType": "BUILD_GENERAL1_SMALL",
        "imagePullCredentialsType": "CODEBUILD",
        "privilegedMode": False,
    },
    "serviceRole": f"arn:aws:iam::{account}:role/whaleray-codebuild",
    "timeoutInMinutes": 20,
}))
PY
  if awslocal codebuild create-project --cli-input-json "file://$project_file" >/dev/null; then
    log "created CodeBuild project $CODEBUILD_PROJECT"
  else
    log "could not create the CodeBuild project (LocalStack community has no CodeBuild); builds cannot start"
  fi
fi

if [[ -n "${WHALERAY_DEV_USER_ID:-}" && -n "${WHALERAY_DEV_INSTALLATION_ID:-}" && -n "${WHALERAY_DEV_ACCOUNT_LOGIN:-}" ]]; then
  item_file="$(mktemp)"
  python3 - "$WHALERAY_DEV_USER_ID" "$WHALERAY_DEV_INSTALLATION_ID" "$WHALERAY_DEV_ACCOUNT_LOGIN" >"$item_file" <<'PY'
import json, sys
user, installation, login = sys.argv[1:4]
print(json.dumps({"userId": {"S": user}, "installationId": {"N": installation}, "accountLogin": {"S": login}}))
PY
  awslocal dynamodb put-item --table-name "$INSTALLATIONS_TABLE" --item "file://$item_file"
  rm -f "$item_file"
  log "seeded installation $WHALERAY_DEV_INSTALLATION_ID for $WHALERAY_DEV_USER_ID"
fi

printf '%s\n' \
  "DEPLOYMENTS_TABLE=$DEPLOYMENTS_TABLE" \
  "INSTALLATIONS_TABLE=$INSTALLATIONS_TABLE" \
  "GITHUB_INSTALLATIONS_TABLE=$GITHUB_INSTALLATIONS_TABLE" \
  "WEBHOOK_DELIVERIES_TABLE=$WEBHOOK_DELIVERIES_TABLE" \
  "PROJECTS_TABLE=$PROJECTS_TABLE" \
  "API_STATE_TABLE=$API_STATE_TABLE" \
  "JOB_QUEUE_URL=$job_url" \
  "DEAD_LETTER_QUEUE_URL=$dlq_url" \
  "CODEBUILD_PROJECT=$CODEBUILD_PROJECT" \
  "MAX_RECEIVE_COUNT=$MAX_RECEIVE_COUNT"
