"""Self-test of infra/policy_check.py: the real plans pass, and deliberately broken copies fail.

check.sh runs it with WHALERAY_PLAN_JSON (a plan with emulator=false) and
WHALERAY_EMULATOR_PLAN_JSON (emulator=true), both from `terraform show -json`.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import unittest
from pathlib import Path

INFRA = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(INFRA))

import policy_check  # noqa: E402


def load_plan(var: str) -> dict:
    path = os.environ.get(var)
    if not path:
        raise RuntimeError(f"{var} is not set: run infra/check.sh, which writes the plan JSON")
    return json.loads(Path(path).read_text(encoding="utf-8"))


def resource(doc: dict, address: str) -> dict:
    for r in doc["planned_values"]["root_module"]["resources"]:
        if r["address"] == address:
            return r["values"]
    raise KeyError(address)


def set_policy(doc: dict, address: str, mutate) -> None:
    values = resource(doc, address)
    policy = json.loads(values["policy"])
    mutate(policy)
    values["policy"] = json.dumps(policy)


class RealPlansPass(unittest.TestCase):
    def test_plan_without_emulator_passes(self):
        report = policy_check.run_checks(load_plan("WHALERAY_PLAN_JSON"))
        self.assertEqual(report.violations, [])

    def test_emulator_plan_passes(self):
        report = policy_check.run_checks(load_plan("WHALERAY_EMULATOR_PLAN_JSON"))
        self.assertEqual(report.violations, [])

    def test_the_real_plan_is_not_read_as_an_emulator_plan(self):
        report = policy_check.run_checks(load_plan("WHALERAY_PLAN_JSON"), emulator=True)
        self.assertTrue(any("event source mapping under the emulator" in v for v in report.violations))


class BrokenPlansFail(unittest.TestCase):
    """Each case breaks one rule in a copy of the real plan and expects that rule's message."""

    @classmethod
    def setUpClass(cls):
        cls.plan = load_plan("WHALERAY_PLAN_JSON")

    def assert_rejected(self, mutate, expected: str, emulator: bool | None = None):
        doc = copy.deepcopy(self.plan)
        mutate(doc)
        report = policy_check.run_checks(doc, emulator)
        self.assertTrue(
            any(expected in v for v in report.violations),
            f"expected a violation containing {expected!r}, got {report.violations}",
        )

    def test_visibility_timeout_below_six_times_worker_timeout_plus_window(self):
        def mutate(doc):
            q = resource(doc, "aws_sqs_queue.jobs")
            fn = resource(doc, "aws_lambda_function.worker")
            esm = resource(doc, "aws_lambda_event_source_mapping.worker_jobs[0]")
            q["visibility_timeout_seconds"] = 6 * fn["timeout"] + esm["maximum_batching_window_in_seconds"] - 1

        self.assert_rejected(mutate, "visibility timeout")

    def test_longer_worker_timeout_breaks_the_visibility_rule(self):
        self.assert_rejected(
            lambda doc: resource(doc, "aws_lambda_function.worker").update(timeout=120), "visibility timeout"
        )

    def test_max_receive_count_below_five(self):
        def mutate(doc):
            q = resource(doc, "aws_sqs_queue.jobs")
            redrive = json.loads(q["redrive_policy"])
            redrive["maxReceiveCount"] = 3
            q["redrive_policy"] = json.dumps(redrive)

        self.assert_rejected(mutate, "maxReceiveCount 3 < 5")

    def test_worker_max_receive_count_env_differs_from_redrive(self):
        def mutate(doc):
            doc["output_changes"]["worker_env"]["after"]["MAX_RECEIVE_COUNT"] = "7"

        self.assert_rejected(mutate, "MAX_RECEIVE_COUNT=7 differs")

    def test_dead_letter_retention_not_longer_than_source(self):
        def mutate(doc):
            resource(doc, "aws_sqs_queue.dead_letter")["message_retention_seconds"] = resource(
                doc, "aws_sqs_queue.jobs"
            )["message_retention_seconds"]

        self.assert_rejected(mutate, "is not longer than")

    def test_mapping_without_report_batch_item_failures(self):
        self.assert_rejected(
            lambda doc: resource(doc, "aws_lambda_event_source_mapping.worker_jobs[0]").update(
                function_response_types=[]
            ),
            "lacks ReportBatchItemFailures",
        )

    def test_missing_mapping_outside_the_emulator(self):
        def mutate(doc):
            rs = doc["planned_values"]["root_module"]["resources"]
            rs[:] = [r for r in rs if r["type"] != "aws_lambda_event_source_mapping"]

        self.assert_rejected(mutate, "no SQS event source mapping")

    def test_redrive_allow_policy_open_to_all_queues(self):
        def mutate(doc):
            resource(doc, "aws_sqs_queue_redrive_allow_policy.dead_letter[0]")["redrive_allow_policy"] = json.dumps(
                {"redrivePermission": "allowAll"}
            )

        self.assert_rejected(mutate, "must allow byQueue")

    def test_iam_statement_on_every_resource(self):
        def mutate(doc):
            set_policy(doc, "aws_iam_role_policy.worker", lambda p: p["Statement"].append(
                {"Effect": "Allow", "Action": ["dynamodb:Scan"], "Resource": "*"}
            ))

        self.assert_rejected(mutate, "Resource ['*']")

    def test_ssm_beyond_the_clone_tokens(self):
        cases = [
            ("aws_iam_role_policy.worker", {"Effect": "Allow", "Action": ["ssm:GetParameter"], "Resource": "x:parameter/whaleray/prod/build-tokens/*"}, "SSM actions"),
            ("aws_iam_role_policy.api", {"Effect": "Allow", "Action": ["ssm:GetParameters"], "Resource": "x:parameter/whaleray/prod/build-tokens/*"}, "SSM actions"),
            ("aws_iam_role_policy.codebuild", {"Effect": "Allow", "Action": ["ssm:GetParameters"], "Resource": "arn:aws:ssm:us-east-1:123456789012:parameter/whaleray/*"}, "not only"),
        ]
        for address, statement, expected in cases:
            with self.subTest(address=address, statement=statement):
                def mutate(doc, address=address, statement=statement):
                    set_policy(doc, address, lambda p: p["Statement"].append(statement))

                self.assert_rejected(mutate, expected)

    def test_projects_table_beyond_the_apis_calls(self):
        table = "arn:aws:dynamodb:us-east-1:123456789012:table/whaleray-projects"
        cases = [
            ("aws_iam_role_policy.api", {"Effect": "Allow", "Action": ["dynamodb:Scan"], "Resource": table}, "grants on whaleray-projects"),
            ("aws_iam_role_policy.api", {"Effect": "Allow", "Action": ["dynamodb:DeleteItem"], "Resource": f"{table}/index/repositoryKey-index"}, "Query only"),
            ("aws_iam_role_policy.worker", {"Effect": "Allow", "Action": ["dynamodb:GetItem"], "Resource": table}, "only the API role"),
        ]
        for address, statement, expected in cases:
            with self.subTest(address=address, statement=statement):
                def mutate(doc, address=address, statement=statement):
                    set_policy(doc, address, lambda p: p["Statement"].append(statement))

                self.assert_rejected(mutate, expected)

    def test_codebuild_actions_beyond_each_roles_own(self):
        project = "arn:aws:codebuild:us-east-1:123456789012:project/whaleray-build"
        cases = [
            ("aws_iam_role_policy.api", {"Effect": "Allow", "Action": ["codebuild:StartBuild"], "Resource": project}, "CodeBuild actions"),
            ("aws_iam_role_policy.codebuild", {"Effect": "Allow", "Action": ["codebuild:StopBuild"], "Resource": project}, "CodeBuild actions"),
            ("aws_iam_role_policy.api", {"Effect": "Allow", "Action": ["codebuild:StopBuild"], "Resource": "arn:aws:codebuild:us-east-1:123456789012:project/other"}, "not only the builds project"),
        ]
        for address, statement, expected in cases:
            with self.subTest(address=address, statement=statement):
                def mutate(doc, address=address, statement=statement):
                    set_policy(doc, address, lambda p: p["Statement"].append(statement))

                self.assert_rejected(mutate, expected)

    def test_projects_index_grant_missing(self):
        def mutate(doc):
            set_policy(doc, "aws_iam_role_policy.api", lambda p: p.update(
                Statement=[st for st in p["Statement"] if st.get("Sid") != "ProjectsByUserAndRepository"]
            ))

        self.assert_rejected(mutate, "queries indexes []")

    def test_api_without_stop_build_cannot_cancel(self):
        def mutate(doc):
            set_policy(doc, "aws_iam_role_policy.api", lambda p: p.update(
                Statement=[st for st in p["Statement"] if st.get("Sid") != "StopCanceledBuilds"]
            ))

        self.assert_rejected(mutate, "aws_iam_role_policy.api: CodeBuild actions [] != ['codebuild:StopBuild']")

    def test_codebuild_without_its_clone_token_read(self):
        def mutate(doc):
            set_policy(doc, "aws_iam_role_policy.codebuild", lambda p: p.update(
                Statement=[st for st in p["Statement"] if st.get("Sid") != "ReadCloneTokens"]
            ))

        self.assert_rejected(mutate, "aws_iam_role_policy.codebuild: SSM actions [] != ['ssm:GetParameters']")

    def test_iam_whole_service_wildcard_resource(self):
        def mutate(doc):
            set_policy(doc, "aws_iam_role_policy.api", lambda p: p["Statement"].append(
                {"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": "arn:aws:sqs:us-east-1:123456789012:*"}
            ))

        self.assert_rejected(mutate, "narrow it")

    def test_iam_wildcard_action(self):
        def mutate(doc):
            set_policy(doc, "aws_iam_role_policy.api", lambda p: p["Statement"][0].update(Action="logs:*"))

        self.assert_rejected(mutate, "wildcard action 'logs:*'")

    def test_star_is_accepted_only_for_actions_aws_grants_on_star(self):
        doc = copy.deepcopy(self.plan)
        set_policy(doc, "aws_iam_role_policy.worker", lambda p: p["Statement"].append(
            {"Effect": "Allow", "Action": ["xray:PutTraceSegments"], "Resource": "*"}
        ))
        self.assertEqual(policy_check.run_checks(doc).violations, [])

    def test_cors_star_origin(self):
        def mutate(doc):
            resource(doc, "aws_apigatewayv2_api.http")["cors_configuration"][0]["allow_origins"].append("*")

        self.assert_rejected(mutate, "CORS allows origin '*'")

    def test_cors_extra_origin(self):
        def mutate(doc):
            resource(doc, "aws_apigatewayv2_api.http")["cors_configuration"][0]["allow_origins"].append(
                "https://evil.example"
            )

        self.assert_rejected(mutate, "CORS origins")

    def test_cors_without_credentials(self):
        def mutate(doc):
            resource(doc, "aws_apigatewayv2_api.http")["cors_configuration"][0]["allow_credentials"] = False

        self.assert_rejected(mutate, "allow credentials")

    def test_route_without_authorizer(self):
        def mutate(doc):
            resource(doc, 'aws_apigatewayv2_route.api["POST /deployments"]')["authorization_type"] = "NONE"

        self.assert_rejected(mutate, "does not require the JWT authorizer")

    def test_options_route(self):
        def mutate(doc):
            resource(doc, 'aws_apigatewayv2_route.api["GET /deployments"]')["route_key"] = "OPTIONS /deployments"

        self.assert_rejected(mutate, "preflight behind the authorizer")

    def test_x86_function(self):
        self.assert_rejected(
            lambda doc: resource(doc, "aws_lambda_function.api").update(architectures=["x86_64"]),
            "provided.al2023 / bootstrap / arm64",
        )

    def test_buildspec_with_unquoted_user_value(self):
        def mutate(doc):
            source = resource(doc, "aws_codebuild_project.build")["source"][0]
            source["buildspec"] += "      - cd $WHALERAY_ROOT_DIRECTORY\n"

        self.assert_rejected(mutate, "expands WHALERAY_* unquoted")

    def test_unknown_iam_policy_cannot_be_waved_through(self):
        def mutate(doc):
            for rc in doc["resource_changes"]:
                if rc["address"] == "aws_iam_role_policy.api":
                    rc["change"]["after_unknown"]["policy"] = True

        self.assert_rejected(mutate, "unknown at plan time")


class HandWrittenBadFragment(unittest.TestCase):
    """A plan fragment that breaks every rule at once: the CLI must exit non-zero and name each."""

    def test_cli_rejects_the_fragment_loudly(self):
        fixture = INFRA / "tests" / "fixtures" / "bad-plan.json"
        result = subprocess.run(
            [sys.executable, str(INFRA / "policy_check.py"), str(fixture)],
            capture_output=True,
            text=True,
            check=False,
        )
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        for expected in (
            "maxReceiveCount 3 < 5",
            "visibility timeout 30 s",
            "is not longer than",
            "server-side encryption is off",
            "lacks ReportBatchItemFailures",
            "no redrive allow policy",
            "wildcard action 'sqs:*'",
            "Resource ['*']",
            "CORS allows origin '*'",
            "provided.al2023 / bootstrap / arm64",
            "expands WHALERAY_* unquoted",
            "privileged mode",
        ):
            self.assertIn(expected, result.stderr)


if __name__ == "__main__":
    unittest.main()
