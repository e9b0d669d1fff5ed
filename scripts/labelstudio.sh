#!/usr/bin/env bash
# Label Studio helper for the review/feedback loop (issue #6).
#
# Why a separate venv: Label Studio 1.23.2 pins Django, pytz<2023, pyarrow<25, ... which clash with the
# project venv (MLflow, torch). The project venv only needs label-studio-sdk==2.1.2 (the client).
#
# Usage:
#   scripts/labelstudio.sh install              # create .venv-ls and pip install label-studio==1.23.2
#   scripts/labelstudio.sh template DIR         # boot once on a fresh data dir (migrations), then SIGTERM
#   scripts/labelstudio.sh start DIR PORT       # start a server on 127.0.0.1:PORT using data dir DIR
#   scripts/labelstudio.sh stop DIR             # stop the server started by `start` (PID file in DIR)
#   scripts/labelstudio.sh env                  # print the env vars (for CI logs), token included (not secret: CI only)
#
# Env overrides: LS_VENV (default <repo>/.venv-ls), LS_TOKEN (legacy API token of the admin user),
# LS_HEALTH_TIMEOUT (seconds, default 180).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LS_VENV="${LS_VENV:-$ROOT/.venv-ls}"
LS_BIN="$LS_VENV/bin/label-studio"
LS_VERSION="1.23.2"
LS_TOKEN="${LS_TOKEN:-ci-legacy-token-0123456789abcdef}"
LS_USER="${LS_USER:-admin@example.com}"
LS_PASSWORD="${LS_PASSWORD:-Adm1n-pass-123}"
LS_HEALTH_TIMEOUT="${LS_HEALTH_TIMEOUT:-180}"

die() { echo "labelstudio.sh: $*" >&2; exit 1; }

ls_env() {
  # The legacy-token flag and the user token only take effect when the organisation/user is CREATED
  # (first start on a fresh data dir); setting them later does not help. Analytics, version check and
  # Sentry are disabled so the server makes no outbound calls.
  local data="$1"
  export LABEL_STUDIO_BASE_DATA_DIR="$data" DJANGO_DB=sqlite \
    LABEL_STUDIO_USERNAME="$LS_USER" LABEL_STUDIO_PASSWORD="$LS_PASSWORD" \
    LABEL_STUDIO_USER_TOKEN="$LS_TOKEN" \
    LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN=true LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK=true \
    LABEL_STUDIO_COLLECT_ANALYTICS=false LABEL_STUDIO_LATEST_VERSION_CHECK=false \
    SENTRY_DSN= FRONTEND_SENTRY_DSN= XDG_CONFIG_HOME="$data/.lsconf"
  # Label Studio's get_env also reads these bare names; strip them so a CI runner's USERNAME cannot leak in.
  unset USERNAME PASSWORD HOST PORT || true
}

wait_health() {
  local port="$1" pid="$2" t0
  t0=$(date +%s)
  while true; do
    if curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1; then return 0; fi
    kill -0 "$pid" 2>/dev/null || die "Label Studio (pid $pid) exited before /health on port $port answered; see its log"
    if (( $(date +%s) - t0 > LS_HEALTH_TIMEOUT )); then
      die "Label Studio not healthy on 127.0.0.1:$port after ${LS_HEALTH_TIMEOUT}s"
    fi
    sleep 1
  done
}

free_port() { "$LS_VENV/bin/python" -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

cmd="${1:-}"; shift || true
case "$cmd" in
  install)
    if [[ -x "$LS_BIN" ]] && "$LS_VENV/bin/pip" show label-studio 2>/dev/null | grep -q "^Version: $LS_VERSION$"; then
      echo "label-studio $LS_VERSION already installed in $LS_VENV"; exit 0
    fi
    python3 -m venv "$LS_VENV"
    "$LS_VENV/bin/pip" install --no-cache-dir -q "label-studio==$LS_VERSION"
    echo "installed label-studio $LS_VERSION into $LS_VENV"
    ;;
  template)
    dir="${1:?usage: template DIR}"
    [[ -x "$LS_BIN" ]] || die "$LS_BIN missing; run: scripts/labelstudio.sh install"
    [[ -e "$dir" && -n "$(ls -A "$dir" 2>/dev/null)" ]] && die "template dir $dir exists and is not empty"
    mkdir -p "$dir"; dir="$(cd "$dir" && pwd)"
    port="$(free_port)"
    ( ls_env "$dir"; exec "$LS_BIN" start --no-browser --internal-host 127.0.0.1 --port "$port" ) \
      >"$dir/template-build.log" 2>&1 &
    pid=$!
    wait_health "$port" "$pid"
    kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
    echo "template ready in $dir (pre-migrated; legacy token enabled)"
    ;;
  start)
    dir="${1:?usage: start DIR PORT}"; port="${2:?usage: start DIR PORT}"
    [[ -x "$LS_BIN" ]] || die "$LS_BIN missing; run: scripts/labelstudio.sh install"
    mkdir -p "$dir"; dir="$(cd "$dir" && pwd)"
    [[ -f "$dir/ls.pid" ]] && kill -0 "$(cat "$dir/ls.pid")" 2>/dev/null && die "already running (pid $(cat "$dir/ls.pid"))"
    ( ls_env "$dir"; exec "$LS_BIN" start --no-browser --internal-host 127.0.0.1 --port "$port" ) \
      >"$dir/server.log" 2>&1 &
    pid=$!
    echo "$pid" >"$dir/ls.pid"
    wait_health "$port" "$pid"
    echo "Label Studio up: http://127.0.0.1:$port (pid $pid, token via LS_TOKEN)"
    ;;
  stop)
    dir="${1:?usage: stop DIR}"
    [[ -f "$dir/ls.pid" ]] || die "no $dir/ls.pid; nothing to stop"
    pid="$(cat "$dir/ls.pid")"
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid"
      for _ in $(seq 1 15); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
      kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    fi
    rm -f "$dir/ls.pid"; echo "stopped pid $pid"
    ;;
  env)
    echo "LS_BIN=$LS_BIN"; echo "LS_TOKEN=$LS_TOKEN"; echo "LS_USER=$LS_USER"
    ;;
  *)
    sed -n '2,16p' "$0"; exit 2
    ;;
esac
