"""The CPUs this process may run on: the default worker count of effbench's parallel work.

``os.cpu_count()`` counts the machine's CPUs; a container's cpuset, ``taskset`` or a batch scheduler
may allow fewer, and starting more workers than that only makes them queue (and, under the time
meter, disturbs each other's figures). :func:`usable_cpus` reads the process's affinity mask
(``os.sched_getaffinity``, Linux), as ``effbench evaluate --workers`` and
:class:`effbench.RewardModel` default to.
"""

from __future__ import annotations

import os

#: the cap on parallel workers per usable CPU of the local reward executor and of a local Ray
#: runtime: each worker is a warm sandbox runner process (a valgrind-hosted interpreter under that
#: meter; on Ray also an actor process), so more than this only queues
MAX_WORKERS_PER_CPU = 8


def usable_cpus() -> int:
    """How many CPUs this process may run on: its affinity mask's size, >= 1.

    Where the platform has no ``sched_getaffinity`` (macOS, Windows) or it fails, the CPU count
    (``os.cpu_count()``, 1 if unknown).
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


__all__ = ["MAX_WORKERS_PER_CPU", "usable_cpus"]
