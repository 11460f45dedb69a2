"""Progress bars in a log (stderr not a terminal): whole lines, and no more than one per interval."""

from __future__ import annotations

import io

import effbench.progress
from effbench.progress import LOG_INTERVAL_SECONDS, progress_bar


def test_a_fast_bar_in_a_log_writes_no_line_sooner_than_the_log_interval(monkeypatch):
    """Invariant: in a log, a bar's timed lines are at least LOG_INTERVAL_SECONDS apart: tqdm's
    monitor thread, which forces a refresh of a fast bar not printed for ``maxinterval`` seconds,
    waits as long as the bar's own ``mininterval``. Fault it blocks (red team rt-resume): the log's
    bar kept tqdm's maxinterval of 10 s, so a fast bar (190 items/s for 50 s) wrote lines at 0, 30,
    40 and 49 s instead of 0, 30 and 49 s (README: 'at most every 30 s'). The monitor's clock is
    not faked here: the bar's setting is the invariant, the timings were measured."""
    err = io.StringIO()
    monkeypatch.setattr(effbench.progress.sys, "stderr", err)
    with progress_bar(300, "samples", "sample") as bar:
        assert bar.mininterval >= LOG_INTERVAL_SECONDS
        assert bar.maxinterval >= LOG_INTERVAL_SECONDS  # the monitor never refreshes sooner
        bar.update(300)
    lines = err.getvalue().splitlines()
    assert len(lines) == 2 and "300/300" in lines[-1] and "\r" not in err.getvalue(), lines
