"""Verdicts, kill reasons and error kinds: the one place their names are spelled.

They are :class:`enum.StrEnum`, so a member equals its string (``Verdict.OK == "ok"``) and the JSON
of records is the same as before they existed. Definitions follow DESIGN.md, "Metric definitions"
and "Threat model".
"""

from __future__ import annotations

from enum import StrEnum


class Verdict(StrEnum):
    """What one test (and, at its first failing test, one sample) came to.

    ``OK``: the answer is right and the cost is within the budget. ``WRONG``: a wrong answer (or a
    result that is not plain data). ``ERROR``: the candidate raised, returned nothing, or broke an
    output limit. ``CENSORED_BUDGET`` / ``CENSORED_MEMORY``: stopped at the budget ``T`` (or the CPU
    or wall limit derived from it) / at the memory limit; right-censored, never waited for.
    ``KILLED``: killed by a signal the candidate brought on itself. ``INFRA``: the harness failed;
    never counted as slow or wrong code, and such samples are left out of scoring.
    """

    OK = "ok"
    WRONG = "wrong"
    ERROR = "error"
    CENSORED_BUDGET = "censored_budget"
    CENSORED_MEMORY = "censored_memory"
    KILLED = "killed"
    INFRA = "infra"

    @property
    def censored(self) -> bool:
        """True for the verdicts of a run stopped at a limit (budget or memory)."""
        return self in CENSORED

    @property
    def failed(self) -> bool:
        """True for the verdicts that make a sample fail (score 0): wrong, error, killed, infra."""
        return self not in (Verdict.OK, *CENSORED)


#: The censoring verdicts: DESIGN.md "censoring at level l zeroes levels j >= l".
CENSORED: tuple[Verdict, ...] = (Verdict.CENSORED_BUDGET, Verdict.CENSORED_MEMORY)


class KillReason(StrEnum):
    """Which limit stopped a run from outside (``TestRun.killed_for``)."""

    WALL = "wall"
    INSTRUCTIONS = "instructions"
    #: the kernel's CPU-time limit, as the runner measured it (a signal the candidate sent
    #: itself is not this)
    CPU = "cpu"
    MEMORY = "memory"
    OUTPUT = "output"
    #: more threads at once than the sandbox allows (the runner's poll; under valgrind,
    #: valgrind's own limit stops the child first: a MeterAnomaly naming it)
    THREADS = "threads"


class ErrorKind(StrEnum):
    """The harness's own names for a failure, stored in ``error_type``.

    A candidate's exception keeps its type name there instead (``ZeroDivisionError``...), so
    ``error_type`` is a plain string that is one of these members or an exception's name.
    """

    INFRASTRUCTURE = "InfrastructureError"
    NO_RESULT = "NoResult"
    BAD_RESULT = "BadResult"
    OUTPUT_TOO_LARGE = "OutputTooLarge"
    OUTPUT_LIMIT = "OutputLimit"
    NOT_PLAIN_DATA = "NotPlainData"
    #: results refused in the child: nested deeper than the runner's MAX_DEPTH, or too large
    RESULT_TOO_DEEP = "ResultTooDeep"
    RESULT_TOO_LARGE = "ResultTooLarge"
    #: the meter's count for a test could not be trusted (missing, duplicated, negative): the
    #: candidate may have caused it, so it fails the test
    METER_ANOMALY = "MeterAnomaly"
    #: the test left files in its scratch folder that could not be removed
    SCRATCH_LEFT = "ScratchLeft"
    #: the child ran more threads at once than the sandbox allows, and was stopped from outside
    THREAD_LIMIT = "ThreadLimit"
    MEMORY_ERROR = "MemoryError"
    NO_CODE = "NoCode"
    #: the reward API's items that never ran: not readable as an item, or of an unknown problem
    MALFORMED_ITEM = "MalformedItem"
    UNKNOWN_PROBLEM = "UnknownProblem"
    CHECKER_ERROR = "CheckerError"
    EXCEPTION = "Exception"


__all__ = ["CENSORED", "ErrorKind", "KillReason", "Verdict"]
