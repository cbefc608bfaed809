#!/usr/bin/env python3
"""Policy checks over Terraform's JSON (`terraform show -json` of a plan or of the state).

    python3 infra/policy_check.py PLAN_OR_STATE.json [--emulator | --no-emulator]

Exit 0 when every check passes; exit 1 and one line per violation otherwise. A value the
checker needs but the plan does not know yet is a violation too: this configuration builds
its ARNs from names (locals.tf) precisely so a plan can be checked before the first apply.

The checks (the traps AWS documents for SQS-driven Lambdas, plus this project's rules):
  * job queue visibility timeout >= 6 x worker timeout + batching window;
  * redrive maxReceiveCount >= 5 and equal to the worker's MAX_RECEIVE_COUNT;
  * dead-letter retention longer than the job queue's; SSE on both queues;
  * outside the emulator: the SQS event source mapping exists, targets the worker and
    reports batch item failures; the DLQ's redrive allow policy names only the job queue;
  * no IAM statement allows Resource "*" (or a whole-service wildcard) unless every action
    in it is one AWS only grants on "*" (ACTIONS_ONLY_ON_STAR), or it is a resource policy
    (ALLOWED_STAR_IN_RESOURCE_POLICIES); no wildcard actions;
  * CORS origins are exactly https://<domain> (the API's FRONTEND_URL) and
    http://localhost:5173, never "*", with credentials; every route needs the JWT
    authorizer; no OPTIONS route;
  * both functions are provided.al2023 / bootstrap / arm64 with the expected env keys;
  * the CodeBuild buildspec never expands a WHALERAY_* variable outside double quotes;
  * the projects table is granted to the API role only: Put/Get/Update/DeleteItem on the
    table and Query on its two indexes, nothing else;
  * SSM is granted exactly ssm:PutParameter + ssm:DeleteParameter to the worker and
    ssm:GetParameters to CodeBuild, each only on <BUILD_TOKEN_PARAMETER_PREFIX>/* (the
    builds' clone tokens), and to no other role.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import re
import sys
from dataclasses import dataclass, field
from typing import Any, Iterable

MIN_MAX_RECEIVE_COUNT = 5
LOCAL_DEV_ORIGIN = "http://localhost:5173"

# Actions that AWS's Service Authorization Reference lists with no resource type, so an
# identity policy can only grant them on "*". None is used today; a statement may use "*"
# only if all its actions are here.
ACTIONS_ONLY_ON_STAR = {
    "xray:PutTraceSegments": "X-Ray has no resource-level permissions for writes",
    "xray:PutTelemetryRecords": "X-Ray has no resource-level permissions for writes",
    "ec2:CreateNetworkInterface": "VPC-attached Lambda functions (AWSLambdaVPCAccessExecutionRole)",
    "ec2:DescribeNetworkInterfaces": "Describe* calls take no resource",
    "ec2:DeleteNetworkInterface": "VPC-attached Lambda functions",
    "ec2:AssignPrivateIpAddresses": "VPC-attached Lambda functions",
    "ec2:UnassignPrivateIpAddresses": "VPC-attached Lambda functions",
    "sts:GetCallerIdentity": "needs no permission and takes no resource",
}

# Resource policies where "*" means "the resource this policy is attached to".
ALLOWED_STAR_IN_RESOURCE_POLICIES = {
    "aws_secretsmanager_secret_policy": "a secret's resource policy names its own secret as *",
}

API_ENV_KEYS = {
    "DEPLOYMENTS_TABLE",
    "INSTALLATIONS_TABLE",
    "GITHUB_INSTALLATIONS_TABLE",
    "WEBHOOK_DELIVERIES_TABLE",
    "PROJECTS_TABLE",
    "GITHUB_WEBHOOK_SECRET_ARN",
    "GITHUB_CLIENT_ID",
    "GITHUB_CLIENT_SECRET_ARN",
    "GITHUB_OAUTH_URL",
    "GITHUB_API_URL",
    "API_STATE_TABLE",
    "USER_RATE_LIMIT",
    "INSTALLATION_RATE_LIMIT",
    "JOB_QUEUE_URL",
    "FRONTEND_URL",
    "RUST_LOG",
}
WORKER_ENV_KEYS = {
    "DEPLOYMENTS_TABLE",
    "JOB_QUEUE_URL",
    "DEAD_LETTER_QUEUE_URL",
    "CODEBUILD_PROJECT",
    "GITHUB_API_URL",
    "GITHUB_APP_ID",
    "GITHUB_PRIVATE_KEY_SECRET_ARN",
    "MAX_RECEIVE_COUNT",
    "BUILD_TOKEN_PARAMETER_PREFIX",
    "RUST_LOG",
}
WORKER_ENV_OPTIONAL = {"SUPPORTED_FRAMEWORKS"}
EXPECTED_ROUTES = {
    "POST /deployments",
    "GET /deployments",
    "GET /deployments/{id}",
    "POST /deployments/{id}/cancel",
    "POST /deployments/{id}/redeploy",
    "POST /github/installations",
    "GET /github/installations",
    "DELETE /github/installations/{id}",
    "POST /projects",
    "GET /projects",
    "GET /projects/{id}",
    "PATCH /projects/{id}",
    "DELETE /projects/{id}",
    "POST /github/webhook",
}
# Routes GitHub calls without a JWT; the function verifies the webhook signature instead.
PUBLIC_ROUTES = {"POST /github/webhook"}

# Resource types whose `policy`-like attributes hold IAM policy documents.
POLICY_ATTRIBUTES = {
    "aws_iam_role_policy": ("policy",),
    "aws_iam_policy": ("policy",),
    "aws_iam_user_policy": ("policy",),
    "aws_iam_group_policy": ("policy",),
    "aws_secretsmanager_secret_policy": ("policy",),
    "aws_sqs_queue_policy": ("policy",),
    "aws_lambda_permission": (),
}


@dataclass
class Resource:
    address: str
    type: str
    name: str
    values: dict[str, Any]
    unknown: dict[str, Any] = field(default_factory=dict)
    # Lambda functions only: the environment, resolved through an output when the plan
    # does not know it yet (see resolve_function_env).
    env: dict[str, str] | None = None

    def known(self, key: str) -> bool:
        return not self.unknown.get(key)


@dataclass
class Report:
    violations: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def fail(self, message: str) -> None:
        self.violations.append(message)


def _walk_module(module: dict[str, Any]) -> Iterable[dict[str, Any]]:
    yield from module.get("resources", [])
    for child in module.get("child_modules", []):
        yield from _walk_module(child)


def load_resources(doc: dict[str, Any]) -> list[Resource]:
    """Managed resources from a plan (planned values) or a state (values)."""
    if "planned_values" in doc:
        root = doc["planned_values"].get("root_module", {})
        unknown = {
            rc["address"]: (rc.get("change") or {}).get("after_unknown") or {}
            for rc in doc.get("resource_changes", [])
        }
    else:
        root = (doc.get("values") or {}).get("root_module", {})
        unknown = {}
    out = []
    for raw in _walk_module(root):
        if raw.get("mode", "managed") != "managed":
            continue
        out.append(
            Resource(
                address=raw["address"],
                type=raw["type"],
                name=raw["name"],
                values=raw.get("values") or {},
                unknown=unknown.get(raw["address"], {}),
            )
        )
    return out


def emulator_mode(doc: dict[str, Any], override: bool | None) -> bool:
    if override is not None:
        return override
    raw = ((doc.get("variables") or {}).get("emulator") or {}).get("value")
    if raw is None:
        raise SystemExit("policy_check: cannot tell emulator mode: pass --emulator or --no-emulator")
    return str(raw).lower() == "true"


def by_type(resources: list[Resource], type_: str) -> list[Resource]:
    return [r for r in resources if r.type == type_]


def _arn_name(arn: str) -> str:
    return arn.rsplit(":", 1)[-1]


UNKNOWN = "<known after apply>"


def _function_env(fn: Resource) -> dict[str, str]:
    return fn.env or {}


def resolve_function_env(doc: dict[str, Any], fn: Resource, report: Report) -> None:
    """A function's environment from the plan, or from the output built from the same local.

    A plan does not know a map that holds one unknown value (queue URLs, the secret's ARN),
    so `environment.variables` is wholly unknown before the first apply. The outputs
    api_env/worker_env expose the same local with its known values; they stand in for the
    function's environment only when the configuration shows both reference the same
    expression. After apply (state JSON) the real environment is used.
    """
    env = fn.values.get("environment") or []
    if fn.known("environment") and not (isinstance(fn.unknown.get("environment"), list) and any(
        (e or {}).get("variables") is True for e in fn.unknown["environment"]
    )):
        fn.env = {k: str(v) for k, v in ((env[0] or {}).get("variables") or {}).items()} if env else {}
        return
    config = (doc.get("configuration") or {}).get("root_module") or {}
    refs = None
    for cr in config.get("resources", []):
        if cr.get("address") == fn.address.split("[")[0]:
            refs = ((cr.get("expressions") or {}).get("environment") or [{}])[0].get("variables", {}).get("references")
    for name, output in (config.get("outputs") or {}).items():
        if refs and (output.get("expression") or {}).get("references") == refs:
            change = (doc.get("output_changes") or {}).get(name) or {}
            merged = {k: str(v) for k, v in (change.get("after") or {}).items()}
            unknown = change.get("after_unknown")
            if isinstance(unknown, dict):
                merged.update({k: UNKNOWN for k, flag in unknown.items() if flag is True})
            fn.env = merged
            return
    report.fail(f"{fn.address}: environment unknown at plan time and no output mirrors it")
    fn.env = {}


def find_worker(resources: list[Resource]) -> Resource | None:
    for fn in by_type(resources, "aws_lambda_function"):
        if "MAX_RECEIVE_COUNT" in _function_env(fn):
            return fn
    return None


def find_api(resources: list[Resource]) -> Resource | None:
    for fn in by_type(resources, "aws_lambda_function"):
        if "FRONTEND_URL" in _function_env(fn):
            return fn
    return None


# ---------------------------------------------------------------------------------------
# Queue and event source mapping
# ---------------------------------------------------------------------------------------


def check_queues(resources: list[Resource], emulator: bool, report: Report) -> None:
    queues = by_type(resources, "aws_sqs_queue")
    # A queue without a configured redrive policy shows it as unknown (computed) in a plan;
    # one whose configured policy is unknown is reported in check_queue_config.
    sources = [q for q in queues if q.known("redrive_policy") and q.values.get("redrive_policy")]
    worker = find_worker(resources)
    if worker is None:
        report.fail("lambda: no worker function (a function whose env has MAX_RECEIVE_COUNT)")
        return
    if not sources:
        report.fail("sqs: no queue with a redrive policy (the job queue needs a dead-letter queue)")
    mappings = by_type(resources, "aws_lambda_event_source_mapping")

    for q in queues:
        if q.values.get("sqs_managed_sse_enabled") is not True and not q.values.get("kms_master_key_id"):
            report.fail(f"{q.address}: server-side encryption is off")

    for src in sources:
        redrive = json.loads(src.values["redrive_policy"])
        count = int(redrive.get("maxReceiveCount", 0))
        if count < MIN_MAX_RECEIVE_COUNT:
            report.fail(f"{src.address}: maxReceiveCount {count} < {MIN_MAX_RECEIVE_COUNT}")
        env_count = _function_env(worker).get("MAX_RECEIVE_COUNT")
        if env_count is None or str(env_count) != str(count):
            report.fail(
                f"{worker.address}: MAX_RECEIVE_COUNT={env_count} differs from {src.address} maxReceiveCount {count}"
            )

        dlq_name = _arn_name(redrive.get("deadLetterTargetArn", ""))
        dlq = next((q for q in queues if q.values.get("name") == dlq_name), None)
        if dlq is None:
            report.fail(f"{src.address}: dead-letter queue {dlq_name!r} is not managed here")
        else:
            dlq_ret = dlq.values.get("message_retention_seconds")
            src_ret = src.values.get("message_retention_seconds")
            if not (isinstance(dlq_ret, int) and isinstance(src_ret, int) and dlq_ret > src_ret):
                report.fail(
                    f"{dlq.address}: retention {dlq_ret} s is not longer than {src.address}'s {src_ret} s"
                )
            check_redrive_allow(resources, dlq, src, emulator, report)

        src_mappings = [
            m for m in mappings
            if _arn_name(str(m.values.get("event_source_arn") or "")) == src.values.get("name")
            or not m.known("event_source_arn")
        ]
        window = max([int(m.values.get("maximum_batching_window_in_seconds") or 0) for m in src_mappings] or [0])
        timeout = int(worker.values.get("timeout") or 3)
        visibility = int(src.values.get("visibility_timeout_seconds") or 30)
        if visibility < 6 * timeout + window:
            report.fail(
                f"{src.address}: visibility timeout {visibility} s < 6 x worker timeout {timeout} s"
                f" + batching window {window} s = {6 * timeout + window} s"
            )

        if emulator:
            if src_mappings:
                report.fail(
                    f"{src_mappings[0].address}: an event source mapping under the emulator fails an"
                    " invoke per send and pushes jobs to the DLQ early (EMULATOR.md)"
                )
            continue
        if not src_mappings:
            report.fail(f"{src.address}: no SQS event source mapping drives the worker")
        for m in src_mappings:
            types = m.values.get("function_response_types") or []
            if "ReportBatchItemFailures" not in types:
                report.fail(
                    f"{m.address}: function_response_types lacks ReportBatchItemFailures;"
                    " the worker's batch item failures would be dropped as successes"
                )
            target = str(m.values.get("function_name") or "")
            if m.known("function_name") and not target.endswith(str(worker.values.get("function_name"))):
                report.fail(f"{m.address}: targets {target!r}, not the worker function")


def check_queue_config(doc: dict[str, Any], resources: list[Resource], report: Report) -> None:
    config = (doc.get("configuration") or {}).get("root_module") or {}
    configured = {
        cr["address"] for cr in config.get("resources", [])
        if cr.get("type") == "aws_sqs_queue" and "redrive_policy" in (cr.get("expressions") or {})
    }
    for q in by_type(resources, "aws_sqs_queue"):
        if q.address.split("[")[0] in configured and not q.known("redrive_policy"):
            report.fail(f"{q.address}: redrive_policy is unknown at plan time; build the DLQ ARN from its name")


def check_redrive_allow(resources, dlq: Resource, src: Resource, emulator: bool, report: Report) -> None:
    policies = by_type(resources, "aws_sqs_queue_redrive_allow_policy")
    if emulator:
        if policies:
            report.fail(f"{policies[0].address}: the redrive allow policy hangs against the emulator")
        return
    if not policies:
        report.fail(f"{dlq.address}: no redrive allow policy limits which queues may use it")
        return
    for p in policies:
        if not p.known("redrive_allow_policy"):
            report.fail(f"{p.address}: redrive_allow_policy is unknown at plan time")
            continue
        doc = json.loads(p.values["redrive_allow_policy"])
        sources = {_arn_name(a) for a in doc.get("sourceQueueArns", [])}
        if doc.get("redrivePermission") != "byQueue" or sources != {src.values.get("name")}:
            report.fail(f"{p.address}: must allow byQueue from {src.values.get('name')!r} only, got {doc}")


# ---------------------------------------------------------------------------------------
# IAM
# ---------------------------------------------------------------------------------------


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


WHOLE_SERVICE_ARN = re.compile(r"^arn:[^:]*:[^:]*:[^:]*:[^:]*:\*$")


def check_iam(resources: list[Resource], report: Report) -> None:
    for r in resources:
        attrs = POLICY_ATTRIBUTES.get(r.type, ())
        docs = [(attr, r.values.get(attr)) for attr in attrs]
        if r.type == "aws_iam_role":
            docs += [("inline_policy", p.get("policy")) for p in r.values.get("inline_policy") or []]
        for attr, text in docs:
            if not r.known(attr):
                report.fail(f"{r.address}: {attr} is unknown at plan time and cannot be checked")
                continue
            if not text:
                continue
            doc = json.loads(text)
            for i, stmt in enumerate(_as_list(doc.get("Statement"))):
                check_statement(r, f"{attr}.Statement[{i}]", stmt, report)


def check_statement(r: Resource, where: str, stmt: dict[str, Any], report: Report) -> None:
    effect = stmt.get("Effect")
    actions = [str(a) for a in _as_list(stmt.get("Action"))]
    resources = [str(x) for x in _as_list(stmt.get("Resource"))]
    if effect == "Allow":
        for action in actions:
            if action == "*" or action.endswith(":*"):
                report.fail(f"{r.address} {where}: wildcard action {action!r}")
        if "NotAction" in stmt or "NotResource" in stmt:
            report.fail(f"{r.address} {where}: NotAction/NotResource in an Allow statement")
    star = [x for x in resources if x == "*" or WHOLE_SERVICE_ARN.match(x)]
    if not star:
        return
    if r.type in ALLOWED_STAR_IN_RESOURCE_POLICIES and effect == "Deny":
        return
    if effect == "Allow" and actions and all(a in ACTIONS_ONLY_ON_STAR for a in actions):
        return
    report.fail(f"{r.address} {where}: Resource {star} for {actions} (narrow it to the resources used)")


# The SSM actions each role policy may hold, all on the builds' clone-token path.
SSM_GRANTS = {
    "aws_iam_role_policy.worker": {"ssm:PutParameter", "ssm:DeleteParameter"},
    "aws_iam_role_policy.codebuild": {"ssm:GetParameters"},
}


def check_ssm(resources: list[Resource], report: Report) -> None:
    worker = find_worker(resources)
    prefix = _function_env(worker).get("BUILD_TOKEN_PARAMETER_PREFIX") if worker else None
    if not prefix:
        report.fail("lambda: the worker has no BUILD_TOKEN_PARAMETER_PREFIX")
        return
    check_service_grants(
        resources, report, "ssm", "SSM", SSM_GRANTS, (f":parameter{prefix}/*",), f"{prefix}/*"
    )


def check_service_grants(
    resources: list[Resource],
    report: Report,
    service: str,
    label: str,
    grants: dict[str, set[str]],
    suffixes: tuple[str, ...],
    scope: str,
) -> None:
    """Each role policy holds exactly its `grants` of `service`'s actions (`label` in
    messages), every one on a resource ending in one of `suffixes` (`scope` in messages)."""
    for r in by_type(resources, "aws_iam_role_policy"):
        text = r.values.get("policy")
        if not r.known("policy") or not text:
            continue
        granted: set[str] = set()
        for stmt in _as_list(json.loads(text).get("Statement")):
            actions = {str(a) for a in _as_list(stmt.get("Action")) if str(a).lower().startswith(f"{service}:")}
            if not actions or stmt.get("Effect") != "Allow":
                continue
            granted |= actions
            outside = [str(x) for x in _as_list(stmt.get("Resource")) if not str(x).endswith(suffixes)]
            if outside:
                report.fail(f"{r.address}: {sorted(actions)} on {outside}, not only {scope}")
        expected = grants.get(r.address, set())
        if granted != expected:
            report.fail(f"{r.address}: {label} actions {sorted(granted)} != {sorted(expected)}")


# The CodeBuild actions each role policy may hold, all on the builds project alone: the
# worker starts, finds, watches and (for a deployment canceled while its build started)
# stops builds; the API stops a canceled deployment's build.
CODEBUILD_GRANTS = {
    "aws_iam_role_policy.worker": {
        "codebuild:StartBuild",
        "codebuild:BatchGetBuilds",
        "codebuild:ListBuildsForProject",
        "codebuild:StopBuild",
    },
    "aws_iam_role_policy.api": {"codebuild:StopBuild"},
}


def check_codebuild_grants(resources: list[Resource], report: Report) -> None:
    names = {str(p.values.get("name")) for p in by_type(resources, "aws_codebuild_project")}
    suffixes = tuple(f":project/{name}" for name in names)
    check_service_grants(
        resources, report, "codebuild", "CodeBuild", CODEBUILD_GRANTS, suffixes, "the builds project"
    )


# ---------------------------------------------------------------------------------------
# API Gateway
# ---------------------------------------------------------------------------------------


def check_api(resources: list[Resource], report: Report) -> None:
    api_fn = find_api(resources)
    frontend = _function_env(api_fn).get("FRONTEND_URL") if api_fn else None
    if not frontend:
        report.fail("lambda: the API function has no FRONTEND_URL")
    expected = {frontend, LOCAL_DEV_ORIGIN}
    apis = by_type(resources, "aws_apigatewayv2_api")
    if not apis:
        report.fail("apigatewayv2: no HTTP API")
    for api in apis:
        cors = (api.values.get("cors_configuration") or [None])[0]
        if not cors:
            report.fail(f"{api.address}: no cors_configuration")
            continue
        origins = list(cors.get("allow_origins") or [])
        if "*" in origins:
            report.fail(f"{api.address}: CORS allows origin '*'")
        if set(origins) != expected or len(origins) != len(expected):
            report.fail(f"{api.address}: CORS origins {sorted(origins)} != {sorted(o for o in expected if o)}")
        if cors.get("allow_credentials") is not True:
            report.fail(f"{api.address}: CORS must allow credentials")
        for header in ("authorization", "content-type"):
            if header not in [h.lower() for h in cors.get("allow_headers") or []]:
                report.fail(f"{api.address}: CORS allow_headers lacks {header}")
        methods = {m.upper() for m in cors.get("allow_methods") or []}
        if "*" in methods or not {"GET", "POST", "OPTIONS"} <= methods:
            report.fail(f"{api.address}: CORS allow_methods must be GET, POST, OPTIONS, got {sorted(methods)}")

    routes = by_type(resources, "aws_apigatewayv2_route")
    keys = {r.values.get("route_key") for r in routes}
    if keys != EXPECTED_ROUTES:
        report.fail(f"apigatewayv2: routes {sorted(map(str, keys))} != {sorted(EXPECTED_ROUTES)}")
    for route in routes:
        key = str(route.values.get("route_key"))
        if key.startswith("OPTIONS ") or key.startswith("ANY "):
            report.fail(f"{route.address}: {key} would put CORS preflight behind the authorizer")
        elif key in PUBLIC_ROUTES:
            if route.values.get("authorization_type") != "NONE":
                report.fail(f"{route.address}: {key} must be public (GitHub sends no JWT)")
        elif route.values.get("authorization_type") != "JWT":
            report.fail(f"{route.address}: {key} does not require the JWT authorizer")
    for integ in by_type(resources, "aws_apigatewayv2_integration"):
        if integ.values.get("payload_format_version") != "2.0":
            report.fail(f"{integ.address}: payload format must be 2.0 (lambda_http apigw_http)")


# ---------------------------------------------------------------------------------------
# Lambda functions and CodeBuild
# ---------------------------------------------------------------------------------------


def check_functions(resources: list[Resource], report: Report) -> None:
    for role, fn, required, optional in (
        ("API", find_api(resources), API_ENV_KEYS, set()),
        ("worker", find_worker(resources), WORKER_ENV_KEYS, WORKER_ENV_OPTIONAL),
    ):
        if fn is None:
            report.fail(f"lambda: no {role} function")
            continue
        v = fn.values
        if (v.get("runtime"), v.get("handler"), v.get("architectures")) != ("provided.al2023", "bootstrap", ["arm64"]):
            report.fail(
                f"{fn.address}: must be provided.al2023 / bootstrap / arm64, got"
                f" {v.get('runtime')} / {v.get('handler')} / {v.get('architectures')}"
            )
        keys = set(_function_env(fn))
        if not required <= keys or not keys <= required | optional:
            report.fail(
                f"{fn.address}: env keys {sorted(keys)}; missing {sorted(required - keys)},"
                f" unexpected {sorted(keys - required - optional)}"
            )


_WHALERAY_EXPANSION = re.compile(r"\$\{?WHALERAY_")


def unquoted_expansions(script: str) -> list[str]:
    """Lines where a $WHALERAY_* expansion sits outside double quotes.

    A small shell lexer with a context stack: plain text, '...', "..." and command
    substitutions ($(...) and backticks, which open a new unquoted context even inside
    double quotes). Backslash escapes and comments are skipped; single-quoted text never
    expands. A `$WHALERAY_` or `${WHALERAY_` met in an unquoted context is reported.
    """
    problems: list[str] = []
    lines = script.split("\n")
    stack = ["plain"]  # plain | subst | backtick | single | double
    line_no = 1
    i = 0
    n = len(script)
    while i < n:
        c = script[i]
        state = stack[-1]
        if c == "\n":
            line_no += 1
        if state == "single":
            if c == "'":
                stack.pop()
            i += 1
            continue
        if c == "\\":
            if i + 1 < n and script[i + 1] == "\n":
                line_no += 1
            i += 2
            continue
        if state == "double":
            if c == '"':
                stack.pop()
            elif script.startswith("$(", i):
                stack.append("subst")
                i += 2
                continue
            elif c == "`":
                stack.append("backtick")
            i += 1
            continue
        # plain, subst or backtick: unquoted contexts
        if c == "#" and (i == 0 or script[i - 1] in " \t\n;"):
            while i < n and script[i] != "\n":
                i += 1
            continue
        if c == "'":
            stack.append("single")
        elif c == '"':
            stack.append("double")
        elif script.startswith("$(", i):
            stack.append("subst")
            i += 2
            continue
        elif c == "`":
            if state == "backtick":
                stack.pop()
            else:
                stack.append("backtick")
        elif c == ")" and state == "subst":
            stack.pop()
        elif c == "$" and _WHALERAY_EXPANSION.match(script, i):
            problems.append(f"line {line_no}: {lines[line_no - 1].strip()}")
        i += 1
    return problems


def buildspec_commands(buildspec: str) -> list[str]:
    """The shell commands of a buildspec. Uses PyYAML when present, else the raw text."""
    try:
        import yaml  # type: ignore
    except ImportError:
        return [buildspec]
    doc = yaml.safe_load(buildspec)
    commands = []
    for phase in (doc.get("phases") or {}).values():
        for key in ("commands", "finally"):
            commands.extend(str(c) for c in (phase or {}).get(key) or [])
    return commands


def check_codebuild(resources: list[Resource], report: Report) -> None:
    projects = by_type(resources, "aws_codebuild_project")
    if not projects:
        report.fail("codebuild: no project")
    for p in projects:
        source = (p.values.get("source") or [{}])[0]
        buildspec = source.get("buildspec") or ""
        if "version:" not in buildspec:
            report.fail(f"{p.address}: the buildspec must be inline (a repository's own buildspec must never run)")
            continue
        for command in buildspec_commands(buildspec):
            for problem in unquoted_expansions(command):
                report.fail(f"{p.address}: buildspec expands WHALERAY_* unquoted, {problem}")
        env = (p.values.get("environment") or [{}])[0]
        if env.get("privileged_mode"):
            report.fail(f"{p.address}: privileged mode runs user code with Docker-daemon rights")


# What the API role may do on the projects table and its indexes (api/src/projects.rs,
# shared/src/dynamo/projects.rs): TransactWriteItems is authorised as its PutItem/DeleteItem
# parts. No other role may name the table.
PROJECT_TABLE_GRANTS = {"dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}
PROJECT_INDEX_GRANTS = {"dynamodb:Query"}
PROJECT_INDEXES = {"userId-createdAt-index", "repositoryKey-index"}


def check_projects(resources: list[Resource], report: Report) -> None:
    """The projects table's grants: exactly the calls the API makes, to the API role only."""
    api = find_api(resources)
    name = _function_env(api).get("PROJECTS_TABLE") if api else None
    if not name or name == UNKNOWN:
        report.fail("projects: the API function has no known PROJECTS_TABLE")
        return
    table_grants: set[str] = set()
    index_grants: dict[str, set[str]] = {}
    for r in by_type(resources, "aws_iam_role_policy"):
        for stmt in _as_list(json.loads(r.values.get("policy") or "{}").get("Statement")):
            actions = {str(a) for a in _as_list(stmt.get("Action"))}
            for arn in (str(x) for x in _as_list(stmt.get("Resource"))):
                if arn.endswith(f":table/{name}"):
                    target = None
                elif f":table/{name}/index/" in arn:
                    target = arn.rsplit("/", 1)[-1]
                else:
                    continue
                if r.address != "aws_iam_role_policy.api":
                    report.fail(f"{r.address}: only the API role may use the projects table ({arn})")
                    continue
                if target is None:
                    table_grants |= actions
                else:
                    index_grants.setdefault(target, set()).update(actions)
    if table_grants != PROJECT_TABLE_GRANTS:
        report.fail(f"projects: the API's grants on {name} are {sorted(table_grants)}, expected {sorted(PROJECT_TABLE_GRANTS)}")
    if set(index_grants) != PROJECT_INDEXES:
        report.fail(f"projects: the API queries indexes {sorted(index_grants)} of {name}, expected {sorted(PROJECT_INDEXES)}")
    for index, actions in index_grants.items():
        if actions != PROJECT_INDEX_GRANTS:
            report.fail(f"projects: the API's grants on index {index} are {sorted(actions)}, expected Query only")


def check_policy_arns_exist(resources: list[Resource], report: Report) -> None:
    """State only: every ARN an identity policy names is the ARN of a resource created here.

    The policies build ARNs from names (locals.tf); this proves those strings match what
    AWS (or the emulator) really assigned, secrets' random suffix included. The one
    exception is the build-token parameter path: the worker creates those parameters at run
    time, one per build, so no resource here matches; `check_ssm` holds those grants to
    exactly that path instead.
    """
    worker = find_worker(resources)
    prefix = _function_env(worker).get("BUILD_TOKEN_PARAMETER_PREFIX") if worker else None
    runtime_suffix = f":parameter{prefix}/*" if prefix else None
    created = set()
    for r in resources:
        arn = r.values.get("arn")
        if isinstance(arn, str) and arn.startswith("arn:"):
            created.add(arn)
            for gsi in r.values.get("global_secondary_index") or []:
                created.add(f"{arn}/index/{gsi['name']}")
    for r in by_type(resources, "aws_iam_role_policy"):
        for stmt in _as_list(json.loads(r.values.get("policy") or "{}").get("Statement")):
            for pattern in _as_list(stmt.get("Resource")):
                if runtime_suffix and pattern.startswith("arn:aws:ssm:") and pattern.endswith(runtime_suffix):
                    continue
                base = pattern[:-2] if pattern.endswith(":*") else pattern
                # fnmatch treats [ ] specially; ARNs here never contain them.
                if not any(fnmatch.fnmatchcase(arn, base) for arn in created):
                    report.fail(f"{r.address}: {pattern} matches no resource this configuration created")


def run_checks(doc: dict[str, Any], emulator: bool | None = None) -> Report:
    report = Report()
    resources = load_resources(doc)
    for fn in by_type(resources, "aws_lambda_function"):
        resolve_function_env(doc, fn, report)
    mode = emulator_mode(doc, emulator)
    check_queues(resources, mode, report)
    check_queue_config(doc, resources, report)
    check_iam(resources, report)
    check_ssm(resources, report)
    check_projects(resources, report)
    check_codebuild_grants(resources, report)
    check_api(resources, report)
    check_functions(resources, report)
    check_codebuild(resources, report)
    if "planned_values" not in doc:
        check_policy_arns_exist(resources, report)
    report.notes.append(f"{len(resources)} resources, emulator={mode}")
    return report


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("json_file", help="`terraform show -json` of a plan file or of the state")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--emulator", dest="emulator", action="store_true", default=None)
    mode.add_argument("--no-emulator", dest="emulator", action="store_false")
    args = parser.parse_args(argv)
    with open(args.json_file, encoding="utf-8") as f:
        doc = json.load(f)
    report = run_checks(doc, args.emulator)
    for v in report.violations:
        print(f"POLICY VIOLATION: {v}", file=sys.stderr)
    status = "FAILED" if report.violations else "passed"
    print(f"policy_check {args.json_file}: {status} ({'; '.join(report.notes)}; {len(report.violations)} violations)")
    return 1 if report.violations else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
