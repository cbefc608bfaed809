#!/usr/bin/env bash
# Destroys what infra/apply-emulator.sh created, then stops the emulator it started.
#
#   infra/destroy-emulator.sh                  # destroy and stop the emulator
#   infra/destroy-emulator.sh --keep-emulator  # destroy only
set -euo pipefail

# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

keep_emulator=false
case "${1:-}" in
  "") ;;
  --keep-emulator) keep_emulator=true ;;
  *)
    echo "usage: $0 [--keep-emulator]" >&2
    exit 2
    ;;
esac

WORK="$ROOT/.local/infra-emulator"
STATE="$WORK/emulator.env"
WORKSPACE_STATE="$INFRA/terraform.tfstate.d/emulator/terraform.tfstate"
SECONDS=0

if [[ ! -f "$STATE" ]]; then
  echo "no emulator recorded in $STATE: nothing to destroy" >&2
  exit 0
fi
set -a
# shellcheck disable=SC1090
. "$STATE"
set +a

if ! WHALERAY_EMULATOR_STATE="$STATE" "$ROOT/localstack/emulator.sh" status >/dev/null; then
  echo "the recorded emulator is gone (its state went with it); dropping the workspace state" >&2
  rm -f "$WORKSPACE_STATE" "$WORKSPACE_STATE.backup"
elif [[ -f "$WORKSPACE_STATE" ]]; then
  log "terraform destroy (emulator=true, workspace emulator)"
  setup_terraformrc
  tf init -backend=false -input=false >"$WORK/init.log" || { cat "$WORK/init.log" >&2; exit 1; }
  zip="$(placeholder_zip)"
  TF_WORKSPACE=emulator tf destroy -no-color -auto-approve -input=false -var-file=test.tfvars -var emulator=true \
    -var "aws_endpoint=$AWS_ENDPOINT_URL" -var "api_zip_path=$zip" -var "worker_zip_path=$zip" \
    >"$WORK/destroy.log" 2>&1 || { tail -n 60 "$WORK/destroy.log" >&2; exit 1; }
  grep -E '^Destroy complete' "$WORK/destroy.log"
fi
t_destroy=$SECONDS

if [[ "$keep_emulator" == false ]]; then
  WHALERAY_EMULATOR_STATE="$STATE" "$ROOT/localstack/emulator.sh" stop
  # The emulator's memory is gone, so its workspace state has nothing left to describe.
  rm -f "$WORKSPACE_STATE" "$WORKSPACE_STATE.backup"
fi
printf 'destroyed in %d s (total %d s)\n' "$t_destroy" "$SECONDS"
