"""The CodeBuild buildspec handles user-controlled values safely.

Runs the real infra/buildspec.yml phases with bash (no CodeBuild): `node`, `n` and
`corepack` are stubs, the checkout is a temporary folder cloned by the buildspec's own first
command from a local git server (`git http-backend` behind HTTP Basic auth, as GitHub asks
for an installation token), and the WHALERAY_* variables carry shell metacharacters. Also
unit-tests policy_check's quoting lexer.
"""

from __future__ import annotations

import base64
import http.server
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import unittest
from pathlib import Path

import yaml

INFRA = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(INFRA))

import policy_check  # noqa: E402

BUILDSPEC = yaml.safe_load((INFRA / "buildspec.yml").read_text(encoding="utf-8"))
SHA = "0123456789abcdef0123456789abcdef01234567"
REPOSITORY = "acme/web-app"
TOKEN = "ghs_TestOnlyInstallationToken0123456789abcdef"
# A valid git branch name that is also a shell injection (issue 2).
HOSTILE = 'zzz";touch${IFS}PWNED;#$(touch PWNED)`touch PWNED`'


def git(*args: str, cwd: Path) -> str:
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@t")
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout.strip()


class GitServer:
    """Smart HTTP git for the repositories under `root`, through `git http-backend`, answering
    401 unless the request carries HTTP Basic `x-access-token:<token>` (GitHub's form for an
    installation token). Every Authorization header received is kept, to prove the token
    travelled in it."""

    def __init__(self, root: Path, token: str):
        self.root, self.token, self.authorizations = root, token, []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                self.serve()

            def do_POST(self):
                self.serve()

            def serve(self):
                auth = self.headers.get("Authorization", "")
                server.authorizations.append(auth)
                expected = "Basic " + base64.b64encode(f"x-access-token:{server.token}".encode()).decode()
                if auth != expected:
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="GitHub"')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                path, _, query = self.path.partition("?")
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                env = {
                    "PATH": os.environ["PATH"],
                    "GIT_PROJECT_ROOT": str(server.root),
                    "GIT_HTTP_EXPORT_ALL": "1",
                    "PATH_INFO": path,
                    "QUERY_STRING": query,
                    "REQUEST_METHOD": self.command,
                    "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                    "CONTENT_LENGTH": str(len(body)),
                    "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
                    "HTTP_GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
                    "REMOTE_USER": "x-access-token",
                    # GitHub serves any reachable commit by its SHA.
                    "GIT_CONFIG_COUNT": "1",
                    "GIT_CONFIG_KEY_0": "uploadpack.allowAnySHA1InWant",
                    "GIT_CONFIG_VALUE_0": "true",
                }
                out = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True, check=False).stdout
                head, _, payload = out.partition(b"\r\n\r\n")
                status, headers = 200, []
                for line in head.decode().split("\r\n"):
                    name, _, value = line.partition(":")
                    if name.lower() == "status":
                        status = int(value.split()[0])
                    elif name:
                        headers.append((name, value.strip()))
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class Origin:
    """A repository's working tree and the bare repository the server publishes it from."""

    def __init__(self, tmp: Path, repository: str):
        self.work = tmp / "origin-work"
        self.work.mkdir()
        self.bare = tmp / "git" / f"{repository}.git"
        self.bare.parent.mkdir(parents=True)
        git("init", "-q", "--bare", str(self.bare), cwd=tmp)
        git("init", "-q", cwd=self.work)

    def commit(self) -> str:
        """Commits the whole working tree, publishes it, and returns the commit's SHA."""
        git("add", "-A", cwd=self.work)
        git("commit", "-q", "--allow-empty", "-m", "c", cwd=self.work)
        git("push", "-q", "--force", str(self.bare), "HEAD:refs/heads/main", cwd=self.work)
        return git("rev-parse", "HEAD", cwd=self.work)


def phase_commands(phase: str) -> list[str]:
    return [str(c) for c in BUILDSPEC["phases"][phase]["commands"]]


class QuotingLexer(unittest.TestCase):
    def check(self, script: str, flagged: bool):
        self.assertEqual(bool(policy_check.unquoted_expansions(script)), flagged, script)

    def test_cases(self):
        for script, flagged in [
            ('sh -c "$WHALERAY_BUILD_COMMAND"', False),
            ('cd "$CODEBUILD_SRC_DIR/${WHALERAY_ROOT_DIRECTORY:-.}"', False),
            ("sh -c $WHALERAY_BUILD_COMMAND", True),
            ("cd ${WHALERAY_ROOT_DIRECTORY}", True),
            ("echo '$WHALERAY_X'", False),
            ('echo "$(basename $WHALERAY_X)"', True),
            ('echo "$(basename "$WHALERAY_X")"', False),
            ("echo `cat $WHALERAY_X`", True),
            ("# cd $WHALERAY_X\ntrue", False),
            ('echo \\"$WHALERAY_X\\"', True),
            ('[[ "$WHALERAY_COMMIT_SHA" =~ ^[0-9a-f]{40}$ ]]', False),
        ]:
            with self.subTest(script=script):
                self.check(script, flagged)

    def test_real_buildspec_has_no_unquoted_expansion(self):
        for phase in BUILDSPEC["phases"]:
            for command in phase_commands(phase):
                self.assertEqual(policy_check.unquoted_expansions(command), [])


class BuildspecPhases(unittest.TestCase):
    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="whaleray-buildspec-"))
        self.src = self.tmp / "src"
        self.src.mkdir()
        self.root = self.src / "web app"
        self.origin = Origin(self.tmp, REPOSITORY)
        (self.origin.work / "web app").mkdir()
        (self.origin.work / "web app" / "package.json").write_text("{}\n", encoding="utf-8")
        self.server = GitServer(self.tmp / "git", TOKEN)
        self.bin = self.tmp / "bin"
        self.bin.mkdir()
        self.calls = self.tmp / "calls.log"
        for tool in ("node", "n", "corepack", "npm"):
            stub = self.bin / tool
            stub.write_text(f'#!/bin/sh\necho "{tool} $*" >> "{self.calls}"\n', encoding="utf-8")
            stub.chmod(0o755)
        self.env = {
            "PATH": f"{self.bin}:{os.environ['PATH']}",
            "HOME": str(self.tmp),
            "CODEBUILD_SRC_DIR": str(self.src),
            "CODEBUILD_BUILD_SUCCEEDING": "1",
            "WHALERAY_DEPLOYMENT_ID": "01JTESTDEPLOYMENT",
            "WHALERAY_REPOSITORY": REPOSITORY,
            "WHALERAY_COMMIT_SHA": SHA,
            "WHALERAY_GIT_BASE_URL": self.server.url,
            "WHALERAY_GIT_TOKEN": TOKEN,
            "WHALERAY_FRAMEWORK": HOSTILE,
            "WHALERAY_PACKAGE_MANAGER": "pnpm",
            "WHALERAY_ROOT_DIRECTORY": "web app",
            "WHALERAY_INSTALL_COMMAND": "echo installed > installed.txt",
            "WHALERAY_BUILD_COMMAND": "mkdir -p dist && echo ok > dist/index.html",
            "WHALERAY_OUTPUT_DIRECTORY": "dist",
            "WHALERAY_NODE_VERSION": "20.11.1",
        }
        self.publish()

    def publish(self):
        """Commits the origin's working tree; the build asks for that commit."""
        self.env["WHALERAY_COMMIT_SHA"] = self.origin.commit()

    def tearDown(self):
        self.server.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def run_phase(self, phase: str, **overrides: str) -> subprocess.CompletedProcess:
        env = dict(self.env, **overrides)
        if phase == "install":
            # Every build starts from CodeBuild's empty source folder (NO_SOURCE).
            shutil.rmtree(self.src, ignore_errors=True)
            self.src.mkdir()
        result = None
        for command in phase_commands(phase):
            result = subprocess.run(
                ["bash", "-c", command], cwd=self.src, env=env, capture_output=True, text=True, check=False
            )
            if result.returncode != 0:
                break
        assert result is not None
        return result

    def assert_no_injection(self):
        found = [str(p) for p in self.tmp.rglob("PWNED*")]
        self.assertEqual(found, [], "a user-controlled value was executed")

    def test_all_phases_build_in_the_root_directory_and_never_execute_user_values(self):
        for phase in ("install", "build", "post_build"):
            result = self.run_phase(phase)
            self.assertEqual(result.returncode, 0, f"{phase}: {result.stdout}{result.stderr}")
        self.assertTrue((self.root / "installed.txt").is_file())
        self.assertTrue((self.root / "dist" / "index.html").is_file())
        calls = self.calls.read_text(encoding="utf-8")
        self.assertIn("n 20.11.1", calls)
        self.assertIn("corepack enable", calls)
        self.assert_no_injection()

    def test_install_refuses_unsafe_inputs(self):
        for name, value, message in [
            ("WHALERAY_COMMIT_SHA", "main", "not a 40-hex commit"),
            ("WHALERAY_COMMIT_SHA", "f" * 40, "could not fetch commit"),
            ("WHALERAY_REPOSITORY", HOSTILE, "not an owner/name"),
            ("WHALERAY_REPOSITORY", "acme/other", "could not fetch commit"),
            ("WHALERAY_GIT_BASE_URL", "http://evil.example", "not an https base URL"),
            ("WHALERAY_GIT_BASE_URL", "https://github.com/$(touch PWNED)", "not an https base URL"),
            ("WHALERAY_GIT_TOKEN", "", "WHALERAY_GIT_TOKEN"),
            ("WHALERAY_GIT_TOKEN", "ghs_NotTheInstallationToken", "could not fetch commit"),
            ("WHALERAY_ROOT_DIRECTORY", "../outside", "escapes the checkout"),
            ("WHALERAY_ROOT_DIRECTORY", "/etc", "escapes the checkout"),
            ("WHALERAY_OUTPUT_DIRECTORY", "dist/../../x", "escapes the checkout"),
            ("WHALERAY_NODE_VERSION", "20; touch PWNED", "unsupported node version"),
            ("WHALERAY_PACKAGE_MANAGER", "npm;touch PWNED", "unsupported package manager"),
            ("WHALERAY_DEPLOYMENT_ID", "", "WHALERAY_DEPLOYMENT_ID"),
        ]:
            with self.subTest(name=name, value=value):
                result = self.run_phase("install", **{name: value})
                self.assertNotEqual(result.returncode, 0)
                self.assertIn(message, result.stderr)
                self.assertFalse((self.root / "installed.txt").exists())
        self.assert_no_injection()

    def clone(self, **overrides: str) -> tuple[subprocess.CompletedProcess, str]:
        """Runs the clone command in a shell that then prints its environment, as the next
        command of CodeBuild's shell would see it; returns the result and that environment."""
        shutil.rmtree(self.src, ignore_errors=True)
        self.src.mkdir()
        marker = "---environment-after-the-clone---"
        script = phase_commands("install")[0] + f"\nstatus=$?\necho {marker}\nenv\nexit $status\n"
        env = dict(self.env, **overrides)
        result = subprocess.run(["bash", "-c", script], cwd=self.src, env=env, capture_output=True, text=True, check=False)
        stdout, _, after = result.stdout.partition(marker)
        return subprocess.CompletedProcess(result.args, result.returncode, stdout, result.stderr), after

    def assert_token_never_shown(self, result: subprocess.CompletedProcess, environment: str):
        for text in (result.stdout, result.stderr, environment):
            self.assertNotIn(TOKEN, text)
        self.assertNotIn("WHALERAY_GIT_TOKEN", environment, "the token must be unset after the clone")

    def test_the_clone_fetches_exactly_the_pinned_commit_with_the_token_and_then_drops_it(self):
        result, environment = self.clone()
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(git("rev-parse", "HEAD", cwd=self.src), self.env["WHALERAY_COMMIT_SHA"])
        self.assertTrue((self.root / "package.json").is_file())
        self.assertEqual(git("rev-list", "--count", "HEAD", cwd=self.src), "1", "a depth-1 fetch")
        self.assertEqual(git("remote", "get-url", "origin", cwd=self.src), f"{self.server.url}/{REPOSITORY}.git")
        basic = "Basic " + base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()
        self.assertIn(basic, self.server.authorizations, "the token travelled in the Authorization header")
        self.assertNotIn(TOKEN, (self.src / ".git" / "config").read_text(encoding="utf-8"))
        self.assert_token_never_shown(result, environment)

    def test_an_older_commit_is_fetched_by_sha_not_the_branch_tip(self):
        pinned = self.env["WHALERAY_COMMIT_SHA"]
        (self.origin.work / "later.txt").write_text("moved on\n", encoding="utf-8")
        self.publish()
        result, _ = self.clone(WHALERAY_COMMIT_SHA=pinned)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(git("rev-parse", "HEAD", cwd=self.src), pinned)
        self.assertFalse((self.src / "later.txt").exists())

    def test_a_wrong_sha_or_token_fails_the_clone_without_showing_the_token(self):
        for overrides, message in [
            ({"WHALERAY_COMMIT_SHA": "e" * 40}, "could not fetch commit"),
            ({"WHALERAY_COMMIT_SHA": "main"}, "not a 40-hex commit"),
            ({"WHALERAY_GIT_TOKEN": TOKEN[:-1]}, "could not fetch commit"),
        ]:
            with self.subTest(overrides=overrides):
                result, environment = self.clone(**overrides)
                self.assertNotEqual(result.returncode, 0)
                self.assertIn(message, result.stderr)
                self.assert_token_never_shown(result, environment)
                self.assertNotIn(TOKEN[:-1], result.stdout + result.stderr)

    def test_a_checkout_that_is_not_the_requested_commit_fails(self):
        # A stand-in git whose `rev-parse HEAD` names another commit, as a server answering
        # with the wrong objects would leave it.
        real = shutil.which("git")
        stub = self.bin / "git"
        stub.write_text(
            f'#!/bin/sh\nif [ "$1" = rev-parse ]; then echo {"d" * 40}; exit 0; fi\nexec "{real}" "$@"\n',
            encoding="utf-8",
        )
        stub.chmod(0o755)
        result, environment = self.clone()
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("is not the requested", result.stderr)
        self.assert_token_never_shown(result, environment)

    def test_bun_is_installed_from_npm(self):
        result = self.run_phase("install", WHALERAY_PACKAGE_MANAGER="bun")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("npm install --global bun@1", self.calls.read_text(encoding="utf-8"))

    def test_empty_plan_values_are_skipped_not_run(self):
        overrides = {
            "WHALERAY_INSTALL_COMMAND": "",
            "WHALERAY_BUILD_COMMAND": "",
            "WHALERAY_NODE_VERSION": "",
            "WHALERAY_PACKAGE_MANAGER": "",
            "WHALERAY_ROOT_DIRECTORY": "",
            "WHALERAY_OUTPUT_DIRECTORY": "",
        }
        for phase in ("install", "build", "post_build"):
            result = self.run_phase(phase, **overrides)
            self.assertEqual(result.returncode, 0, f"{phase}: {result.stderr}")
        self.assertNotIn("n ", self.calls.read_text(encoding="utf-8"))

    def test_post_build_fails_without_the_output_directory(self):
        self.assertEqual(self.run_phase("install").returncode, 0)
        result = self.run_phase("post_build")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("output directory missing", result.stderr)

    def test_post_build_does_nothing_after_a_failed_build(self):
        result = self.run_phase("post_build", CODEBUILD_BUILD_SUCCEEDING="0")
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_shellcheck_finds_nothing(self):
        shellcheck = shutil.which("shellcheck")
        if shellcheck is None:
            self.skipTest("shellcheck is not installed (apt-get install shellcheck)")
        for phase in BUILDSPEC["phases"]:
            for command in phase_commands(phase):
                result = subprocess.run(
                    [shellcheck, "-s", "bash", "-"], input=command, capture_output=True, text=True, check=False
                )
                self.assertEqual(result.returncode, 0, result.stdout)


class HostilePlans(unittest.TestCase):
    """Plans the worker records for hostile repositories (issue 14), replayed through the
    phases with a stand-in `npx` that logs its arguments: repository names reach the tools as
    single arguments and never run; links out of the checkout are refused."""

    def setUp(self):
        self.phases = BuildspecPhases("test_bun_is_installed_from_npm")
        self.phases.setUp()
        npx = self.phases.bin / "npx"
        npx.write_text(
            f'#!/bin/sh\nfor a in "$@"; do printf "[%s]" "$a" >> "{self.phases.calls}"; done\n'
            f'echo >> "{self.phases.calls}"\nmkdir -p dist\n',
            encoding="utf-8",
        )
        npx.chmod(0o755)
        self.outside = self.phases.tmp / "outside"
        self.outside.mkdir()

    def tearDown(self):
        self.phases.tearDown()

    def test_quoted_repository_names_are_arguments_not_code(self):
        # What detect plans for a Turborepo app in `apps/$(touch PWNED)` and an Nx project in
        # `$(touch PWNED)` with the package name `web;touch PWNED`: each value one shell word.
        for command, argument in [
            ("npx turbo run build --filter={'apps/$(touch PWNED)'}...", "[--filter={apps/$(touch PWNED)}...]"),
            ("npx nx build '$(touch PWNED)'", "[$(touch PWNED)]"),
            ("npx nx build 'web;touch PWNED'\\''`touch PWNED`'", "[web;touch PWNED'`touch PWNED`]"),
        ]:
            with self.subTest(command=command):
                for phase in ("install", "build", "post_build"):
                    result = self.phases.run_phase(phase, WHALERAY_BUILD_COMMAND=command)
                    self.assertEqual(result.returncode, 0, f"{phase}: {result.stderr}")
                self.assertIn(argument, self.phases.calls.read_text(encoding="utf-8"))
        self.phases.assert_no_injection()

    def test_an_unquoted_name_would_have_run(self):
        # The same plan before issue 14: the stand-ins prove the replay can see an injection.
        self.assertEqual(self.phases.run_phase("install").returncode, 0)
        self.phases.run_phase("build", WHALERAY_BUILD_COMMAND="npx nx build web;touch PWNED")
        self.assertTrue((self.phases.root / "PWNED").exists())

    def test_a_root_directory_linking_out_of_the_checkout_is_refused(self):
        shutil.rmtree(self.phases.origin.work / "web app")
        (self.phases.origin.work / "web app").symlink_to(self.outside, target_is_directory=True)
        self.phases.publish()
        result = self.phases.run_phase("install")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("root directory resolves outside the checkout", result.stderr)
        self.assertFalse((self.outside / "installed.txt").exists())

    def test_an_output_directory_linking_out_of_the_checkout_fails_the_build(self):
        (self.phases.origin.work / "web app" / "dist").symlink_to(self.outside, target_is_directory=True)
        self.phases.publish()
        for phase in ("install", "build"):
            self.assertEqual(self.phases.run_phase(phase, WHALERAY_BUILD_COMMAND="true").returncode, 0)
        result = self.phases.run_phase("post_build")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("output directory resolves outside the checkout", result.stderr)


if __name__ == "__main__":
    unittest.main()
