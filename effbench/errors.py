"""Errors that reach the user as one clear line and exit code 2."""

from __future__ import annotations


class EffbenchError(Exception):
    """Bad input or configuration: printed as one line, exit code 2, nothing half-written."""

    exit_code = 2


class ProblemFormatError(EffbenchError):
    """A problem definition breaks the format of problems/README.md."""


class ProblemError(EffbenchError):
    """One problem cannot be evaluated (e.g. its checker raises).

    That problem is skipped with a warning naming it, and the run goes on; never the candidate's fault.
    """


class CheckerError(ProblemError):
    """A problem's custom checker raised, or cannot be called, or rejects the expert's own answer."""


class SampleFileError(EffbenchError):
    """A samples file is malformed or names unknown problems."""


class SandboxUnavailable(EffbenchError):
    """A sandbox backend or meter cannot run on this machine."""


class InfrastructureError(Exception):
    """The harness failed (not the candidate): the test is recorded as an infrastructure failure."""


class Terminated(KeyboardInterrupt):
    """SIGTERM reached the command line: it stops the run exactly as Ctrl-C does.

    A KeyboardInterrupt, so every path that stops a run on Ctrl-C (cancel queued samples, record
    every finished one) stops it the same on SIGTERM; the CLI then exits with 143 (128 + 15).
    """
