#!/usr/bin/env bash
# The main job on the embedded default: evaluate the bundled expert and slower-tier solutions
# as two models, in the local sandbox, with the auto meter. Extra arguments go to `effbench evaluate`.
# Paths (the run directory it prints, a --run-dir given) are the caller's: only the set-up runs in
# the repository.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
(cd "$root" && bash scripts/setup.sh)
exec "$root/.venv/bin/effbench" evaluate --references expert,slower "$@"
