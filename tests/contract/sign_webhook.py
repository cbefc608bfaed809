"""Schemathesis hook: signs the fuzzer's `POST /github/webhook` cases with the local stack's
webhook secret (GITHUB_WEBHOOK_SECRET, exported by scripts/dev), so fuzzed events, delivery
ids and payloads reach the handler behind the signature check instead of all stopping at 401.

A case that leaves `X-Hub-Signature-256` out (the coverage phase's missing-header cases)
stays unsigned and must get the documented 401 `invalid_signature`.

Loaded by tests/contract/run through SCHEMATHESIS_HOOKS.
"""

import hashlib
import hmac
import json
import os

import schemathesis

WEBHOOK_PATH = "/github/webhook"
SIGNATURE_HEADER = "X-Hub-Signature-256"
SECRET = os.environ["GITHUB_WEBHOOK_SECRET"].encode()


def _body_bytes(body) -> bytes | None:
    """The exact bytes to send for `body`, or None when the case has no body."""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    if type(body).__name__ == "NotSet":
        return None
    return json.dumps(body).encode()


@schemathesis.hook
def before_call(context, case, kwargs):
    if case.operation.path != WEBHOOK_PATH or not case.headers:
        return
    if SIGNATURE_HEADER not in case.headers:
        return
    body = _body_bytes(case.body)
    if body is None:
        return
    # The bytes sent are these, not a re-serialisation: `data` replaces the generated body.
    kwargs["data"] = body
    digest = hmac.new(SECRET, body, hashlib.sha256).hexdigest()
    case.headers[SIGNATURE_HEADER] = f"sha256={digest}"
