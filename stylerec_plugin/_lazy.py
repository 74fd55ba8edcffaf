"""Package faces that stay light, and the aliases that keep old import paths working.

A capability package's ``__init__`` lists its public names and where they live
(:func:`lazy_exports`, PEP 562); importing the package imports none of them, so
``import stylerec_plugin.experiments.stats`` needs no Django and a web process never
loads rq or torch by importing a face.

A module that moved leaves a thin alias at its old path that calls :func:`warn_moved`
and re-exports the moved names, for one release.
"""

from __future__ import annotations

import importlib
import sys
import warnings
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(
    package: str, exports: Mapping[str, str], deprecated: Mapping[str, str] | None = None
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``.

    ``exports`` maps a public name to the module (relative to ``package``, or absolute)
    that defines it. ``deprecated`` maps old names to their new module (``"module:new_name"``
    when the name changed too): they still resolve, with a ``DeprecationWarning`` saying
    where to import them from.
    """
    deprecated = dict(deprecated or {})

    def __getattr__(name: str) -> Any:
        if name in exports:
            value = getattr(importlib.import_module(exports[name], package), name)
            sys.modules[package].__dict__[name] = value  # later lookups skip this hook
            return value
        if name in deprecated:
            module_name, _, new_name = deprecated[name].partition(":")
            module = importlib.import_module(module_name, package)
            warnings.warn(
                f"{package}.{name} moved to {module.__name__}.{new_name or name}; import it from there "
                "(the old path goes in the next release).",
                DeprecationWarning,
                stacklevel=2,
            )
            return getattr(module, new_name or name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(set(sys.modules[package].__dict__) | set(exports) | set(deprecated))

    return __getattr__, __dir__


def warn_moved(old: str, new: str) -> None:
    """Warn (``DeprecationWarning``) that module ``old`` moved to ``new``; call it at the alias's top.

    ``stacklevel=3`` names the code that imported the old path: 1 is this function, 2 the
    alias module, and ``warnings`` skips the import machinery's frames itself.
    """
    warnings.warn(
        f"{old} moved to {new}; import from there (the old path goes in the next release).",
        DeprecationWarning,
        stacklevel=3,
    )
