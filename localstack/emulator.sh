#!/usr/bin/env bash
# Starts, stops and reports on the local AWS emulator (moto in server mode).
#
# Usage:
#   localstack/emulator.sh start    # install moto if missing, start it, print the endpoint
#   localstack/emulator.sh stop     # stop the emulator this script started
#   localstack/emulator.sh status   # exit 0 when the recorded emulator answers
#   localstack/emulator.sh env      # print `export K=V` lines for the recorded emulator
#   source localstack/emulator.sh start   # same as start, and exports the AWS_* variables
#
# Environment:
#   AWS_ENDPOINT_URL         if already set, `start` starts nothing and records this endpoint
#   MOTO_PORT                port to listen on (default: a free loopback port)
#   WHALERAY_EMULATOR_STATE  state file (default: <repo>/.local/emulator.env); scripts that
#                            need a private emulator (infra/check.sh) point this elsewhere
#
# The state file holds AWS_ENDPOINT_URL, AWS_REGION, AWS_DEFAULT_REGION, AWS_ACCESS_KEY_ID,
# AWS_SECRET_ACCESS_KEY, MOTO_PID, MOTO_PORT and MOTO_LOG as KEY=value lines.

_whaleray_emulator_main() {
  set -euo pipefail

  local script_dir root state local_dir venv moto_version
  script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
  root="$(cd "$script_dir/.." && pwd)"
  local_dir="$root/.local"
  state="${WHALERAY_EMULATOR_STATE:-$local_dir/emulator.env}"
  venv="$root/.venv-emulator"
  moto_version="5.2.5"

  _log() { printf 'emulator: %s\n' "$*" >&2; }

  # Reads one KEY from the state file (empty when absent).
  _state_get() {
    [[ -f "$state" ]] || return 0
    sed -n "s/^$1=//p" "$state" | tail -n 1
  }

  _answers() {
    curl -fsS -o /dev/null --max-time 2 "$1/moto-api/" 2>/dev/null
  }

  # True when PID is a live moto_server process (guards against a recycled pid).
  _is_moto() {
    local pid="$1"
    [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q moto_server
  }

  _ensure_venv() {
    mkdir -p "$local_dir"
    # Serialise concurrent first starts so two scripts do not build the venv at once.
    exec 9>"$local_dir/venv-emulator.lock"
    flock 9
    if [[ ! -x "$venv/bin/moto_server" ]]; then
      _log "installing moto[server]==$moto_version into $venv"
      python3 -m venv "$venv"
      "$venv/bin/pip" install -q --disable-pip-version-check "moto[server]==$moto_version"
    fi
    flock -u 9
    exec 9>&-
  }

  # True when process PID itself listens on loopback PORT: another server answering on the
  # port must not pass for the emulator just started.
  _owns_port() {
    python3 - "$1" "$2" <<'PY'
import os, sys
pid, port = sys.argv[1], int(sys.argv[2])
inodes = set()
for fd in os.listdir(f"/proc/{pid}/fd"):
    try:
        target = os.readlink(f"/proc/{pid}/fd/{fd}")
    except OSError:
        continue
    if target.startswith("socket:["):
        inodes.add(target[8:-1])
for table in ("/proc/net/tcp", "/proc/net/tcp6"):
    try:
        rows = open(table).read().splitlines()[1:]
    except OSError:
        continue
    for row in rows:
        cols = row.split()
        if int(cols[1].rsplit(":", 1)[1], 16) == port and cols[3] == "0A" and cols[9] in inodes:
            sys.exit(0)
sys.exit(1)
PY
  }

  _free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
  }

  _write_state() {
    # $1 endpoint, $2 pid, $3 port, $4 log
    mkdir -p "$(dirname "$state")"
    local tmp="$state.tmp.$$"
    {
      printf 'AWS_ENDPOINT_URL=%s\n' "$1"
      printf 'AWS_REGION=%s\n' "${AWS_REGION:-us-east-1}"
      printf 'AWS_DEFAULT_REGION=%s\n' "${AWS_REGION:-${AWS_DEFAULT_REGION:-us-east-1}}"
      printf 'AWS_ACCESS_KEY_ID=%s\n' "${AWS_ACCESS_KEY_ID:-test}"
      printf 'AWS_SECRET_ACCESS_KEY=%s\n' "${AWS_SECRET_ACCESS_KEY:-test}"
      printf 'MOTO_PID=%s\n' "$2"
      printf 'MOTO_PORT=%s\n' "$3"
      printf 'MOTO_LOG=%s\n' "$4"
    } >"$tmp"
    mv "$tmp" "$state"
  }

  _start() {
    # A user-provided endpoint (LocalStack, a shared moto) wins: start nothing.
    if [[ -n "${AWS_ENDPOINT_URL:-}" ]]; then
      _write_state "$AWS_ENDPOINT_URL" "" "" ""
      _log "AWS_ENDPOINT_URL is set; using it and starting nothing"
      printf '%s\n' "$AWS_ENDPOINT_URL"
      return 0
    fi

    # Reuse the emulator this state file already records, if it still answers.
    local old_pid old_endpoint
    old_pid="$(_state_get MOTO_PID)"
    old_endpoint="$(_state_get AWS_ENDPOINT_URL)"
    if _is_moto "$old_pid" && _answers "$old_endpoint"; then
      _log "already running (pid $old_pid)"
      printf '%s\n' "$old_endpoint"
      return 0
    fi

    _ensure_venv

    local attempt port endpoint log pid deadline
    for attempt in 1 2 3; do
      port="${MOTO_PORT:-$(_free_port)}"
      endpoint="http://127.0.0.1:$port"
      log="$local_dir/moto-$port.log"
      MOTO_IAM_LOAD_MANAGED_POLICIES=true \
        nohup "$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$log" 2>&1 </dev/null &
      pid=$!
      deadline=$((SECONDS + 30))
      while ((SECONDS < deadline)); do
        if ! kill -0 "$pid" 2>/dev/null; then
          break
        fi
        if _answers "$endpoint" && _owns_port "$pid" "$port"; then
          _write_state "$endpoint" "$pid" "$port" "$log"
          _log "moto $moto_version ready on $endpoint (pid $pid, log $log)"
          printf '%s\n' "$endpoint"
          return 0
        fi
        sleep 0.1
      done
      # Died (port taken between the probe and the bind) or never answered: try again.
      kill "$pid" 2>/dev/null || true
      _log "attempt $attempt on port $port failed; last log lines:"
      tail -n 5 "$log" >&2 || true
      if [[ -n "${MOTO_PORT:-}" ]]; then
        break
      fi
    done
    _log "could not start moto"
    return 1
  }

  _stop() {
    local pid deadline
    pid="$(_state_get MOTO_PID)"
    if [[ ! -f "$state" ]]; then
      _log "not running (no $state)"
      return 0
    fi
    if [[ -z "$pid" ]]; then
      _log "the recorded endpoint was not started here; nothing to stop"
    elif _is_moto "$pid"; then
      kill "$pid"
      deadline=$((SECONDS + 10))
      while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
        sleep 0.1
      done
      if kill -0 "$pid" 2>/dev/null; then
        kill -9 "$pid" 2>/dev/null || true
      fi
      _log "stopped pid $pid"
    else
      _log "pid $pid is no longer a moto_server; cleaning up the state file"
    fi
    rm -f "$state"
  }

  _status() {
    local pid endpoint
    pid="$(_state_get MOTO_PID)"
    endpoint="$(_state_get AWS_ENDPOINT_URL)"
    if [[ -z "$endpoint" ]]; then
      echo "emulator: not running"
      return 1
    fi
    if _answers "$endpoint" || { [[ -z "$pid" ]] && curl -sS -o /dev/null --max-time 2 "$endpoint"; }; then
      echo "emulator: running at $endpoint${pid:+ (pid $pid)}"
      return 0
    fi
    echo "emulator: recorded at $endpoint but not answering"
    return 1
  }

  _env() {
    [[ -f "$state" ]] || { _log "not running (no $state)"; return 1; }
    sed -n 's/^\([A-Z_][A-Z0-9_]*\)=\(.*\)$/export \1="\2"/p' "$state"
  }

  case "${1:-}" in
    start) _start ;;
    stop) _stop ;;
    status) _status ;;
    env) _env ;;
    *)
      echo "usage: $(basename "${BASH_SOURCE[0]}") start|stop|status|env" >&2
      return 2
      ;;
  esac
}

if [[ "${BASH_SOURCE[0]}" != "$0" ]]; then
  # Sourced: run in a subshell so `set -euo pipefail` and the helpers stay out of the
  # caller's shell, then export (or clear) the recorded variables there.
  _whaleray_state="${WHALERAY_EMULATOR_STATE:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.local/emulator.env}"
  _whaleray_ours="$(sed -n 's/^MOTO_PID=//p' "$_whaleray_state" 2>/dev/null || true)"
  if (_whaleray_emulator_main "$@"); then
    _whaleray_rc=0
    case "${1:-}" in
      start)
        # Only the AWS_* variables: an exported MOTO_PORT would make every emulator that a
        # child script starts try this one's port.
        while IFS='=' read -r _whaleray_key _whaleray_value; do
          case "$_whaleray_key" in
            AWS_*) export "$_whaleray_key=$_whaleray_value" ;;
          esac
        done <"$_whaleray_state"
        unset _whaleray_key _whaleray_value
        ;;
      stop)
        # Clear only what this script exported: a user's own endpoint stays.
        if [[ -n "$_whaleray_ours" ]]; then
          unset AWS_ENDPOINT_URL MOTO_PID MOTO_PORT MOTO_LOG
        fi
        ;;
    esac
  else
    _whaleray_rc=$?
  fi
  unset -f _whaleray_emulator_main
  unset _whaleray_state _whaleray_ours
  # shellcheck disable=SC2317
  return "$_whaleray_rc" 2>/dev/null || exit "$_whaleray_rc"
else
  _whaleray_emulator_main "$@"
fi
