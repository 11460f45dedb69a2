"""A candidate that pads its source to earn the time meter's credit for inherited memory.

Under the time meter at one run (no baseline child, db0bcac) the host subtracts from a test's CPU
time a null calibrated when the runner started, plus ``exit_seconds_per_kb`` x the kB the test
child held at its release beyond the null's (``rss_at_go_kb``): the exit's tearing down of what
the child inherited from its worker, which a baseline child of the same request used to cancel.
What the child holds at its release is not only the request's arguments (the harness's) but also
the candidate's compiled module, and its size is the candidate's to choose: the compiler folds
``"a"*4096 + "a"*4096 + ...`` into one constant (454 characters per character of source, measured
with compile()), compiled in the worker before the release, for free. A red team's 110 kB source
with 48 MiB of such constants held 99 MB more than the null at its release (the constants and
compiling's leftovers) and was credited all of it: 101,320 kB, about 3 ms at the runner's slope.
The credit roughly matched the teardown (padded against honest medians 9.84 / 9.63, 9.68 / 9.23
and 10.89 / 9.86 ms at slopes of 30.2, 28.6 and 24.0 us per MB, 10 interleaved runs each, load
5.8-7.9, a draft of ``benchmarks/padded_source_credit.py``), but its size was the candidate's, and the slope
it is paid at is estimated on another child at another moment instead of cancelled in the same
request: 24 to 58 us per MB over 12 calibrations of one runner at load 8, so at the 1 MiB source
limit (about 450 MB of constants, if it compiles within the 20 s limit: not tried) a credit
between about 11 and 26 ms for the same teardown, drawn from runner to runner.

The credit now covers only what the worker held before compiling the candidate's code beyond
what it held before compiling the null's (``rss_before_code_kb``: the request's arguments, the
harness's), plus ``TimeMeter.CODE_SLACK_KB`` (2 MiB, an honest module's code objects: at most
about 0.1 ms, under the meter's resolution); the exit's teardown of what compiling added is the
candidate's own, charged like any memory it holds (after the fix: 12.62 / 9.61 and 12.67 / 9.40
ms, every padded run above every honest one). sandbox/runner.py reads the worker's RSS before
compiling (less the source text's size).
"""

from __future__ import annotations

from effbench.meters.timing import TimeMeter
from effbench.sandboxes.base import Limits, TestRequest
from effbench.sandboxes.local import LocalSandbox

#: 48 MiB of folded constants in a 110 kB source: each term is folded to 4096 characters, the
#: groups' first terms differ so that the compiler does not merge them into one constant
PAD_MB = 48
PADDED = "".join(
    f"_P{g} = ({str(g)!r}+" + "+".join('"a"*4096' for _ in range(100)) + ")\n" for g in range(PAD_MB * 1024 // 400)
) + ("def f(n):\n    return n + 1\n")


def _credited_kb(base: dict, test: dict) -> float:
    """The kB whose exit the meter credited: what it subtracted beyond the null, per kB."""
    meter = TimeMeter(resolution_ns=0)
    null_only = {**test, "rss_at_go_kb": base["rss_at_go_kb"]}
    less = meter.pair_cost({"baseline": base, "test": null_only}, lambda pid: None)
    more = meter.pair_cost({"baseline": base, "test": test}, lambda pid: None)
    return (less - more) / 1e9 / base["exit_seconds_per_kb"]


def test_the_exit_credit_is_at_most_what_the_worker_held_before_compiling_the_code():
    """Invariant: against a calibrated null, the kB credited at ``exit_seconds_per_kb`` are at most
    what the test's worker held before compiling the candidate's code beyond the null's
    (``rss_before_code_kb``) plus ``CODE_SLACK_KB``, whatever the test child held at its release;
    under that the credit is exact (a large request's arguments stay uncharged); a record without
    the figure is credited the slack only."""
    base = {
        "calibrated": True,
        "cpu_seconds": 0.003,
        "cpu_before_go": 0.002,
        "rss_at_go_kb": 10_000,
        "rss_before_code_kb": 9_000,
        "exit_seconds_per_kb": 1e-8,
    }
    slack = TimeMeter.CODE_SLACK_KB
    padded = {"cpu_seconds": 0.05, "cpu_before_go": 0.002, "rss_at_go_kb": 500_000, "rss_before_code_kb": 9_100}
    assert round(_credited_kb(base, padded)) == 100 + slack
    args = {**padded, "rss_at_go_kb": 50_000, "rss_before_code_kb": 49_000}
    assert round(_credited_kb(base, args)) == 40_000
    old = {k: v for k, v in padded.items() if k != "rss_before_code_kb"}
    assert round(_credited_kb(base, old)) == slack


def test_a_padded_source_earns_no_exit_credit_for_its_constants():
    """Invariant: a candidate cannot raise what the time meter subtracts from its own cost by
    holding more at its release (its compiled module's constants): a padded source with small
    arguments holds about 100 MB more than the null at its release and is credited no more than
    its worker held before compiling it beyond the null's, plus ``CODE_SLACK_KB``."""
    box = LocalSandbox(TimeMeter(), workers=1)
    try:
        seen = []
        worker = box._workers[0]
        real = worker.request

        def spy(req, ballast_kb=0):
            out = real(req, ballast_kb)
            seen.append(out["runs"][0])
            return out

        worker.request = spy
        run = box.run(TestRequest(PADDED, "f", [1], Limits(wall_seconds=60.0, cpu_seconds=10.0)))
    finally:
        box.close()
    assert run.result.startswith('{"ok":true'), run.result
    base, test = seen[-1]["baseline"], seen[-1]["test"]
    held_kb = test["rss_at_go_kb"] - base["rss_at_go_kb"]
    assert held_kb > (PAD_MB // 2) << 10  # the pad was held at the release (the attack's lever)
    assert base["exit_seconds_per_kb"] > 0
    # what the worker held before compiling (the request, a few hundred kB here) and the slack
    # at most, not the pad (before the fix: all of it, about 2 x PAD_MB with compiling's leftovers)
    slack = getattr(TimeMeter, "CODE_SLACK_KB", 2 << 10)
    before = max(0, test.get("rss_before_code_kb", 0) - base.get("rss_before_code_kb", 0))
    assert _credited_kb(base, test) <= before + slack + 1
    assert _credited_kb(base, test) < held_kb / 10
