"""The terminal tables of a summary (effbench/report.py)."""

from __future__ import annotations

from effbench.report import render


def _summary(speedups: dict[str, float | None]) -> dict:
    """A summary of one model, ``speedups`` per problem (None: no sample passed uncensored)."""
    problems = {
        pid: {
            "n": 1,
            "correct": 1,
            "pass@k": {"1": 1.0},
            "eff@k": {"1": 0.0 if s is None else 0.5},
            "speedup": s,
            "verdicts": {"censored_budget" if s is None else "ok": 1},
        }
        for pid, s in speedups.items()
    }
    present = [s for s in speedups.values() if s]
    overall = {
        "problems": len(problems),
        "pass@k": {"1": 1.0},
        "eff@k": {"1": 0.25},
        "speedup": present[0] if present else None,
    }
    return {"alpha": 2.0, "k": [1], "models": {"slower": {"overall": overall, "problems": problems}}}


def test_an_overall_speedup_from_some_problems_says_from_how_many():
    """Invariant: when a model's OVERALL speedup is the mean over only some of its problems (the
    others had no sample that passed within the budget), the table says over how many. Fault it
    blocks (newcomer): the main job's slower tiers printed 'OVERALL (61 problems) 0.951 0.103 0.56x'
    from 2 of 61 problems, read as half the expert's speed everywhere."""
    text = render(_summary({"a": 0.56, "b": None, "c": None}))
    assert "speedup: over 1 of 3 problems" in text, text
    assert text.splitlines()[-1].startswith("speedup: over 1 of 3 problems"), text


def test_no_speedup_note_when_every_problem_or_none_has_one():
    """Invariant: the note appears only when the overall speedup leaves problems out."""
    assert "speedup: over" not in render(_summary({"a": 1.0, "b": 0.8}))
    assert "speedup: over" not in render(_summary({"a": None, "b": None}))
