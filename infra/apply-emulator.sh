#!/usr/bin/env bash
# Applies infra/ to the local emulator and writes what Terraform created as env lines.
#
#   infra/apply-emulator.sh .local/stack.env     # apply, then write the env file
#   set -a; . .local/stack.env; set +a           # run whaleray-api / whaleray-worker poll
#   infra/destroy-emulator.sh                    # destroy, stop the emulator
#
# Starts a moto of its own through localstack/emulator.sh (state file
# .local/infra-emulator/emulator.env, a free loopback port), unless AWS_ENDPOINT_URL is set,
# in which case that endpoint is used as it is. Applies with `-var emulator=true` in the
# Terraform workspace `emulator` (never the default workspace's state), using the real
# Lambda zips when scripts/package-lambdas.sh has built them and placeholders otherwise (the
# emulator cannot run functions). Then runs policy_check.py over the applied state, which
# also proves the ARNs built from names in locals.tf equal the created ones.
#
# The env file holds AWS_ENDPOINT_URL, AWS_REGION, AWS_DEFAULT_REGION, AWS_ACCESS_KEY_ID,
# AWS_SECRET_ACCESS_KEY, API_URL and the union of the outputs api_env and worker_env.
set -euo pipefail

# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [[ $# -ne 1 ]]; then
  echo "usage: $0 ENV_FILE" >&2
  exit 2
fi
out_file="$1"
mkdir -p "$(dirname "$out_file")"
out_file="$(cd "$(dirname "$out_file")" && pwd)/$(basename "$out_file")"

WORK="$ROOT/.local/infra-emulator"
STATE="$WORK/emulator.env"
WORKSPACE_STATE="$INFRA/terraform.tfstate.d/emulator/terraform.tfstate"
mkdir -p "$WORK" "$(dirname "$WORKSPACE_STATE")"
SECONDS=0

log "emulator"
previous_pid="$(sed -n 's/^MOTO_PID=//p' "$STATE" 2>/dev/null || true)"
endpoint="$(WHALERAY_EMULATOR_STATE="$STATE" "$ROOT/localstack/emulator.sh" start)"
current_pid="$(sed -n 's/^MOTO_PID=//p' "$STATE")"
set -a
# shellcheck disable=SC1090
. "$STATE"
set +a
if [[ -n "$current_pid" && "$current_pid" != "$previous_pid" && -f "$WORKSPACE_STATE" ]]; then
  # A new, empty moto: the workspace state describes resources that no longer exist.
  echo "fresh emulator: discarding the stale emulator workspace state" >&2
  rm -f "$WORKSPACE_STATE" "$WORKSPACE_STATE.backup"
fi
t_emulator=$SECONDS

log "terraform init"
setup_terraformrc
tf init -backend=false -input=false >"$WORK/init.log" || { cat "$WORK/init.log" >&2; exit 1; }
export TF_WORKSPACE=emulator

zip_args=()
for fn in api worker; do
  zip="$ROOT/target/lambda/whaleray-$fn/bootstrap.zip"
  if [[ -f "$zip" ]]; then
    echo "whaleray-$fn: $zip" >&2
  else
    zip="$(placeholder_zip)"
    echo "whaleray-$fn: no build yet, placeholder zip (scripts/package-lambdas.sh builds the real one)" >&2
  fi
  zip_args+=(-var "${fn}_zip_path=$zip")
done

log "terraform apply (emulator=true, workspace emulator)"
t0=$SECONDS
tf apply -no-color -auto-approve -input=false -var-file=test.tfvars -var emulator=true \
  -var "aws_endpoint=$endpoint" "${zip_args[@]}" >"$WORK/apply.log" 2>&1 ||
  { tail -n 60 "$WORK/apply.log" >&2; exit 1; }
grep -E '^Apply complete' "$WORK/apply.log"
t_apply=$((SECONDS - t0))

log "policy_check.py over the applied state"
tf show -json >"$WORK/state.json"
py=python3
[[ -x "$ROOT/.venv-tools/bin/python" ]] && py="$ROOT/.venv-tools/bin/python" # has PyYAML
"$py" "$INFRA/policy_check.py" --emulator "$WORK/state.json"

log "env file"
tf output -json >"$WORK/outputs.json"
python3 - "$WORK/outputs.json" "$out_file" <<'PY'
import json, os, sys

outputs = json.load(open(sys.argv[1], encoding="utf-8"))
env = {k: os.environ[k] for k in ("AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
env["API_URL"] = outputs["api_url"]["value"]
for name in ("api_env", "worker_env"):
    for key, value in outputs[name]["value"].items():
        if key in env and env[key] != value:
            sys.exit(f"{key} differs between the API and worker environments: {env[key]!r} vs {value!r}")
        env[key] = value
for key, value in env.items():
    if "\n" in value or "'" in value:
        sys.exit(f"{key} has a value that cannot be written as an env line")
with open(sys.argv[2], "w", encoding="utf-8") as f:
    f.writelines(f"{k}={v}\n" for k, v in env.items())
PY
cat "$out_file"

printf '\napplied to %s in %d s (emulator %d s, apply %d s); env written to %s\n' \
  "$endpoint" "$SECONDS" "$t_emulator" "$t_apply" "$out_file"
echo "destroy with: infra/destroy-emulator.sh"
