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
HOST=${ZONA_HOST:-127.0.0.1}
PORT=${ZONA_PORT:-8000}
# Links in QR codes and posters come from ZONA_BASE_URL only: point it at where this server
# answers, unless it is already set (e.g. the public address behind a proxy).
case "$HOST" in
  0.0.0.0|::) SHOWN=127.0.0.1 ;;
  *:*) SHOWN="[$HOST]" ;;
  *) SHOWN=$HOST ;;
esac
export ZONA_BASE_URL=${ZONA_BASE_URL:-http://$SHOWN:$PORT}
echo
echo "Open $ZONA_BASE_URL/ and sign in as 'koordinator' with password 'zona-demo-2026'."
exec .venv/bin/zona serve --host "$HOST" --port "$PORT"
