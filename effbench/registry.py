"""Small lazy registries: sandboxes, meters, importers and executors by name.

An entry is a dotted target (``"package.module:attribute"``) imported on first use, so that
``import effbench`` stays cheap and a backend's heavy dependencies (the Docker SDK, datasets) load
only when it is chosen; or an object registered at run time (e.g. a Ray executor's sandbox). The
CLI's choices are the registries' names, and an unknown name is answered with the known ones.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from effbench.errors import EffbenchError, SandboxUnavailable

T = TypeVar("T")


class Registry(Generic[T]):
    """Names to lazily imported objects (classes or factories).

    Example::

        SANDBOXES.register("ray", "my_pkg.ray_sandbox:RaySandbox")
        SANDBOXES.get("ray")  # imports my_pkg.ray_sandbox on first use
    """

    def __init__(self, kind: str, entries: dict[str, str], error: type[EffbenchError] = EffbenchError) -> None:
        """Create a registry.

        Args:
            kind: what the names name, for error messages ("sandbox", "meter", "format").
            entries: name -> ``"module:attribute"``.
            error: the exception raised for an unknown name (an EffbenchError: one line, exit 2).
        """
        self.kind = kind
        self.error = error
        self._targets: dict[str, str | T] = dict(entries)
        self._lock = threading.Lock()

    @property
    def names(self) -> tuple[str, ...]:
        """The registered names, in registration order (the CLI's choices)."""
        return tuple(self._targets)

    def register(self, name: str, target: str | T) -> None:
        """Add or replace ``name``: a ``"module:attribute"`` string or the object itself."""
        with self._lock:
            self._targets[name] = target

    def get(self, name: str) -> T:
        """The object registered as ``name``, imported on first use.

        Raises:
            EffbenchError (the registry's ``error`` class): ``name`` is unknown; the message lists
                the known names.
        """
        with self._lock:
            try:
                target = self._targets[name]
            except KeyError:
                raise self.error(f"unknown {self.kind} {name!r}; known: {', '.join(self._targets)}") from None
            if isinstance(target, str):  # "module:attribute", or "module" for the module itself
                module_name, _, attr = target.partition(":")
                module = importlib.import_module(module_name)
                target = getattr(module, attr) if attr else module
                self._targets[name] = target
            return target  # type: ignore[return-value]


def _meter_factory(name: str) -> Callable[..., Any]:
    def make(**options: Any) -> Any:
        from effbench.meters import get_meter

        return get_meter(name, **options)

    make.__doc__ = f"The {name} meter (see effbench.meters.get_meter)."
    return make


#: Sandbox backends: name -> class taking ``(meter, workers=..., **options)``.
SANDBOXES: Registry[Any] = Registry(
    "sandbox",
    {"local": "effbench.sandboxes.local:LocalSandbox", "docker": "effbench.sandboxes.docker:DockerSandbox"},
    SandboxUnavailable,
)

#: Meters: name -> factory taking the meter's options (``auto`` is :func:`effbench.meters.choose_meter`).
METERS: Registry[Callable[..., Any]] = Registry("meter", {}, SandboxUnavailable)
for _name in ("perf", "valgrind", "time"):
    METERS.register(_name, _meter_factory(_name))

#: Published formats: name -> the importer module (``problem_from_row(row, index, where)``, and
#: optionally ``selections(ids)``).
IMPORTERS: Registry[Any] = Registry(
    "format", {"enamel": "effbench.importers.enamel", "evalperf": "effbench.importers.evalperf"}
)

#: Executors (``effbench.executors.get_executor``): name -> class taking its options (``workers``,
#: ``address``...); see :mod:`effbench.executors.base`.
EXECUTORS: Registry[Any] = Registry(
    "executor",
    {"local": "effbench.executors.local:LocalExecutor", "ray": "effbench.executors.ray_executor:RayExecutor"},
)

__all__ = ["EXECUTORS", "IMPORTERS", "METERS", "SANDBOXES", "Registry"]
