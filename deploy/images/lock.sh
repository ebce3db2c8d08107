#!/usr/bin/env bash
# Compile each image's requirements (deploy/images/<role>.in) with exactly the versions of
# requirements.lock, so an image holds its own service's dependencies and nothing newer or else.
# The project's own packages are left out: the Dockerfile installs them from the source tree.
set -euo pipefail
cd "$(dirname "$0")/../.."
UV=${UV:-$(command -v uv 2>/dev/null || echo .venv/bin/uv)}
pins=$(mktemp)
trap 'rm -f "$pins"' EXIT
grep -E '^[a-z0-9]' requirements.lock | sed -E 's/ .*//' >"$pins"
for input in deploy/images/*.in; do
  "$UV" pip compile "$input" --constraint "$pins" --generate-hashes --no-emit-index-url \
    --python-version 3.11 --no-header --no-annotate --quiet \
    --no-emit-package chiiki-shared --no-emit-package chiiki-auth --no-emit-package chiiki-stats \
    --no-emit-package chiiki-ingest --no-emit-package chiiki-analytics \
    --no-emit-package chiiki-devstack \
    --output-file "${input%.in}.lock"
done
