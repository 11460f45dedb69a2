"""Public names of a package resolved on first use (PEP 562), so importing the package stays cheap.

``effbench`` and ``effbench.reward`` both use it: importing either loads neither numpy nor the
engine until a name that needs them is used.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_names(
    package: str, namespace: dict[str, Any], table: dict[str, tuple[str, str]]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A module's ``__getattr__`` and ``__dir__`` resolving the names of ``table`` on first use.

    ``table`` maps a public name to (module, attribute); ``package`` is the module's name for
    the error message, ``namespace`` its ``globals()``, where a resolved name is kept so that the
    next use does not come back here. ``__dir__`` lists the names of ``namespace["__all__"]``.
    The returned ``__getattr__`` raises AttributeError for a name not in ``table``, and
    ImportError when its module cannot be imported.
    """

    def __getattr__(name: str) -> Any:
        """Resolve a public name on first use (PEP 562)."""
        try:
            module_name, attr = table[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        value = getattr(importlib.import_module(module_name), attr)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        """The public names."""
        return sorted(namespace["__all__"])

    return __getattr__, __dir__
