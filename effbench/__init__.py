"""effbench: how efficient is the code a language model writes?

Importing this package is cheap: the public API is resolved lazily on first use, so
``import effbench`` pulls in neither numpy nor any sandbox backend.
"""

from __future__ import annotations

from effbench.lazy import lazy_names

__version__ = "0.1.0"

_LAZY = {
    # the README's Python API
    "load_problem_set": ("effbench.problems", "load_problem_set"),
    "ProblemSet": ("effbench.problems", "ProblemSet"),
    "Problem": ("effbench.problems", "Problem"),
    "eff_at_k": ("effbench.scoring", "eff_at_k"),
    "pass_at_k": ("effbench.scoring", "pass_at_k"),
    "score_sample": ("effbench.scoring", "score_sample"),
    "summarize": ("effbench.summary", "summarize"),
    "Evaluator": ("effbench.engine", "Evaluator"),
    "EvaluationRun": ("effbench.run", "EvaluationRun"),
    "evaluate_samples": ("effbench.run", "evaluate_samples"),
    "choose_meter": ("effbench.meters", "choose_meter"),
    "open_sandbox": ("effbench.sandboxes", "open_sandbox"),
    # settings
    "EngineSettings": ("effbench.engine", "EngineSettings"),
    "Limits": ("effbench.sandboxes.base", "Limits"),
    # records and verdicts
    "SampleRecord": ("effbench.records", "SampleRecord"),
    "TestOutcome": ("effbench.records", "TestOutcome"),
    "ReferenceProfile": ("effbench.records", "ReferenceProfile"),
    "RunConfig": ("effbench.records", "RunConfig"),
    "Summary": ("effbench.records", "Summary"),
    "SCHEMA_VERSION": ("effbench.records", "SCHEMA_VERSION"),
    "Verdict": ("effbench.verdicts", "Verdict"),
    "KillReason": ("effbench.verdicts", "KillReason"),
    "ErrorKind": ("effbench.verdicts", "ErrorKind"),
    # errors
    "EffbenchError": ("effbench.errors", "EffbenchError"),
    "ProblemFormatError": ("effbench.errors", "ProblemFormatError"),
    "SampleFileError": ("effbench.errors", "SampleFileError"),
    "SandboxUnavailable": ("effbench.errors", "SandboxUnavailable"),
    "InfrastructureError": ("effbench.errors", "InfrastructureError"),
    "RecordFormatError": ("effbench.records", "RecordFormatError"),
    "Interrupted": ("effbench.engine", "Interrupted"),
    # the reward API (issue 14)
    "RewardModel": ("effbench.reward.model", "RewardModel"),
    "RewardResult": ("effbench.reward.result", "RewardResult"),
    "RewardItem": ("effbench.reward.scorer", "RewardItem"),
    "ItemStatus": ("effbench.reward.result", "ItemStatus"),
    "Shaping": ("effbench.reward.shaping", "Shaping"),
    "ShapingKind": ("effbench.reward.shaping", "ShapingKind"),
    # registries
    "SANDBOXES": ("effbench.registry", "SANDBOXES"),
    "METERS": ("effbench.registry", "METERS"),
    "IMPORTERS": ("effbench.registry", "IMPORTERS"),
    # executors (local threads or a Ray cluster)
    "EXECUTORS": ("effbench.registry", "EXECUTORS"),
    "get_executor": ("effbench.executors", "get_executor"),
}

__all__ = ["__version__", *_LAZY]
__getattr__, __dir__ = lazy_names(__name__, globals(), _LAZY)
