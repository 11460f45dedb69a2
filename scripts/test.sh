#!/usr/bin/env bash
# The whole test suite: set-up, lint, tests. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/setup-llm.sh   # a real model server for tests/test_real_model.py
.venv/bin/ruff check effbench tests benchmarks sandbox
.venv/bin/ruff format --check effbench tests benchmarks sandbox
set +e
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
status=$?
set -e
if [ "$status" = 5 ]; then
  echo "test.sh: pytest collected no tests" >&2
  exit 1
fi
exit "$status"
