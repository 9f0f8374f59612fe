#!/usr/bin/env bash
# Set up and run Zona on this machine: a virtualenv in .venv, a SQLite database under ./data,
# the demo data, then the server on http://127.0.0.1:8000 (Ctrl+C stops it).
# Running it again keeps the data (migrations and demo data are idempotent).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e .
.venv/bin/zona migrate
.venv/bin/zona demo
echo
echo "Open http://127.0.0.1:${ZONA_PORT:-8000}/ and sign in as 'koordinator' with password 'zona-demo-2026'."
exec .venv/bin/zona serve --host "${ZONA_HOST:-127.0.0.1}" --port "${ZONA_PORT:-8000}"
