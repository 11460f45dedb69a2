#!/usr/bin/env bash
# The leaderboard of every run directory under runs/ (or of the folders given): leaderboard.md,
# leaderboard.json, index.html and plots/ in leaderboard/ (LEADERBOARD_OUT to change). Runs that
# cannot be read are named and skipped; options after `--` go to `effbench leaderboard`.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
  echo "usage: bash scripts/leaderboard.sh [RUN_DIR...] [-- OPTIONS of effbench leaderboard]"
  echo "  RUN_DIR: run directories (default: every runs/*); output in \$LEADERBOARD_OUT (default: leaderboard/)"
  echo "  e.g. bash scripts/leaderboard.sh runs/a runs/b -- --seed 3 --include-unfinished"
  echo
  [ -x .venv/bin/effbench ] && exec .venv/bin/effbench leaderboard --help
  echo "(effbench leaderboard's own options: run scripts/setup.sh, then .venv/bin/effbench leaderboard --help)"
  exit 0
fi
bash scripts/setup.sh
out="${LEADERBOARD_OUT:-leaderboard}"
dirs=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do dirs+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
if [ ${#dirs[@]} -eq 0 ]; then
  for d in runs/*/; do [ -d "$d" ] && dirs+=("${d%/}"); done
fi
if [ ${#dirs[@]} -eq 0 ]; then
  echo "leaderboard.sh: no run directories under runs/ (run scripts/evaluate-references.sh first)" >&2
  exit 2
fi
exec .venv/bin/effbench leaderboard "${dirs[@]}" --out "$out" "$@"
