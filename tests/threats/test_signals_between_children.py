"""A test child signals no other process, whichever way the kernel offers.

The children's seccomp filter lets a child signal only itself: ``kill`` to its pid, or to its
process group (pid 0), which the runner makes its own; no descriptor may name another owner for
its I/O signals (``fcntl`` F_SETOWN, F_SETOWN_EX, F_SETSIG: a red team's earlier fix). A red team
(helper-64) found two ways around it, each killing the later repeats of its own request (the
time meter's children of one request are forked before the first runs, with one uid: they wait
at their attach point), so that the request failed as the harness's (``infra``: retried, then
unscored; time meter, three repeats):

- ``setpgid``: the child joined a later repeat's process group (same session), blocked SIGTERM,
  sent it to its group with ``kill(0, ...)``, went back to a group of its own and answered;
- ``ioctl`` FIOSETOWN (and SIOCSPGRP): F_SETOWN by another name; a socket owned by a later
  repeat's child, FIOASYNC, one byte sent: the child died of SIGIO.

Now ``setpgid`` is refused but for a group of the child's own, and those ioctl requests are too.
"""

from __future__ import annotations

import json
import textwrap

from effbench.meters.timing import TimeMeter
from effbench.meters.valgrind import ValgrindMeter
from effbench.sandboxes.base import Limits, TestRequest
from effbench.sandboxes.local import LocalSandbox

#: joins the process group of every nearby process it may (its siblings of the request), sends
#: SIGTERM to that group with SIGTERM blocked here, then goes back to a group of its own
SIGNALS_ITS_SIBLINGS_THROUGH_THEIR_GROUP = """
import os, signal

def f():
    me = os.getpid()
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    joined = []
    for pid in list(range(me - 8, me)) + list(range(me + 1, me + 12)):
        try:
            group = os.getpgid(pid)
        except OSError:
            continue
        if group == me:
            continue
        try:
            os.setpgid(0, group)
        except OSError:
            continue
        joined.append(group)
        os.kill(0, signal.SIGTERM)
    os.setpgid(0, 0)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
    return joined
"""


def _every_repeat_answers_and_reached_none(program: str) -> None:
    """Run ``program``'s f() under the time meter with 3 repeats: no infra error, no signal or
    limit, and every repeat answered that it reached no other process (``[]``)."""
    with LocalSandbox(TimeMeter(repeats=3), workers=1) as box:
        run = box.run(TestRequest(textwrap.dedent(program), "f", [], Limits(wall_seconds=10, cpu_seconds=5), 3))
    assert run.infra_error is None, run
    assert run.signal is None and run.killed_for is None, run
    assert json.loads(run.result) == {"ok": True, "value": []}, run
    assert run.other_results == [], run


def test_no_repeat_ends_another_through_its_process_group():
    """Invariant: under the time meter with repeats, a repeat's child can join no other process
    group, so no later repeat dies by its hand and the request is never the harness's failure
    (infra): every repeat answers. Fault: the later repeats died, the sample was unscored."""
    _every_repeat_answers_and_reached_none(SIGNALS_ITS_SIBLINGS_THROUGH_THEIR_GROUP)


#: makes each of the next two pids the owner of a socket's I/O signals and sends on it (SIGIO,
#: whose default action ends a process)
SIGNALS_ITS_SIBLINGS_THROUGH_A_SOCKETS_OWNER = """
import fcntl, os, socket, struct

def f():
    me, reached = os.getpid(), []
    for pid in (me + 1, me + 2):
        a, b = socket.socketpair()
        try:
            fcntl.ioctl(a.fileno(), 0x8901, struct.pack("i", pid))  # FIOSETOWN
        except OSError:
            try:
                fcntl.ioctl(a.fileno(), 0x8902, struct.pack("i", pid))  # SIOCSPGRP
            except OSError:
                continue
        fcntl.ioctl(a.fileno(), 0x5452, struct.pack("i", 1))  # FIOASYNC
        b.send(b"x")
        reached.append(pid)
    return reached
"""


def test_no_repeat_ends_another_through_a_sockets_io_signal():
    """Invariant: under the time meter with repeats, no child can make another process the owner
    of its descriptors' I/O signals (FIOSETOWN, SIOCSPGRP), so no later repeat dies by its hand
    and the request is never the harness's failure. Fault: the later repeats died of SIGIO, the
    sample was unscored (infra)."""
    _every_repeat_answers_and_reached_none(SIGNALS_ITS_SIBLINGS_THROUGH_A_SOCKETS_OWNER)


def test_a_child_cannot_join_its_workers_process_group():
    """Invariant: under valgrind too, a test child's setpgid to any group but its own is refused
    (the worker's group here: kill(0, ...) would then reach every process of it that the child
    may signal)."""
    code = textwrap.dedent("""
        import os

        def f():
            try:
                os.setpgid(0, os.getpgid(os.getppid()))
            except PermissionError:
                return os.getpgrp() == os.getpid()
            return "joined"
    """)
    with LocalSandbox(ValgrindMeter(), workers=1) as box:
        run = box.run(TestRequest(code, "f", [], Limits(wall_seconds=60, cpu_seconds=30)))
    assert json.loads(run.result) == {"ok": True, "value": True}, run
