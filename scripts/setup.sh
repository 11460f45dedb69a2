#!/usr/bin/env bash
# Set up effbench on a fresh Debian machine with Python 3.11: system packages (valgrind, gcc for the
# sandbox's allocator sandbox/effalloc.c, chromium and chromium-driver for the leaderboard's browser
# test, and python3-venv where the interpreter lacks venv), a virtual environment in .venv, the
# package, and the allocator built into the cache folder.
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."
# The interpreter .venv is made from is the one candidates run on. Default: Debian's own
# /usr/bin/python3.11 where it is there (stripped of debug information: under the valgrind meter a
# test costs the sandbox about a third less CPU than on a build with debug line tables such as
# pyenv's; docs/performance.md "Debian's interpreter"), else `python3` on the PATH. PYTHON=... chooses.
if [ -z "${PYTHON:-}" ]; then
  if [ -x /usr/bin/python3.11 ] && /usr/bin/python3.11 -c 'import sys; assert sys.version_info[:2] == (3, 11)' 2>/dev/null; then
    PYTHON=/usr/bin/python3.11
  else
    PYTHON=python3
  fi
fi

need_apt=()
command -v valgrind >/dev/null 2>&1 || need_apt+=(valgrind)
command -v unshare >/dev/null 2>&1 || need_apt+=(util-linux)
# the measured interpreter's allocator (effbench/sandboxes/allocator.py) is compiled on this machine
command -v gcc >/dev/null 2>&1 || command -v cc >/dev/null 2>&1 || need_apt+=(gcc libc6-dev)
"$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1 || need_apt+=(python3-venv)
# the leaderboard's browser test (tests/test_leaderboard_browser.py): Debian's chromium, driven by Selenium
command -v chromedriver >/dev/null 2>&1 || need_apt+=(chromium chromium-driver)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing ${need_apt[*]} with apt-get" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "setup: please install: sudo apt-get install ${need_apt[*]} (continuing; valgrind, gcc and chromium are optional)" >&2
  fi
fi

if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
else
  made_from=$(.venv/bin/python -c 'import os, sys; print(os.path.realpath(sys.executable))')
  wanted=$("$PYTHON" -c 'import os, sys; print(os.path.realpath(sys.executable))' 2>/dev/null || echo "$PYTHON")
  if [ "$made_from" != "$wanted" ]; then
    echo "setup: .venv was made from $made_from, not $wanted; keeping it (candidates run on it; remove .venv to remake it)" >&2
  fi
fi
stamp=.venv/.effbench-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing effbench and its dev, rl (torch's CPU build, TRL) and ray extras into .venv from $PYTHON (about 2 GB; a few minutes the first time)" >&2
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q -e '.[dev]'
  # the RL reward's trainer test (tests/test_reward_trl.py) runs a real TRL step: torch's CPU build
  .venv/bin/python -m pip install -q -e '.[rl]'
  # ray: the executor tests (tests/test_ray*.py) run in CI
  .venv/bin/python -m pip install -q -e '.[ray]'
  touch "$stamp"
fi
# the sandbox's allocator (sandbox/effalloc.c), built once per source and compiler into the cache
if command -v gcc >/dev/null 2>&1 || command -v cc >/dev/null 2>&1; then
  .venv/bin/python -c 'from effbench.sandboxes.allocator import built_allocator; built_allocator()'
fi
