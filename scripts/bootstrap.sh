#!/usr/bin/env bash
# Install what the platform needs on this machine: nginx with njs (when missing and root) and the
# virtual environment from requirements.lock. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}

have_nginx() { command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; }
have_njs() { [ -e /usr/lib/nginx/modules/ngx_http_js_module.so ] || [ -e /usr/lib64/nginx/modules/ngx_http_js_module.so ]; }

if ! have_nginx || ! have_njs; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing nginx and its njs module from Debian's packages"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx libnginx-mod-http-js >/dev/null
    # Brotli for the dashboard's files, when the distribution has it (gzip otherwise).
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      libnginx-mod-http-brotli-filter libnginx-mod-http-brotli-static >/dev/null 2>&1 || true
  else
    echo "nginx with the njs module is required: apt-get install nginx libnginx-mod-http-js" >&2
    exit 1
  fi
fi

if ! command -v uv >/dev/null 2>&1 && [ ! -x "$VENV/bin/uv" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "uv==0.13.8"
fi
UV=$(command -v uv 2>/dev/null || echo "$VENV/bin/uv")
[ -x "$VENV/bin/python" ] || "$UV" venv -q --python 3.11 "$VENV" 2>/dev/null || "$UV" venv -q "$VENV"
"$UV" pip sync -q --python "$VENV/bin/python" requirements.lock
