#!/usr/bin/env bash
# The whole test suite: set-up, lint, tests. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
  echo "usage: bash scripts/test.sh [OPTIONS and TESTS of pytest]"
  echo "  the whole test suite, as the CI runs it: the set-up (scripts/setup.sh: .venv, about 2 GB; and"
  echo "  scripts/setup-llm.sh: llama-cpp-python built from source into .venv-llm, several minutes the"
  echo "  first time), ruff check and format --check, then pytest -q (with the reasons of skips and the 15 slowest tests) with the arguments given"
  echo "  e.g. bash scripts/test.sh tests/test_scoring.py -k pass_at_k"
  exit 0
fi
bash scripts/setup.sh
bash scripts/setup-llm.sh   # a real model server for tests/test_real_model.py
.venv/bin/ruff check effbench tests benchmarks sandbox
.venv/bin/ruff format --check effbench tests benchmarks sandbox
set +e
.venv/bin/python -m pytest -q -p no:cacheprovider -rs --durations=15 "$@"
status=$?
set -e
if [ "$status" = 5 ]; then
  echo "test.sh: pytest collected no tests" >&2
  exit 1
fi
exit "$status"
