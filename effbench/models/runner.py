"""``effbench evaluate --model``: from the command's options to scored records.

Validate the options, estimate the cost, ask the model, evaluate, account the cost.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from effbench import paths
from effbench.engine import EngineSettings, SampleRecord
from effbench.errors import EffbenchError
from effbench.meters import MeterChoice
from effbench.models.allocation import MAX_SAMPLES_PER_PROBLEM, AllocationPlan
from effbench.models.client import ModelSpec, extra_body_of
from effbench.models.prompts import COMPLETION_STOP
from effbench.models.strategies import CostEstimate, SamplingPlan
from effbench.problems import ProblemSet
from effbench.scoring import default_ks


@dataclass
class ModelJob:
    """A validated model run: which problems, which model, which plan, which k."""

    problems: ProblemSet
    ids: list[str]
    spec: ModelSpec
    plan: SamplingPlan
    ks: list[int]
    prices_file: Path | None
    #: ``--allocation``: a total budget spread over the problems by a policy (None: ``plan.samples`` each)
    allocation: AllocationPlan | None = None
    #: the model client's counters after :meth:`run` (requests sent, answers from the cache...)
    stats: Any = None
    #: where ``plan.prefix`` came from (``--prompt-prefix FILE`` or the set's problemset.toml); None without one
    prefix_source: str | None = None

    def job_hash(self) -> str:
        """The run directory's identity (resuming needs the same): the plan's, and the allocation's."""
        base = self.plan.job_hash(self.spec, self.ids)
        if self.allocation is None:
            return base
        data = json.dumps([base, self.allocation.__dict__], sort_keys=True, default=list)
        return hashlib.sha256(data.encode()).hexdigest()[:16]

    def recorded(self, run_dir: Path | None) -> set[tuple[str, str, int]]:
        """The keys (model label, problem id, index) ``run_dir`` already records for this job; empty otherwise.

        Read without changing anything (:meth:`effbench.rundir.RunDir.scan`), and only from a run
        directory of this very job (its ``samples_hash``): a resume never asks for them again.
        """
        from effbench.rundir import RunDir

        rd = RunDir(run_dir) if run_dir is not None else None
        try:
            if rd is None or not rd.exists or rd.config().get("samples_hash") != self.job_hash():
                return set()
            return {r.key for _, r in rd.scan()}
        except (EffbenchError, OSError):
            return set()  # said by the run itself when it opens the directory

    def estimate(self, run_dir: Path | None = None) -> CostEstimate:
        """Answers, tokens and money the run will ask for (nothing is sent).

        ``run_dir``: the run directory, when it may be resumed: the samples it records are not
        asked for again, so they are not counted.
        """
        from effbench.models.cache import ResponseCache
        from effbench.models.client import ModelClient
        from effbench.models.pricing import load_prices, price_of
        from effbench.models.strategies import estimate_cost

        price = price_of(self.spec.name, load_prices(self.prices_file))
        cache = ResponseCache(paths.cache_dir() / "responses.sqlite")
        try:
            client = ModelClient(self.spec, cache)
            plan = self.plan
            if self.allocation is not None:  # about budget / problems each (adaptive moves them around)
                top = max(self.allocation.budgets)
                if self.allocation.unit == "tokens":  # tokens: the first round, the rest said per run
                    top = self.allocation.first_round * len(self.ids)
                plan = replace(plan, samples=max(plan.samples, -(-top // len(self.ids))))
            problems = [self.problems.get(i) for i in self.ids]
            return estimate_cost(plan, self.spec, client, problems, price, self.recorded(run_dir))
        finally:
            cache.close()

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
        """Ask the model and evaluate its answers in the run directory ``run_dir``.

        Answers come from the response cache where possible; the request counters are logged at
        the end, whatever happens.

        Args:
            choice: the meter, and why it was chosen.
            run_dir: the run directory (resumed when it holds the same job).
            sandbox: the sandbox backend's name.
            workers: tests run in parallel.
            settings: the engine's settings (alpha, limits, input seed).
            use_cache: reuse cached expert profiles.
            rootfs: an exported root filesystem for the local backend.
            log: called with one line at a time.

        Returns:
            Every record of the run.

        Raises:
            ModelError: when the server is down, refuses the request, or keeps failing.
        """
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
            "model": {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.spec.__dict__.items()},
            "plan": self.plan.__dict__,
            # the problems asked about: a record of another is not this run's (effbench.rundir.model_run_admits)
            "problems": list(self.ids),
            "price": None if price is None else price.__dict__,
            "prompt_prefix": None
            if self.plan.prefix is None
            else {
                "source": self.prefix_source,
                "sha256": hashlib.sha256(self.plan.prefix.encode()).hexdigest(),
                "chars": len(self.plan.prefix),
            },
        }
        if self.allocation is not None:
            config["allocation"] = {k: list(v) if isinstance(v, tuple) else v for k, v in vars(self.allocation).items()}
        from effbench.models.strategies import first_queries, round_label

        problems = [self.problems.get(i) for i in self.ids]
        try:
            first = first_queries(self.plan, self.spec, problems)
            label, recorded = round_label(self.spec.name, self.plan.strategy, 1), self.recorded(run_dir)
            first = [replace(q, indices=[c for c in q.indices if (label, q.tag[0], c) not in recorded]) for q in first]
            if client.missing(first):
                client.prepare()  # a server that is down is said now, before the run directory exists
            with EvaluationRun(
                self.problems,
                choice,
                run_dir,
                self.job_hash(),
                sandbox=sandbox,
                rootfs=rootfs,
                workers=workers,
                settings=settings,
                use_cache=use_cache,
                extra_config=config,
                log=log,
            ) as run:
                if self.allocation is not None:
                    from effbench.models.allocation import run_allocation

                    run_allocation(self.plan, self.allocation, self.spec, client, problems, run, price)
                else:
                    run_plan(self.plan, self.spec, client, problems, run, price)
                records = run.records()
        finally:
            cache.close()
            st = self.stats = client.stats
            log(
                f"model requests: {st.requests} sent ({st.retries} retries, {st.abandoned} abandoned, "
                f"{st.refused} refused for the context), {st.cached} answers from the cache, {st.answered} new"
            )
        return records


def plan_from_options(
    problems: ProblemSet,
    ids: list[str] | None,
    samples_opt: Sequence[str],
    ks: list[int] | None,
    o: dict[str, Any],
    log: Callable[[str], None] | None = None,
) -> ModelJob:
    """The model job of ``effbench evaluate --model``, from the command's options ``o``.

    Everything is checked here, before any request is sent or any directory written.

    Args:
        problems: the problem set.
        ids: the selected problems' ids (None: all).
        samples_opt: ``--samples`` (at most one number: samples per problem; default 1).
        ks: ``--k`` (None: the default ks for the samples each problem gets).
        o: the remaining options of the command, by click parameter name.
        log: told once about a choice the user did not make explicitly (the set's preamble left
            out in chat mode); None: silent.

    Raises:
        EffbenchError: one line naming the option that is missing, malformed or inconsistent.
    """
    name = str(o["model"])
    if not name.isprintable() or not name.strip():
        # the model's name labels its records: every table, leaderboard.md row and terminal line shows it
        raise EffbenchError(f"--model {name!r}: not one line of printable text (it labels the run's records)")
    if not o.get("base_url"):
        raise EffbenchError("--model needs --base-url (e.g. http://127.0.0.1:8000/v1 or https://api.openai.com/v1)")
    if len(samples_opt) > 1:
        raise EffbenchError("with --model, give --samples N once (the number of samples per problem)")
    allocation = _allocation_from_options(o, samples_opt)
    try:
        n = int(samples_opt[0]) if samples_opt else 1
    except ValueError:
        raise EffbenchError(f"with --model, --samples takes a number of samples, not {samples_opt[0]!r}") from None
    if n < 1:
        raise EffbenchError("--samples must be at least 1")
    if n > MAX_SAMPLES_PER_PROBLEM:
        raise EffbenchError(f"--samples {n}: at most {MAX_SAMPLES_PER_PROBLEM:,} samples per problem")
    if ks and ks[-1] > n and allocation is None:
        raise EffbenchError(f"--k {ks[-1]} is larger than n={n} samples per problem")
    template = _read_template(o.get("prompt_template"))
    mode = str(o.get("mode") or "chat")
    prefix, prefix_source = prompt_prefix(problems, mode, o.get("prompt_prefix"), log)
    spec = ModelSpec(
        name=name,
        base_url=str(o["base_url"]),
        mode=mode,
        api_key_env=str(o.get("api_key_env") or "OPENAI_API_KEY"),
        temperature=float(o.get("temperature", 0.8)),  # type: ignore[arg-type]
        top_p=float(o.get("top_p", 0.95)),  # type: ignore[arg-type]
        top_k=o.get("top_k"),  # type: ignore[arg-type]
        max_tokens=int(o.get("max_tokens", 1024)),  # type: ignore[arg-type]
        seed=o.get("seed"),  # type: ignore[arg-type]
        stop=stop_sequences(problems, mode, o.get("stop")),  # type: ignore[arg-type]
        concurrency=_concurrency(o.get("concurrency")),
        timeout=float(o.get("request_timeout", 300.0)),  # type: ignore[arg-type]
        max_retries=int(o.get("max_retries", 5)),  # type: ignore[arg-type]
        context_length=o.get("context_length"),  # type: ignore[arg-type]
        stream=bool(o.get("stream", True)),
        extra_body=extra_body_of(o.get("extra_body")),  # type: ignore[arg-type]
    )
    plan = SamplingPlan(
        strategy=str(o.get("strategy") or "parallel"),
        samples=n,
        rounds=int(o.get("rounds", 3)) if o.get("strategy") == "refine" else 1,  # type: ignore[arg-type]
        system_prompt=o.get("system_prompt") or getattr(problems, "system_prompt", None),  # type: ignore[arg-type]
        template=template or getattr(problems, "prompt_template", None),
        prefix=prefix,
    )
    if o.get("prices"):
        from effbench.models.pricing import load_prices

        load_prices(Path(o["prices"]))  # fail now on a broken table
    selected = [p.id for p in problems.select(ids)]
    prices = Path(o["prices"]) if o.get("prices") else None
    if allocation is not None:
        allocation.check(len(selected))
        n = min(allocation.budgets) // len(selected)  # the fewest samples any problem may get
        if "adaptive" in allocation.policies or allocation.unit == "tokens":
            n = allocation.first_round if allocation.unit == "tokens" else min(n, allocation.first_round)
        if ks and ks[-1] > n:
            raise EffbenchError(f"--k {ks[-1]} is larger than the {n} sample(s) a problem may get from --budget")
        plan = SamplingPlan(
            strategy="parallel",
            samples=allocation.first_round,
            system_prompt=plan.system_prompt,
            template=plan.template,
            prefix=plan.prefix,
        )
    ks = ks or default_ks(n)
    return ModelJob(problems, selected, spec, plan, ks, prices, allocation, prefix_source=prefix_source)


def prompt_prefix(
    problems: ProblemSet, mode: str, given: Any, log: Callable[[str], None] | None = None
) -> tuple[str | None, str | None]:
    """Completion mode's few-shot preamble and where it came from: (text, source), or (None, None).

    ``--prompt-prefix FILE`` when given (``--prompt-prefix ''`` sends none), else the problem set's
    ``completion_prefix`` (problemset.toml) in completion mode. Chat mode sends none: a chat model is
    asked through the template (``--prompt-template``); when the set has a preamble, ``log`` is
    told so (one line), as a run that leaves out part of the set's prompting should say.
    A file over :data:`~effbench.problems.MAX_PREFIX_BYTES` is refused before it is read.

    Raises:
        EffbenchError: ``--prompt-prefix`` with ``--mode chat``, or a file that cannot be read as
            text, is empty or too large.
    """
    if given is not None:
        if str(given) == "":
            return None, None
        if mode != "completion":
            raise EffbenchError(
                "--prompt-prefix is a few-shot preamble for --mode completion (a base model); "
                "in chat mode use --prompt-template"
            )
        from effbench.problems import read_preamble

        path = Path(str(given))
        text = read_preamble(path, f"--prompt-prefix {path}", "--prompt-prefix '' sends no preamble", EffbenchError)
        return text, f"--prompt-prefix {path}"
    declared = getattr(problems, "completion_prefix", None)
    if not declared or not declared.strip():
        return None, None
    if mode != "completion":
        if log is not None:
            log(
                f"the problem set {getattr(problems, 'name', '')!r} has a few-shot preamble (completion_prefix) for "
                "--mode completion; chat mode does not send it"
            )
        return None, None
    return declared, f"{Path(getattr(problems, 'root', '') or '.') / 'problemset.toml'}: completion_prefix"


def _read_template(given: Any) -> str | None:
    """The ``--prompt-template`` file's text, or None without one.

    Raises EffbenchError when it cannot be read or fills a field other than ``{prompt}`` and
    ``{entry_point}``.
    """
    if not given:
        return None
    path = Path(given)
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
    return template


def _allocation_from_options(o: dict[str, Any], samples_opt: Sequence[str]) -> AllocationPlan | None:
    """``--allocation POLICY --budget B [--first-round F]``, checked against the other options."""
    policy = o.get("allocation")
    if not policy:
        if o.get("budget") is not None:
            raise EffbenchError("--budget is the total of --allocation uniform|adaptive: give --allocation too")
        return None
    if samples_opt:
        raise EffbenchError("--allocation spends --budget over the problems: give --budget B, not --samples")
    if (o.get("strategy") or "parallel") != "parallel":
        raise EffbenchError("--allocation draws parallel samples: it does not combine with --strategy refine/select")
    if o.get("budget") is None:
        raise EffbenchError("--allocation needs --budget B (total samples over the problems)")
    unit = str(o.get("budget_unit") or "samples")
    return AllocationPlan((str(policy),), (int(o["budget"]),), int(o.get("first_round") or 1), unit)  # type: ignore[arg-type]


def _concurrency(value: object) -> int | None:
    """``--concurrency``: a number, or ``auto`` (None: ask the server)."""
    if value is None or str(value).lower() == "auto":
        return None
    try:
        n = int(str(value))
    except ValueError:
        raise EffbenchError(f"--concurrency {value!r}: a number of requests at once, or 'auto'") from None
    if not 1 <= n <= 256:
        raise EffbenchError(f"--concurrency {n}: must be between 1 and 256")
    return n


def stop_sequences(problems: ProblemSet, mode: str, given: Sequence[str] | None) -> tuple[str, ...] | None:
    """The stop sequences to send, at most 4 (the OpenAI API's limit).

    ``--stop`` when given (``--stop ''`` sends none), else in completion mode the problem set's
    ``stop = [...]`` (problemset.toml), else :data:`COMPLETION_STOP`; chat mode sends none unless
    given (a set's stops end a base model's continuation, and would cut a chat answer's fenced
    ``def``).
    """
    import tomllib

    if given:
        chosen = tuple(x.encode().decode("unicode_escape") for x in given if x)
        where = "--stop"
    else:
        chosen, where = None, ""
        meta = Path(getattr(problems, "root", "") or ".") / "problemset.toml"
        if mode == "completion" and meta.is_file():
            try:
                declared = tomllib.loads(meta.read_text()).get("stop")
            except (OSError, tomllib.TOMLDecodeError):
                declared = None
            if declared is not None:
                if not isinstance(declared, list) or not all(isinstance(x, str) for x in declared):
                    raise EffbenchError(f"{meta}: stop must be a list of strings")
                chosen, where = tuple(declared), f"{meta}: stop"
        if chosen is None:
            chosen = COMPLETION_STOP if mode == "completion" else ()
    if len(chosen) > 4:
        raise EffbenchError(f"{where}: at most 4 stop sequences (the OpenAI API's limit), got {len(chosen)}")
    return chosen or None
