#!/usr/bin/env python3
"""Create WhaleRay's AWS resources in a local emulator, idempotently, and print their env lines.

Run it with the emulator venv's python (boto3 comes with moto):

    source localstack/emulator.sh start
    .venv-emulator/bin/python localstack/bootstrap.py \\
        --user-id dev-user --installation-id 1001 --account-login octo-org

It creates, by name (an existing resource is left as it is):
  * DynamoDB `deployments` (hash deploymentId, GSI userId-createdAt-index, PITR on),
    `whaleray-installations` (hash userId, range installationId N, PITR on),
    `whaleray-github-installations` (hash installationId N, PITR on),
    `whaleray-webhook-deliveries` (hash deliveryId, TTL on expiresAt, PITR on),
    `whaleray-projects` (hash projectId, GSIs userId-createdAt-index and
    repositoryKey-index, PITR on) and
    `whaleray-api-state` (hash pk, TTL on expiresAt: idempotency keys, rate-limit buckets);
  * SQS `whaleray-inspection-jobs` with a redrive policy to `whaleray-inspection-jobs-dlq`;
  * CodeBuild `whaleray-build` with the buildspec in infra/buildspec.yml and, as Terraform
    does under the emulator, a dummy GITHUB source (builds override the source);
and puts one installation item per --user-id/--installation-id/--account-login triple.

The settings equal the Terraform defaults in infra/ (infra/tests/test_drift.py compares
them), and the printed lines are what the API and worker read:
DEPLOYMENTS_TABLE, INSTALLATIONS_TABLE, GITHUB_INSTALLATIONS_TABLE, WEBHOOK_DELIVERIES_TABLE,
PROJECTS_TABLE, API_STATE_TABLE, JOB_QUEUE_URL, DEAD_LETTER_QUEUE_URL, CODEBUILD_PROJECT and MAX_RECEIVE_COUNT.

Names come from --<name> options, else these environment variables, else the defaults:
DEPLOYMENTS_TABLE, INSTALLATIONS_TABLE, GITHUB_INSTALLATIONS_TABLE, WEBHOOK_DELIVERIES_TABLE,
PROJECTS_TABLE, API_STATE_TABLE, JOB_QUEUE_NAME, DEAD_LETTER_QUEUE_NAME,
CODEBUILD_PROJECT. --suffix appends a string to every name (parallel tests).
The endpoint is AWS_ENDPOINT_URL (or --endpoint-url); the region AWS_REGION, default us-east-1.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
BUILDSPEC_PATH = REPO_ROOT / "infra" / "buildspec.yml"

# The Terraform defaults (infra/variables.tf, infra/locals.tf): worker timeout 60 s and a
# 0 s batching window give a visibility timeout of 6 * 60 + 0.
WORKER_TIMEOUT_SECONDS = 60
BATCHING_WINDOW_SECONDS = 0
MAX_RECEIVE_COUNT = 5

DEFAULT_NAMES = {
    "deployments_table": ("DEPLOYMENTS_TABLE", "deployments"),
    "installations_table": ("INSTALLATIONS_TABLE", "whaleray-installations"),
    "app_installations_table": ("GITHUB_INSTALLATIONS_TABLE", "whaleray-github-installations"),
    "deliveries_table": ("WEBHOOK_DELIVERIES_TABLE", "whaleray-webhook-deliveries"),
    "api_state_table": ("API_STATE_TABLE", "whaleray-api-state"),
    "projects_table": ("PROJECTS_TABLE", "whaleray-projects"),
    "job_queue": ("JOB_QUEUE_NAME", "whaleray-inspection-jobs"),
    "dead_letter_queue": ("DEAD_LETTER_QUEUE_NAME", "whaleray-inspection-jobs-dlq"),
    "codebuild_project": ("CODEBUILD_PROJECT", "whaleray-build"),
}
DEPLOYMENTS_GSI = "userId-createdAt-index"

# Settings shared by the three ways of creating the stack (Terraform, this script, the
# LocalStack init script). Kept as data so the drift test can read them too.
SETTINGS = {
    "job_queue": {
        "VisibilityTimeout": str(6 * WORKER_TIMEOUT_SECONDS + BATCHING_WINDOW_SECONDS),
        "MessageRetentionPeriod": "345600",
        "ReceiveMessageWaitTimeSeconds": "20",
        "SqsManagedSseEnabled": "true",
    },
    "dead_letter_queue": {
        "MessageRetentionPeriod": "1209600",
        "ReceiveMessageWaitTimeSeconds": "20",
        "SqsManagedSseEnabled": "true",
    },
    "codebuild": {
        "image": "aws/codebuild/standard:7.0",
        "computeType": "BUILD_GENERAL1_SMALL",
        "type": "LINUX_CONTAINER",
        "timeoutInMinutes": 20,
        # What Terraform's emulator mode uses (infra/codebuild.tf): moto needs a location,
        # and builds override the source anyway.
        "source_type": "GITHUB",
        "dummy_source_location": "https://github.com/whaleray/emulator-placeholder.git",
        "service_role_name": "whaleray-codebuild",
    },
}


def resolve_names(args: argparse.Namespace) -> dict[str, str]:
    names = {}
    for key, (env_var, default) in DEFAULT_NAMES.items():
        value = getattr(args, key) or os.environ.get(env_var) or default
        names[key] = value + args.suffix
    return names


def table_exists(ddb, name: str) -> bool:
    try:
        ddb.describe_table(TableName=name)
        return True
    except ddb.exceptions.ResourceNotFoundException:
        return False


def ensure_tables(ddb, names: dict[str, str]) -> None:
    if not table_exists(ddb, names["deployments_table"]):
        ddb.create_table(
            TableName=names["deployments_table"],
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": "deploymentId", "AttributeType": "S"},
                {"AttributeName": "userId", "AttributeType": "S"},
                {"AttributeName": "createdAt", "AttributeType": "S"},
            ],
            KeySchema=[{"AttributeName": "deploymentId", "KeyType": "HASH"}],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": DEPLOYMENTS_GSI,
                    "KeySchema": [
                        {"AttributeName": "userId", "KeyType": "HASH"},
                        {"AttributeName": "createdAt", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
        )
    if not table_exists(ddb, names["installations_table"]):
        ddb.create_table(
            TableName=names["installations_table"],
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": "userId", "AttributeType": "S"},
                {"AttributeName": "installationId", "AttributeType": "N"},
            ],
            KeySchema=[
                {"AttributeName": "userId", "KeyType": "HASH"},
                {"AttributeName": "installationId", "KeyType": "RANGE"},
            ],
        )
    if not table_exists(ddb, names["api_state_table"]):
        ddb.create_table(
            TableName=names["api_state_table"],
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        )
    keyed = {"app_installations_table": ("installationId", "N"), "deliveries_table": ("deliveryId", "S")}
    for key, (attribute, kind) in keyed.items():
        if not table_exists(ddb, names[key]):
            ddb.create_table(
                TableName=names[key],
                BillingMode="PAY_PER_REQUEST",
                AttributeDefinitions=[{"AttributeName": attribute, "AttributeType": kind}],
                KeySchema=[{"AttributeName": attribute, "KeyType": "HASH"}],
            )
    ddb.get_waiter("table_exists").wait(
        TableName=names["deliveries_table"], WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )
    ddb.update_time_to_live(
        TableName=names["deliveries_table"],
        TimeToLiveSpecification={"Enabled": True, "AttributeName": "expiresAt"},
    )
    # Projects: hash projectId; a user's projects by userId/createdAt, a push's by repositoryKey.
    if not table_exists(ddb, names["projects_table"]):
        ddb.create_table(
            TableName=names["projects_table"],
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": a, "AttributeType": "S"}
                for a in ("projectId", "userId", "createdAt", "repositoryKey")
            ],
            KeySchema=[{"AttributeName": "projectId", "KeyType": "HASH"}],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "userId-createdAt-index",
                    "KeySchema": [
                        {"AttributeName": "userId", "KeyType": "HASH"},
                        {"AttributeName": "createdAt", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                },
                {
                    "IndexName": "repositoryKey-index",
                    "KeySchema": [{"AttributeName": "repositoryKey", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                },
            ],
        )
    for key in ("deployments_table", "installations_table", "app_installations_table", "deliveries_table", "projects_table"):
        ddb.get_waiter("table_exists").wait(
            TableName=names[key], WaiterConfig={"Delay": 1, "MaxAttempts": 30}
        )
        ddb.update_continuous_backups(
            TableName=names[key],
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
        )
    # Expired idempotency keys and idle buckets go away on their own (no PITR: state that
    # expires within a day is not worth restoring).
    ddb.get_waiter("table_exists").wait(
        TableName=names["api_state_table"], WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )
    ttl = ddb.describe_time_to_live(TableName=names["api_state_table"])["TimeToLiveDescription"]
    if ttl.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
        ddb.update_time_to_live(
            TableName=names["api_state_table"],
            TimeToLiveSpecification={"Enabled": True, "AttributeName": "expiresAt"},
        )


def ensure_queue(sqs, name: str, attributes: dict[str, str]) -> str:
    """Creates the queue, or brings an existing one to these attributes; returns its URL."""
    try:
        return sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    except sqs.exceptions.QueueNameExists:
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)
        return url


def ensure_queues(sqs, names: dict[str, str]) -> tuple[str, str]:
    dlq_url = ensure_queue(sqs, names["dead_letter_queue"], SETTINGS["dead_letter_queue"])
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    redrive = json.dumps(
        {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVE_COUNT},
        separators=(",", ":"),
    )
    queue_url = ensure_queue(sqs, names["job_queue"], dict(SETTINGS["job_queue"], RedrivePolicy=redrive))
    return queue_url, dlq_url


def ensure_codebuild(codebuild, account_id: str, partition: str, name: str) -> None:
    if codebuild.batch_get_projects(names=[name]).get("projects"):
        return
    cb = SETTINGS["codebuild"]
    codebuild.create_project(
        name=name,
        description="WhaleRay: builds a user's repository at the commit the worker resolved",
        source={
            "type": cb["source_type"],
            "location": cb["dummy_source_location"],
            "buildspec": BUILDSPEC_PATH.read_text(encoding="utf-8"),
        },
        artifacts={"type": "NO_ARTIFACTS"},
        environment={
            "type": cb["type"],
            "image": cb["image"],
            "computeType": cb["computeType"],
            "imagePullCredentialsType": "CODEBUILD",
            "privilegedMode": False,
        },
        serviceRole=f"arn:{partition}:iam::{account_id}:role/{cb['service_role_name']}",
        timeoutInMinutes=cb["timeoutInMinutes"],
    )


def seed_installations(ddb, table: str, triples: list[tuple[str, str, str]]) -> None:
    for user_id, installation_id, account_login in triples:
        ddb.put_item(
            TableName=table,
            Item={
                "userId": {"S": user_id},
                "installationId": {"N": installation_id},
                "accountLogin": {"S": account_login},
            },
        )


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Repeat --user-id/--installation-id/--account-login to seed several installations.",
    )
    parser.add_argument("--endpoint-url", default=os.environ.get("AWS_ENDPOINT_URL"))
    parser.add_argument("--region", default=os.environ.get("AWS_REGION") or "us-east-1")
    parser.add_argument("--suffix", default="", help="appended to every resource name")
    for key in DEFAULT_NAMES:
        parser.add_argument("--" + key.replace("_", "-"), dest=key)
    parser.add_argument("--user-id", action="append", default=[])
    parser.add_argument("--installation-id", action="append", default=[])
    parser.add_argument("--account-login", action="append", default=[])
    parser.add_argument("--env-file", help="also write the env lines to this file")
    args = parser.parse_args(argv)
    counts = {len(args.user_id), len(args.installation_id), len(args.account_login)}
    if len(counts) != 1:
        parser.error("--user-id, --installation-id and --account-login must be given together")
    for installation_id in args.installation_id:
        if not installation_id.isdigit():
            parser.error(f"--installation-id must be a number, got {installation_id!r}")
    if not args.endpoint_url:
        parser.error("no endpoint: set AWS_ENDPOINT_URL (source localstack/emulator.sh start)")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    import boto3  # imported here so the drift test can read SETTINGS without boto3

    session = boto3.session.Session(
        region_name=args.region,
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "test"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "test"),
    )

    def client(service: str):
        return session.client(service, endpoint_url=args.endpoint_url)

    names = resolve_names(args)
    identity = client("sts").get_caller_identity()
    partition = identity["Arn"].split(":")[1]
    ddb = client("dynamodb")
    ensure_tables(ddb, names)
    queue_url, dlq_url = ensure_queues(client("sqs"), names)
    ensure_codebuild(client("codebuild"), identity["Account"], partition, names["codebuild_project"])
    seed_installations(
        ddb,
        names["installations_table"],
        list(zip(args.user_id, args.installation_id, args.account_login)),
    )

    lines = [
        f"DEPLOYMENTS_TABLE={names['deployments_table']}",
        f"INSTALLATIONS_TABLE={names['installations_table']}",
        f"GITHUB_INSTALLATIONS_TABLE={names['app_installations_table']}",
        f"WEBHOOK_DELIVERIES_TABLE={names['deliveries_table']}",
        f"PROJECTS_TABLE={names['projects_table']}",
        f"API_STATE_TABLE={names['api_state_table']}",
        f"JOB_QUEUE_URL={queue_url}",
        f"DEAD_LETTER_QUEUE_URL={dlq_url}",
        f"CODEBUILD_PROJECT={names['codebuild_project']}",
        f"MAX_RECEIVE_COUNT={MAX_RECEIVE_COUNT}",
    ]
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    if args.env_file:
        Path(args.env_file).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
