#!/usr/bin/env bash
# One command: install kbtui with its test dependencies into .venv (created if missing), then run the tests.
# Extra arguments go to pytest, e.g.  scripts/test.sh -k store
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'
exec .venv/bin/python -m pytest "$@"
