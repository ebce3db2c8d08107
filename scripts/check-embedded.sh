#!/usr/bin/env bash
# `make up` as on a fresh machine, for CI: embedded PostgreSQL and Redis (EMBEDDED_SERVERS=1),
# nothing on PATH but the system's (uv exists only inside .venv), a run folder and ports of its
# own. Passes when /api/health answers ok; always ends with `make down` and removes its run folder
# (and with it the embedded servers' data). Bounded by CHECK_EMBEDDED_TIMEOUT seconds (240).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
TIMEOUT=${CHECK_EMBEDDED_TIMEOUT:-240}

RUN_DIR=$(mktemp -d /tmp/chiiki-embedded-XXXXXX)
# The embedded PostgreSQL runs as nobody when we are root: it must get through the run folder.
chmod 711 "$RUN_DIR"
# Nine distinct free ports: gateway, four services, replay, PostgreSQL, Redis (and one spare).
read -r GATEWAY AUTH STATS INGEST ANALYTICS REPLAY PG REDIS _ < <("$VENV/bin/python" -c '
import socket
socks = [socket.socket() for _ in range(9)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))')

# How this machine reaches the package registries (a proxy, its CA) is the system's, so it stays.
registry_env=()
for name in SSL_CERT_FILE SSL_CERT_DIR PIP_CERT PIP_INDEX_URL UV_INDEX_URL UV_NATIVE_TLS \
  HTTPS_PROXY HTTP_PROXY NO_PROXY https_proxy http_proxy no_proxy; do
  if [ -n "${!name:-}" ]; then registry_env+=("$name=${!name}"); fi
done
stack_env=(
  env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$HOME" "${registry_env[@]}"
  EMBEDDED_SERVERS=1 RUN_DIR="$RUN_DIR" GATEWAY_PORT="$GATEWAY" AUTH_PORT="$AUTH"
  STATS_PORT="$STATS" INGEST_PORT="$INGEST" ANALYTICS_PORT="$ANALYTICS"
  ESTAT_REPLAY_PORT="$REPLAY" EMBEDDED_POSTGRES_PORT="$PG" EMBEDDED_REDIS_PORT="$REDIS"
  START_TIMEOUT_SECONDS="$TIMEOUT"
)
cleanup() {
  "${stack_env[@]}" make --no-print-directory down || true
  rm -rf "$RUN_DIR"
}
trap cleanup EXIT

started=$(date +%s)
"${stack_env[@]}" timeout "$TIMEOUT" make --no-print-directory up
"$VENV/bin/python" - "http://127.0.0.1:$GATEWAY/api/health" <<'PY'
import sys

import httpx

health = httpx.get(sys.argv[1], timeout=10).json()
if health.get("status") != "ok":
    sys.exit(f"embedded stack is not healthy: {health}")
PY
echo "embedded stack healthy after $(($(date +%s) - started))s"
