#!/usr/bin/env bash
# The leaderboard of every run directory under runs/ (or of the folders given): leaderboard.md,
# leaderboard.json, index.html and plots/ in leaderboard/ (LEADERBOARD_OUT to change). Runs that
# cannot be read are named and skipped. Arguments from the first option on (or after `--`) go to
# `effbench leaderboard`. Paths (runs/, the folders given, the output) are the caller's: only the
# set-up runs in the repository.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
  echo "usage: bash scripts/leaderboard.sh [RUN_DIR...] [[--] OPTIONS of effbench leaderboard]"
  echo "  RUN_DIR: run directories (default: every runs/* here); output in \$LEADERBOARD_OUT (default: leaderboard/)"
  echo "  everything from the first option on goes to effbench leaderboard (or after --)"
  echo "  e.g. bash scripts/leaderboard.sh runs/a runs/b --seed 3 --include-unfinished"
  echo
  [ -x "$root/.venv/bin/effbench" ] && exec "$root/.venv/bin/effbench" leaderboard --help
  echo "(effbench leaderboard's own options: run scripts/setup.sh, then .venv/bin/effbench leaderboard --help)"
  exit 0
fi
(cd "$root" && bash scripts/setup.sh)
out="${LEADERBOARD_OUT:-leaderboard}"
dirs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --) shift; break ;;
    -*) break ;;
    *) dirs+=("$1"); shift ;;
  esac
done
if [ ${#dirs[@]} -eq 0 ]; then
  for d in runs/*/; do [ -d "$d" ] && dirs+=("${d%/}"); done
fi
if [ ${#dirs[@]} -eq 0 ]; then
  echo "leaderboard.sh: no run directories under $(pwd)/runs/ (run scripts/evaluate-references.sh first, or name them)" >&2
  exit 2
fi
exec "$root/.venv/bin/effbench" leaderboard "${dirs[@]}" --out "$out" "$@"
