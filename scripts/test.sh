#!/usr/bin/env bash
# Install Zona with its test dependencies into .venv and run the whole test suite.
# SQLite by default; PostgreSQL with
#   ZONA_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres
# (each run creates and drops its own database on that server).
# Browser tests use Debian's Chromium at /usr/bin/chromium (apt-get install chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
# The OpenID provider of the SSO tests (Node.js, tests/oidc/package-lock.json); without npm
# those tests are skipped locally (CI installs it in .ci/run and requires them).
if command -v npm >/dev/null && [ ! -d tests/oidc/node_modules/oidc-provider ]; then
  npm ci --prefix tests/oidc --no-audit --no-fund --loglevel=error
fi
exec .venv/bin/python -m pytest "$@"
