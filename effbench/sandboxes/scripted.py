"""A sandbox that runs nothing: it answers from a function.

For tests of everything above the sandbox (classification, early stopping, scoring, run
directories), like httpx's MockTransport.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from effbench.meters.base import Cost
from effbench.sandboxes.base import TestRequest, TestRun


def answer(value: Any, cost: float, **fields: Any) -> TestRun:
    """A TestRun whose child returned ``value`` (plain data) at ``cost``."""
    import json

    from effbench import codec

    return TestRun(
        cost=Cost(cost), result=json.dumps({"ok": True, "value": codec.encode(value)}), exit_code=0, **fields
    )


class ScriptedSandbox:
    """A :class:`~effbench.sandboxes.base.Sandbox` whose ``run`` calls ``handler``. Thread-safe."""

    name = "scripted"

    def __init__(self, handler: Callable[[TestRequest], TestRun]) -> None:
        """Answer every request with ``handler(request)``; requests are kept in :attr:`requests`."""
        self.handler = handler
        self.facts = {"backend": "scripted"}
        self.requests: list[TestRequest] = []
        self._lock = threading.Lock()

    def run(self, request: TestRequest) -> TestRun:
        """Record the request and return the handler's answer."""
        with self._lock:
            self.requests.append(request)
        return self.handler(request)

    def close(self) -> None:
        """Nothing to stop."""
        pass
