# shellcheck shell=bash
# Shared by check.sh, apply-emulator.sh and destroy-emulator.sh (sourced, not run).
# Sets ROOT and INFRA, writes the git-ignored infra/terraformrc and defines `tf`.

INFRA="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$INFRA/.." && pwd)"
PROVIDER_VERSION="5.100.0"
export CHECKPOINT_DISABLE=1 # no version check calls home

log() { printf '\n==> %s\n' "$*" >&2; }

# Echoes the filesystem mirror root: the folder holding registry.terraform.io/hashicorp/aws
# with the pinned version. TF_PLUGIN_MIRROR wins; then the usual places; then a search.
find_mirror() {
  local candidate found
  for candidate in "${TF_PLUGIN_MIRROR:-}" /opt/tf-plugins "$HOME/.terraform.d/plugins" \
    /usr/local/share/terraform/plugins /usr/share/terraform/plugins; do
    if [[ -n "$candidate" && -d "$candidate/registry.terraform.io/hashicorp/aws/$PROVIDER_VERSION" ]]; then
      printf '%s\n' "$candidate"
      return 0
    fi
  done
  found="$(find / -xdev -maxdepth 7 -type d -path "*/registry.terraform.io/hashicorp/aws/$PROVIDER_VERSION" \
    -not -path '/proc/*' 2>/dev/null | head -n 1 || true)"
  if [[ -n "$found" ]]; then
    # .../<root>/registry.terraform.io/hashicorp/aws/<version> -> <root>
    (cd "$found/../../../.." && pwd)
    return 0
  fi
  return 1
}

# Writes infra/terraformrc and exports TF_CLI_CONFIG_FILE for this process only. Without a
# mirror (a workstation with registry access), Terraform installs from the registry as usual.
setup_terraformrc() {
  local mirror
  if mirror="$(find_mirror)"; then
    cat >"$INFRA/terraformrc" <<RC
# Written by infra/lib.sh: install hashicorp providers from the local filesystem mirror.
provider_installation {
  filesystem_mirror {
    path    = "$mirror"
    include = ["registry.terraform.io/hashicorp/*"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/*"]
  }
}
RC
    export TF_CLI_CONFIG_FILE="$INFRA/terraformrc"
    echo "terraform: provider mirror $mirror" >&2
  else
    echo "terraform: no local provider mirror found; using the registry" >&2
  fi
}

tf() {
  terraform -chdir="$INFRA" "$@"
}

# Placeholder Lambda zips (a `bootstrap` that exits 1) for plans and the emulator, where the
# functions never run. Echoes the path of the zip.
placeholder_zip() {
  local out="$ROOT/.local/infra/placeholder-bootstrap.zip"
  mkdir -p "$(dirname "$out")"
  if [[ ! -f "$out" ]]; then
    python3 - "$out" <<'PY'
import sys, zipfile
info = zipfile.ZipInfo("bootstrap", date_time=(2020, 1, 1, 0, 0, 0))
info.external_attr = 0o755 << 16
with zipfile.ZipFile(sys.argv[1], "w") as zf:
    zf.writestr(info, "#!/bin/sh\necho 'placeholder: run scripts/package-lambdas.sh' >&2\nexit 1\n")
PY
  fi
  printf '%s\n' "$out"
}
