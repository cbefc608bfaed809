"""The CodeBuild buildspec handles user-controlled values safely.

Runs the real infra/buildspec.yml phases with bash (no CodeBuild): `node`, `n` and
`corepack` are stubs, the checkout is a temporary folder, and the WHALERAY_* variables
carry shell metacharacters. Also unit-tests policy_check's quoting lexer.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

import yaml

INFRA = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(INFRA))

import policy_check  # noqa: E402

BUILDSPEC = yaml.safe_load((INFRA / "buildspec.yml").read_text(encoding="utf-8"))
SHA = "0123456789abcdef0123456789abcdef01234567"
# A valid git branch name that is also a shell injection (issue 2).
HOSTILE = 'zzz";touch${IFS}PWNED;#$(touch PWNED)`touch PWNED`'


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
        self.root = self.src / "web app"
        self.root.mkdir(parents=True)
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
            "CODEBUILD_RESOLVED_SOURCE_VERSION": SHA,
            "CODEBUILD_BUILD_SUCCEEDING": "1",
            "WHALERAY_DEPLOYMENT_ID": "01JTESTDEPLOYMENT",
            "WHALERAY_REPOSITORY": HOSTILE,
            "WHALERAY_COMMIT_SHA": SHA,
            "WHALERAY_FRAMEWORK": HOSTILE,
            "WHALERAY_PACKAGE_MANAGER": "pnpm",
            "WHALERAY_ROOT_DIRECTORY": "web app",
            "WHALERAY_INSTALL_COMMAND": "echo installed > installed.txt",
            "WHALERAY_BUILD_COMMAND": "mkdir -p dist && echo ok > dist/index.html",
            "WHALERAY_OUTPUT_DIRECTORY": "dist",
            "WHALERAY_NODE_VERSION": "20.11.1",
        }

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def run_phase(self, phase: str, **overrides: str) -> subprocess.CompletedProcess:
        env = dict(self.env, **overrides)
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
            ("CODEBUILD_RESOLVED_SOURCE_VERSION", "f" * 40, "not the requested commit"),
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
        self.phases.run_phase("build", WHALERAY_BUILD_COMMAND="npx nx build web;touch PWNED")
        self.assertTrue((self.phases.root / "PWNED").exists())

    def test_a_root_directory_linking_out_of_the_checkout_is_refused(self):
        shutil.rmtree(self.phases.root)
        self.phases.root.symlink_to(self.outside, target_is_directory=True)
        result = self.phases.run_phase("install")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("root directory resolves outside the checkout", result.stderr)
        self.assertFalse((self.outside / "installed.txt").exists())

    def test_an_output_directory_linking_out_of_the_checkout_fails_the_build(self):
        (self.phases.root / "dist").symlink_to(self.outside, target_is_directory=True)
        for phase in ("install", "build"):
            self.assertEqual(self.phases.run_phase(phase, WHALERAY_BUILD_COMMAND="true").returncode, 0)
        result = self.phases.run_phase("post_build")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("output directory resolves outside the checkout", result.stderr)


if __name__ == "__main__":
    unittest.main()
