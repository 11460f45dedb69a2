#!/usr/bin/env bash
# The main job on the embedded default: evaluate the bundled expert and slower-tier solutions
# as two models, in the local sandbox, with the auto meter. Extra arguments go to `effbench evaluate`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/effbench evaluate --references expert,slower "$@"
