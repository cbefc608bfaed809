#!/usr/bin/env bash
# Builds both Lambda functions for arm64 (Graviton) and writes the zips Terraform deploys:
#   target/lambda/whaleray-api/bootstrap.zip
#   target/lambda/whaleray-worker/bootstrap.zip
#
# cargo-lambda comes from PyPI as a prebuilt binary (with zig for cross-compiling) into the
# git-ignored .venv-tools; `cargo install cargo-lambda` would compile ~680 crates. The
# release profile in Cargo.toml (thin LTO, one codegen unit, strip, panic = abort) applies.
# A cold release build of the workspace takes minutes: run it when you mean to deploy.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv-tools"
CARGO_LAMBDA_VERSION="1.9.2"
TARGET="aarch64-unknown-linux-gnu"

if [[ ! -x "$VENV/bin/cargo-lambda" ]]; then
  echo "installing cargo-lambda==$CARGO_LAMBDA_VERSION into $VENV" >&2
  [[ -x "$VENV/bin/python" ]] || python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "cargo-lambda==$CARGO_LAMBDA_VERSION"
fi
[[ -f "$VENV/.gitignore" ]] || echo '*' >"$VENV/.gitignore"
export PATH="$VENV/bin:$PATH"

if command -v rustup >/dev/null; then
  # rust-toolchain.toml picks the toolchain; add the arm64 standard library to it.
  (cd "$ROOT" && rustup target add "$TARGET")
fi

cd "$ROOT"
cargo lambda build --release --arm64 --output-format zip \
  --bin whaleray-api --bin whaleray-worker

for bin in whaleray-api whaleray-worker; do
  zip="$ROOT/target/lambda/$bin/bootstrap.zip"
  if [[ ! -s "$zip" ]]; then
    echo "missing $zip after the build" >&2
    exit 1
  fi
  printf '%s  %s\n' "$(du -h "$zip" | cut -f1)" "${zip#"$ROOT"/}"
done
