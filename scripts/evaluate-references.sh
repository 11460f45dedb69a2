#!/usr/bin/env bash
# The main job on the embedded default: evaluate the bundled expert and slower-tier solutions
# as two models, in the local sandbox, with the auto meter. Extra arguments go to `effbench evaluate`.
# Paths (the run directory it prints, a --run-dir given) are the caller's: only the set-up runs in
# the repository.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
  echo "usage: bash scripts/evaluate-references.sh [OPTIONS of effbench evaluate]"
  echo "  the main job: the set-up (scripts/setup.sh: .venv, about 2 GB and minutes the first time), then"
  echo "  effbench evaluate --references expert,slower OPTIONS (local sandbox, auto meter; the run folder is"
  echo "  printed, under runs/ of the current folder unless --run-dir says where)"
  echo "  e.g. bash scripts/evaluate-references.sh --problems count_inversions,top_k_frequent"
  echo
  [ -x "$root/.venv/bin/effbench" ] && exec "$root/.venv/bin/effbench" evaluate --help
  echo "(effbench evaluate's own options: run scripts/setup.sh, then .venv/bin/effbench evaluate --help)"
  exit 0
fi
(cd "$root" && bash scripts/setup.sh)
exec "$root/.venv/bin/effbench" evaluate --references expert,slower "$@"
