#!/usr/bin/env sh
# Container entry: wait for the database, migrate to head, then serve.
set -eu
tries=0
until zona check >/dev/null 2>&1 || [ "$tries" -ge 30 ]; do
  # `check` also fails before the first migration; migrate decides below.
  if zona migrate >/dev/null 2>&1; then break; fi
  tries=$((tries + 1))
  echo "waiting for the database ($tries)..."
  sleep 2
done
zona migrate
exec zona serve --host 0.0.0.0 --port "${ZONA_PORT:-8000}" --workers "${ZONA_WORKERS:-2}"
