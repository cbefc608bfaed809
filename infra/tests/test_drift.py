"""Terraform, localstack/bootstrap.py and the LocalStack init script create the same stack.

The Terraform side is the emulator plan (WHALERAY_EMULATOR_PLAN_JSON). The other two are run
for real against a private moto (WHALERAY_DRIFT_ENDPOINT, which this test resets, so
check.sh starts one just for it) and described back with boto3; the init script runs
through an `awslocal` shim over the AWS CLI (WHALERAY_AWS_CLI). All three are reduced to
the same shape (names, keys, indexes, PITR, queue settings, redrive, CodeBuild settings and
buildspec) and must be equal.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import unittest
import urllib.request
from pathlib import Path

import boto3

INFRA = Path(__file__).resolve().parent.parent
ROOT = INFRA.parent
BOOTSTRAP = ROOT / "localstack" / "bootstrap.py"
INIT_SCRIPT = ROOT / "localstack" / "init" / "ready.d" / "10-whaleray.sh"
EMULATOR_PYTHON = ROOT / ".venv-emulator" / "bin" / "python"
SEED = ("drift-user", "4242", "octo-org")


def required_env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"{name} is not set: run infra/check.sh")
    return value


# ---------------------------------------------------------------------------------------
# The common shape
# ---------------------------------------------------------------------------------------


def table_shape(hash_key, range_key, attributes, gsis, billing, pitr):
    return {
        "hash": hash_key,
        "range": range_key,
        "attributes": dict(sorted(attributes.items())),
        "gsis": dict(sorted(gsis.items())),
        "billing": billing,
        "pitr": pitr,
    }


def queue_shape(visibility, retention, wait, sse, redrive):
    return {
        "visibility": int(visibility),
        "retention": int(retention),
        "wait": int(wait),
        "sse": bool(sse),
        "redrive": redrive,
    }


def redrive_shape(text):
    if not text:
        return None
    doc = json.loads(text)
    return {"target": doc["deadLetterTargetArn"].rsplit(":", 1)[-1], "max": int(doc["maxReceiveCount"])}


# ---------------------------------------------------------------------------------------
# Terraform (emulator plan)
# ---------------------------------------------------------------------------------------


def from_terraform(plan: dict) -> dict:
    out = {"tables": {}, "queues": {}, "codebuild": {}}
    for r in plan["planned_values"]["root_module"]["resources"]:
        v = r["values"]
        if r["type"] == "aws_dynamodb_table":
            gsis = {
                # Terraform plans an index without a range key as range_key "" (the API omits it).
                g["name"]: {"hash": g["hash_key"], "range": g.get("range_key") or None, "projection": g["projection_type"]}
                for g in v.get("global_secondary_index") or []
            }
            out["tables"][v["name"]] = table_shape(
                v["hash_key"],
                v.get("range_key"),
                {a["name"]: a["type"] for a in v["attribute"]},
                gsis,
                v["billing_mode"],
                bool(v["point_in_time_recovery"][0]["enabled"]),
            )
        elif r["type"] == "aws_sqs_queue":
            out["queues"][v["name"]] = queue_shape(
                v["visibility_timeout_seconds"],
                v["message_retention_seconds"],
                v["receive_wait_time_seconds"],
                v["sqs_managed_sse_enabled"],
                redrive_shape(v.get("redrive_policy")),
            )
        elif r["type"] == "aws_codebuild_project":
            env = v["environment"][0]
            out["codebuild"][v["name"]] = {
                "source_type": v["source"][0]["type"],
                "source_location": v["source"][0]["location"],
                "buildspec": v["source"][0]["buildspec"],
                "artifacts": v["artifacts"][0]["type"],
                "image": env["image"],
                "compute": env["compute_type"],
                "env_type": env["type"],
                "timeout": int(v["build_timeout"]),
            }
    return out


# ---------------------------------------------------------------------------------------
# A live emulator, described with boto3
# ---------------------------------------------------------------------------------------


def from_emulator(endpoint: str) -> dict:
    session = boto3.session.Session(region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
    ddb = session.client("dynamodb", endpoint_url=endpoint)
    sqs = session.client("sqs", endpoint_url=endpoint)
    codebuild = session.client("codebuild", endpoint_url=endpoint)
    out = {"tables": {}, "queues": {}, "codebuild": {}}

    for name in ddb.list_tables()["TableNames"]:
        t = ddb.describe_table(TableName=name)["Table"]
        keys = {k["KeyType"]: k["AttributeName"] for k in t["KeySchema"]}
        gsis = {}
        for g in t.get("GlobalSecondaryIndexes") or []:
            gk = {k["KeyType"]: k["AttributeName"] for k in g["KeySchema"]}
            gsis[g["IndexName"]] = {"hash": gk["HASH"], "range": gk.get("RANGE"), "projection": g["Projection"]["ProjectionType"]}
        pitr = ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
        out["tables"][name] = table_shape(
            keys["HASH"],
            keys.get("RANGE"),
            {a["AttributeName"]: a["AttributeType"] for a in t["AttributeDefinitions"]},
            gsis,
            (t.get("BillingModeSummary") or {}).get("BillingMode"),
            pitr["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED",
        )

    for url in sqs.list_queues().get("QueueUrls", []):
        a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        out["queues"][url.rsplit("/", 1)[-1]] = queue_shape(
            a["VisibilityTimeout"],
            a["MessageRetentionPeriod"],
            a["ReceiveMessageWaitTimeSeconds"],
            a.get("SqsManagedSseEnabled") == "true",
            redrive_shape(a.get("RedrivePolicy")),
        )

    names = codebuild.list_projects().get("projects", [])
    for p in codebuild.batch_get_projects(names=names).get("projects", []) if names else []:
        env = p["environment"]
        out["codebuild"][p["name"]] = {
            "source_type": p["source"]["type"],
            "source_location": p["source"].get("location"),
            "buildspec": p["source"]["buildspec"],
            "artifacts": p["artifacts"]["type"],
            "image": env["image"],
            "compute": env["computeType"],
            "env_type": env["type"],
            "timeout": int(p["timeoutInMinutes"]),
        }

    items = ddb.scan(TableName="whaleray-installations")["Items"] if "whaleray-installations" in out["tables"] else []
    out["installations"] = sorted(json.dumps(i, sort_keys=True) for i in items)
    return out


def reset(endpoint: str) -> None:
    req = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST", data=b"")
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 200


def clean_env(endpoint: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DEPLOYMENTS_", "INSTALLATIONS_", "GITHUB_INSTALLATIONS_", "WEBHOOK_", "PROJECTS_", "API_STATE_", "JOB_", "DEAD_", "CODEBUILD_"))}
    env.update(
        AWS_ENDPOINT_URL=endpoint,
        AWS_REGION="us-east-1",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
    )
    return env


def env_lines(stdout: str) -> dict:
    return dict(line.split("=", 1) for line in stdout.strip().splitlines() if "=" in line)


class StacksAgree(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        endpoint = required_env("WHALERAY_DRIFT_ENDPOINT")
        plan = json.loads(Path(required_env("WHALERAY_EMULATOR_PLAN_JSON")).read_text(encoding="utf-8"))
        cls.terraform = from_terraform(plan)

        reset(endpoint)
        result = subprocess.run(
            [str(EMULATOR_PYTHON), str(BOOTSTRAP), "--user-id", SEED[0], "--installation-id", SEED[1], "--account-login", SEED[2]],
            env=clean_env(endpoint), capture_output=True, text=True, check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"bootstrap.py failed: {result.stderr}")
        cls.bootstrap_env = env_lines(result.stdout)
        cls.bootstrap = from_emulator(endpoint)

        reset(endpoint)
        with tempfile.TemporaryDirectory() as shim_dir:
            shim = Path(shim_dir) / "awslocal"
            aws = required_env("WHALERAY_AWS_CLI")
            shim.write_text(f'#!/bin/sh\nexec "{aws}" --endpoint-url "$AWS_ENDPOINT_URL" "$@"\n', encoding="utf-8")
            shim.chmod(0o755)
            env = clean_env(endpoint)
            env.update(
                PATH=f"{shim_dir}:{env['PATH']}",
                WHALERAY_BUILDSPEC_FILE=str(INFRA / "buildspec.yml"),
                WHALERAY_DEV_USER_ID=SEED[0],
                WHALERAY_DEV_INSTALLATION_ID=SEED[1],
                WHALERAY_DEV_ACCOUNT_LOGIN=SEED[2],
            )
            result = subprocess.run(["bash", str(INIT_SCRIPT)], env=env, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"10-whaleray.sh failed: {result.stderr}")
        cls.init_env = env_lines(result.stdout)
        cls.init = from_emulator(endpoint)
        reset(endpoint)

    def test_tables_agree(self):
        self.assertEqual(self.bootstrap["tables"], self.terraform["tables"])
        self.assertEqual(self.init["tables"], self.terraform["tables"])

    def test_queues_agree(self):
        self.assertEqual(self.bootstrap["queues"], self.terraform["queues"])
        self.assertEqual(self.init["queues"], self.terraform["queues"])

    def test_codebuild_projects_agree(self):
        self.assertEqual(self.bootstrap["codebuild"], self.terraform["codebuild"])
        self.assertEqual(self.init["codebuild"], self.terraform["codebuild"])

    def test_the_stack_has_the_contract_names(self):
        self.assertEqual(
            set(self.terraform["tables"]),
            {"deployments", "whaleray-installations", "whaleray-github-installations", "whaleray-webhook-deliveries", "whaleray-projects", "whaleray-api-state"},
        )
        self.assertEqual(set(self.terraform["queues"]), {"whaleray-inspection-jobs", "whaleray-inspection-jobs-dlq"})
        self.assertEqual(set(self.terraform["codebuild"]), {"whaleray-build"})

    def test_seeded_installations_agree(self):
        self.assertEqual(len(self.bootstrap["installations"]), 1)
        self.assertEqual(self.bootstrap["installations"], self.init["installations"])

    def test_printed_env_lines_agree(self):
        keys = {"DEPLOYMENTS_TABLE", "INSTALLATIONS_TABLE", "GITHUB_INSTALLATIONS_TABLE", "WEBHOOK_DELIVERIES_TABLE", "PROJECTS_TABLE", "API_STATE_TABLE", "JOB_QUEUE_URL", "DEAD_LETTER_QUEUE_URL", "CODEBUILD_PROJECT", "MAX_RECEIVE_COUNT"}
        self.assertEqual(set(self.bootstrap_env), keys)
        self.assertEqual(self.bootstrap_env, self.init_env)


if __name__ == "__main__":
    unittest.main()
