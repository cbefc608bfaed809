#!/usr/bin/env python3
"""The front end's real calls in a real browser: headless Chromium (Debian's package, driven
through Debian's chromedriver by selenium) runs fetch() from a page served at the Vite dev
origin http://localhost:5173, and from a page on another origin.

From the allowed origin it creates a deployment with a bearer token and an Idempotency-Key,
reads Location and the rate-limit headers (readable only because CORS exposes them), polls
the status until it settles, and lists. From the other origin the same create must be blocked
by the browser itself, and nothing may be created. Needs API_URL and TOKEN in the
environment (scripts/dev --run exports them).
"""

from __future__ import annotations

import contextlib
import fcntl
import http.server
import json
import os
import shutil
import socket
import sys
import threading
import time
import uuid
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

ALLOWED_PORT = 5173  # the Vite dev server's port: the API allows http://localhost:5173
PAGE = b"""<!doctype html><meta charset=utf-8><title>WhaleRay front end (test)</title>
<script>
async function deploy(api, token, key, repository) {
  const auth = { authorization: "Bearer " + token };
  const created = await fetch(api + "/deployments", {
    method: "POST",
    headers: { ...auth, "content-type": "application/json", "idempotency-key": key },
    body: JSON.stringify({ repository }),
  });
  const result = {
    status: created.status,
    location: created.headers.get("location"),
    limit: created.headers.get("ratelimit-limit"),
    remaining: created.headers.get("ratelimit-remaining"),
    body: await created.json(),
  };
  const again = await fetch(api + "/deployments", {
    method: "POST",
    headers: { ...auth, "content-type": "application/json", "idempotency-key": key },
    body: JSON.stringify({ repository }),
  });
  result.retry = { status: again.status, replayed: again.headers.get("idempotent-replayed"),
                   body: await again.json() };
  const deadline = Date.now() + 60000;
  let deployment;
  do {
    await new Promise((r) => setTimeout(r, 200));
    deployment = await (await fetch(api + result.location, { headers: auth })).json();
  } while (deployment.status === "INSPECTING" && Date.now() < deadline);
  result.final = deployment.status;
  const list = await (await fetch(api + "/deployments?limit=100", { headers: auth })).json();
  result.listed = list.deployments.map((d) => d.deploymentId);
  return result;
}
async function refusedCreate(api, token) {
  try {
    const r = await fetch(api + "/deployments", {
      method: "POST",
      headers: { authorization: "Bearer " + token, "content-type": "application/json" },
      body: JSON.stringify({ repository: "acme/static-site" }),
    });
    return { blocked: false, status: r.status };
  } catch (e) {
    return { blocked: true, error: String(e) };
  }
}
</script>
"""


class Page(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's naming)
        self.send_response(200)
        self.send_header("content-type", "text/html; charset=utf-8")
        self.send_header("content-length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, *args):
        pass


def serve(port: int) -> http.server.ThreadingHTTPServer:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def vite_port_lock():
    """Port 5173 is one per machine: parallel runs of this test take turns."""
    path = Path(os.environ.get("TMPDIR", "/tmp")) / "whaleray-browser-5173.lock"
    with open(path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def browser() -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--no-first-run", "--disable-extensions"):
        options.add_argument(flag)
    service = Service(executable_path=shutil.which("chromedriver") or "/usr/bin/chromedriver")
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_script_timeout(90)
    return driver


def run_async(driver: webdriver.Chrome, call: str, *args):
    script = f"const done = arguments[arguments.length - 1]; {call}.then(done, (e) => done({{error: String(e)}}));"
    return driver.execute_async_script(script, *args)


def check(claim: str, ok: bool, detail) -> None:
    print(f"browser: {'ok  ' if ok else 'FAIL'} {claim}" + ("" if ok else f": {detail}"), file=sys.stderr)
    if not ok:
        raise SystemExit(1)


def main() -> int:
    api, token = os.environ["API_URL"].rstrip("/"), os.environ["TOKEN"]
    # The API listens on 127.0.0.1; the page reaches it as localhost, as a dev would.
    api = api.replace("127.0.0.1", "localhost")
    other_port = free_port()
    with vite_port_lock():
        allowed, other = serve(ALLOWED_PORT), serve(other_port)
        driver = browser()
        try:
            driver.get(f"http://localhost:{ALLOWED_PORT}/")
            key = str(uuid.uuid4())
            r = run_async(driver, "deploy(arguments[0], arguments[1], arguments[2], arguments[3])",
                          api, token, key, "acme/vite-app")
            check("the create ran without a browser error", "error" not in r, r)
            check("POST /deployments answered 202", r["status"] == 202, r)
            deployment_id = r["body"]["deploymentId"]
            check("the script read Location", r["location"] == f"/deployments/{deployment_id}", r)
            check("the script read RateLimit-Limit and -Remaining",
                  r["limit"] is not None and r["remaining"] is not None, r)
            check("a retry with the same Idempotency-Key got the same answer, marked replayed",
                  r["retry"]["status"] == 202 and r["retry"]["body"] == r["body"]
                  and r["retry"]["replayed"] == "true", r["retry"])
            check("polling Location reached BUILDING", r["final"] == "BUILDING", r)
            check("the list holds the deployment once", r["listed"].count(deployment_id) == 1, r["listed"])

            driver.get(f"http://127.0.0.1:{other_port}/")
            refused = run_async(driver, "refusedCreate(arguments[0], arguments[1])", api, token)
            check("the browser blocked the create from another origin", refused.get("blocked") is True, refused)

            driver.get(f"http://localhost:{ALLOWED_PORT}/")
            after = run_async(driver, "deploy(arguments[0], arguments[1], arguments[2], arguments[3])",
                              api, token, str(uuid.uuid4()), "acme/mainframe")
            check("the second create settled as NOT_SUPPORTED", after.get("final") == "NOT_SUPPORTED", after)
            check("the blocked create recorded nothing (exactly two deployments listed)",
                  len(after["listed"]) == 2, after["listed"])
        finally:
            driver.quit()
            allowed.shutdown()
            other.shutdown()
    print("browser: all checks passed", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
