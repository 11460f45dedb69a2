"""`import effbench` must stay cheap: RL trainers and CLIs import it on every start."""

import json
import subprocess
import sys

HEAVY = ("numpy", "click", "tqdm", "docker", "openai", "datasets", "matplotlib", "effbench.engine")


def test_import_effbench_loads_no_heavy_module():
    """Invariant: a fresh `import effbench` imports none of the heavy libraries or the engine."""
    code = "import sys, json, effbench; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout))
    assert not [m for m in loaded if m.split(".")[0] in HEAVY or m in HEAVY]


def test_lazy_attributes_resolve():
    """Invariant: the public API is reachable from the package namespace on first use."""
    import effbench

    assert callable(effbench.eff_at_k)
    assert callable(effbench.load_problem_set)
    assert "eff_at_k" in dir(effbench)
