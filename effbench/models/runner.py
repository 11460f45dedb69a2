"""``effbench evaluate --model``: validate the options, ask the model, evaluate, account the cost."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from effbench import paths
from effbench.engine import EngineSettings, SampleRecord
from effbench.errors import EffbenchError
from effbench.meters import MeterChoice
from effbench.models.client import ModelSpec
from effbench.models.strategies import SamplingPlan
from effbench.problems import ProblemSet
from effbench.scoring import default_ks


@dataclass
class ModelJob:
    problems: ProblemSet
    ids: list[str]
    spec: ModelSpec
    plan: SamplingPlan
    ks: list[int]
    prices_file: Path | None

    def run(
        self,
        choice: MeterChoice,
        run_dir: Path,
        sandbox: str,
        workers: int,
        settings: EngineSettings,
        use_cache: bool,
        rootfs: str | None = None,
        log: Callable[[str], None] = lambda s: None,
    ) -> list[SampleRecord]:
        from effbench.models.cache import ResponseCache
        from effbench.models.client import ModelClient
        from effbench.models.pricing import load_prices, price_of
        from effbench.models.strategies import run_plan
        from effbench.run import EvaluationRun

        price = price_of(self.spec.name, load_prices(self.prices_file))
        if price is None:
            log(f"no price for model {self.spec.name!r}: cost is reported in tokens (add it to a --prices file)")
        cache = ResponseCache(paths.cache_dir() / "responses.sqlite")
        client = ModelClient(self.spec, cache, log)
        config = {
            "k": self.ks,
            "model": {k: v for k, v in self.spec.__dict__.items()},
            "plan": self.plan.__dict__,
            "price": None if price is None else price.__dict__,
        }
        try:
            with EvaluationRun(
                self.problems,
                choice,
                run_dir,
                self.plan.job_hash(self.spec, self.ids),
                sandbox=sandbox,
                rootfs=rootfs,
                workers=workers,
                settings=settings,
                use_cache=use_cache,
                extra_config=config,
                log=log,
            ) as run:
                run_plan(self.plan, self.spec, client, [self.problems.get(i) for i in self.ids], run, price)
                records = run.records()
        finally:
            cache.close()
            log(
                f"model requests: {client.stats.requests} sent ({client.stats.retries} retries), "
                f"{client.stats.cached} answers from the cache, {client.stats.answered} new"
            )
        return records


def plan_from_options(
    problems: ProblemSet, ids: list[str] | None, samples_opt: Sequence[str], ks: list[int] | None, o: dict[str, Any]
) -> ModelJob:
    """Everything is checked here, before any request is sent or any directory written."""
    if not o.get("base_url"):
        raise EffbenchError("--model needs --base-url (e.g. http://127.0.0.1:8000/v1 or https://api.openai.com/v1)")
    if len(samples_opt) > 1:
        raise EffbenchError("with --model, give --samples N once (the number of samples per problem)")
    try:
        n = int(samples_opt[0]) if samples_opt else 1
    except ValueError:
        raise EffbenchError(f"with --model, --samples takes a number of samples, not {samples_opt[0]!r}") from None
    if n < 1:
        raise EffbenchError("--samples must be at least 1")
    if ks and ks[-1] > n:
        raise EffbenchError(f"--k {ks[-1]} is larger than n={n} samples per problem")
    template = None
    if o.get("prompt_template"):
        path = Path(o["prompt_template"])
        try:
            template = path.read_text()
        except OSError as exc:
            raise EffbenchError(f"--prompt-template {path}: {exc.strerror}") from None
        try:
            template.format(prompt="", entry_point="")
        except (KeyError, IndexError, ValueError) as exc:
            raise EffbenchError(
                f"--prompt-template {path}: only {{prompt}} and {{entry_point}} may be filled ({exc})"
            ) from None
    spec = ModelSpec(
        name=str(o["model"]),
        base_url=str(o["base_url"]),
        mode=str(o.get("mode") or "chat"),
        api_key_env=str(o.get("api_key_env") or "OPENAI_API_KEY"),
        temperature=float(o.get("temperature", 0.8)),  # type: ignore[arg-type]
        top_p=float(o.get("top_p", 0.95)),  # type: ignore[arg-type]
        max_tokens=int(o.get("max_tokens", 1024)),  # type: ignore[arg-type]
        seed=o.get("seed"),  # type: ignore[arg-type]
        concurrency=int(o.get("concurrency", 4)),  # type: ignore[arg-type]
        timeout=float(o.get("request_timeout", 120.0)),  # type: ignore[arg-type]
        max_retries=int(o.get("max_retries", 5)),  # type: ignore[arg-type]
    )
    plan = SamplingPlan(
        strategy=str(o.get("strategy") or "parallel"),
        samples=n,
        rounds=int(o.get("rounds", 3)) if o.get("strategy") == "refine" else 1,  # type: ignore[arg-type]
        system_prompt=o.get("system_prompt") or getattr(problems, "system_prompt", None),  # type: ignore[arg-type]
        template=template or getattr(problems, "prompt_template", None),
    )
    if o.get("prices"):
        from effbench.models.pricing import load_prices

        load_prices(Path(o["prices"]))  # fail now on a broken table
    selected = [p.id for p in problems.select(ids)]
    return ModelJob(problems, selected, spec, plan, ks or default_ks(n), Path(o["prices"]) if o.get("prices") else None)
