"""How a benchmark script ends: its own exit status, or one line for bad input or Ctrl-C.

Every script in ``benchmarks/`` runs its ``main`` through :func:`run_main`, so that an unknown
problem, meter or executor (an :class:`~effbench.errors.EffbenchError` raised by effbench while the
script sets up) is one line naming it with exit status 2, a sandbox that fails (an
:class:`~effbench.errors.InfrastructureError`, e.g. valgrind refusing an option: its own words)
one line with status 1, and Ctrl-C one line with 130, never a traceback. Sandboxes, Ray
runtimes and temporary folders are closed by the scripts' own ``with`` blocks on the way out.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import NoReturn

from effbench.errors import EffbenchError, InfrastructureError


def run_main(main: Callable[[], int | None], name: str) -> NoReturn:
    """Run ``main`` and exit with its status (None is 0); 2 on EffbenchError, 1 on
    InfrastructureError, 130 on Ctrl-C."""
    try:
        status = main()
    except EffbenchError as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        sys.exit(2)
    except InfrastructureError as exc:
        print(f"{name}: the sandbox failed: {exc}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print(f"{name}: interrupted", file=sys.stderr)
        sys.exit(130)
    sys.exit(status or 0)
