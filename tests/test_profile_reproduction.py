"""A profile measured elsewhere is used only where the sandbox reproduces it (issue 14's must-hold).

The threat: two sandboxes whose environments count differently although their fingerprints are
equal (a package of debug symbols installed between the starts of the local and the Ray
executors' runners moved an expert's counts by 6 instructions per test; see tests/other_node.py
for how the tests make such a difference). A profile measured in one and judged against in the
other gives the expert itself an efficiency other than 1 and every candidate a reward off by as
much, silently. The invariant: whatever the source of a profile (the disk cache, another worker),
an expert scored in a sandbox scores exactly 1.0 there, its costs equal the profile it is judged
against, and a profile the sandbox does not reproduce is counted as rejected.
"""

from __future__ import annotations

from effbench.engine import EngineSettings, Evaluator
from effbench.fingerprint import environment_fingerprint
from effbench.meters.valgrind import ValgrindMeter
from effbench.reference_cache import ReferenceCache
from effbench.reward import RewardModel
from effbench.sandboxes.local import LocalSandbox

from .conftest import FIXTURES, MINI
from .other_node import other_node_path


def _valgrind_cache(tmp_path, seed):
    """(meter, cache, settings, fingerprint) of a valgrind evaluator on a fresh cache below
    ``tmp_path``, its inputs from ``seed``."""
    meter = ValgrindMeter()
    cache = ReferenceCache(tmp_path / "references")
    return meter, cache, EngineSettings(input_seed=seed), environment_fingerprint(meter, "local")


def test_a_cached_profile_the_sandbox_does_not_reproduce_is_measured_again(triangle, tmp_path, monkeypatch):
    """The disk cache is keyed by the fingerprint, which does not see every cause of a count: an
    evaluator whose sandbox counts the expert otherwise than the cached profile says measures it
    again (and judges the expert at exactly 1.0), instead of judging against the cached counts."""
    meter, cache, settings, fingerprint = _valgrind_cache(tmp_path, "reproduce-cache")
    with LocalSandbox(meter, workers=1, hide=[str(FIXTURES)]) as here:
        cached = Evaluator(here, meter, settings, cache, fingerprint).profile(triangle)
    with other_node_path() as path:
        monkeypatch.setenv("PATH", path)
        with LocalSandbox(meter, workers=1, hide=[str(FIXTURES)]) as other:
            ev = Evaluator(other, meter, settings, cache, fingerprint)
            record = ev.evaluate(triangle, triangle.expert_code)
            profile = ev.profile(triangle)
    assert record.level_costs != cached.level_costs, "the wrapper did not change the counts: no test"
    assert record.reference_level_costs == record.level_costs == profile.level_costs
    assert record.efficiency == 1.0
    assert (ev.stats.profiles_rejected, ev.stats.profiles_measured, ev.stats.profiles_cached) == (1, 1, 0)


def test_a_profile_cached_in_the_same_environment_is_used_without_measuring_it(triangle, tmp_path):
    """The check costs one run of the expert, not a profile: a sandbox that reproduces the cached
    counts uses them (no profile measured, none rejected)."""
    meter, cache, settings, fingerprint = _valgrind_cache(tmp_path, "reproduce-same")
    with LocalSandbox(meter, workers=1, hide=[str(FIXTURES)]) as box:
        first = Evaluator(box, meter, settings, cache, fingerprint).profile(triangle)
        again = Evaluator(box, meter, settings, cache, fingerprint)
        assert again.profile(triangle).level_costs == first.level_costs
        assert (again.stats.profiles_rejected, again.stats.profiles_measured, again.stats.profiles_cached) == (0, 0, 1)


def test_a_worker_never_judges_against_a_shared_profile_it_does_not_reproduce(triangle, tmp_path, monkeypatch):
    """Ray hands a profile measured on one worker to the others (ItemScorer.use_shared). A worker
    whose sandbox counts the expert differently measures its own: its expert item scores 1.0 and
    is judged against its own counts, and the rejection is counted."""
    options = {"problems": MINI, "meter": "valgrind", "seed": "reproduce-shared", "workers": 1}
    with RewardModel(**options, cache_dir=tmp_path / "here") as here:
        shared = here.scorer.compute_shared("triangle")
        with other_node_path() as path:
            monkeypatch.setenv("PATH", path)
            with RewardModel(**options, cache_dir=tmp_path / "other") as other:  # its runners start here
                other.scorer.use_shared("triangle", shared)
                result = other.score("triangle", f"```python\n{triangle.expert_code}\n```")
                stats = other.stats()
    assert result.passed and result.efficiency == 1.0 and result.reward == 1.0
    assert result.level_costs == result.reference_level_costs
    assert list(result.reference_level_costs) != shared["profile"].level_costs, "the wrapper changed nothing"
    assert stats["profiles_rejected"] == 1 and stats["profiles_measured"] == 1


def _edited_cache(triangle, tmp_path, edit):
    """A profile of ``triangle`` measured into a fresh cache, then edited on disk by ``edit``
    (a function of its JSON); returns (an evaluator on that cache in the same environment, its
    record of the expert, the profile first measured)."""
    import json

    meter, cache, settings, fingerprint = _valgrind_cache(tmp_path, "reproduce-edited")
    with LocalSandbox(meter, workers=1, hide=[str(FIXTURES)]) as box:
        first = Evaluator(box, meter, settings, cache, fingerprint).profile(triangle)
        (path,) = list((tmp_path / "references").rglob("*.json"))
        data = json.loads(path.read_text())
        edit(data["value"])
        path.write_text(json.dumps(data))
        ev = Evaluator(box, meter, settings, cache, fingerprint)
        record = ev.evaluate(triangle, triangle.expert_code)
    return ev, record, first


def test_a_cached_profile_edited_away_from_its_check_test_is_measured_again(triangle, tmp_path):
    """The check run covers one test; a profile whose last level's cost was edited on disk (or
    whose tests' costs were emptied, or made null) no longer holds together, and is measured
    again instead of being judged against (red team: an edit of 5 instructions on a level the
    check test is not in scored the expert 0.99999989; null costs crashed every answer)."""

    def lower_last_level(data):
        data["level_costs"][-1] -= 5

    def empty_tests(data):
        data["test_costs"] = {}

    def null_tests(data):
        data["test_costs"] = dict.fromkeys(data["test_costs"])

    for edit in (lower_last_level, empty_tests, null_tests):
        ev, record, first = _edited_cache(triangle, tmp_path / edit.__name__, edit)
        assert record.efficiency == 1.0, edit.__name__
        assert record.reference_level_costs == first.level_costs, edit.__name__
        assert (ev.stats.profiles_rejected, ev.stats.profiles_measured) == (1, 1), edit.__name__


#: an expert whose count follows the clock (the size of a list it builds and drops)
CLOCK_EXPERT = (
    "import time\n\n\ndef triangle(n):\n"
    "    _ = [0] * (time.perf_counter_ns() % 4096)\n"
    "    return sum(range(1, n + 1))\n"
)


def test_problems_check_fails_an_expert_whose_count_is_not_reproducible(valgrind_box, tmp_path):
    """Invariant: under an exact meter, `problems check` passes a problem only if its expert,
    measured again as a sample, costs what its profile says at every level (so it scores exactly
    1); an expert whose count follows the clock fails it, naming the levels. The bundled
    fixture's expert passes the same check (no false alarm)."""
    import shutil

    from effbench.check import check_problem
    from effbench.problems import load_problem_set

    shutil.copytree(MINI.parent, tmp_path / "mini")
    (tmp_path / "mini" / "references" / "triangle" / "expert.py").write_text(CLOCK_EXPERT)
    clocked = load_problem_set(tmp_path / "mini" / "problems").get("triangle")
    settings = EngineSettings(input_seed="check-reproducible")
    failed = check_problem(clocked, Evaluator(valgrind_box, valgrind_box.meter, settings))
    assert any("not reproducible" in error for error in failed.errors), failed.errors
    steady = check_problem(
        load_problem_set(MINI).get("triangle"), Evaluator(valgrind_box, valgrind_box.meter, settings)
    )
    assert steady.ok, steady.errors
