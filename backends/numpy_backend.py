"""The NumPy reference as a backend: the thin adapter that runs the catalog's own
functions through the backend contract.

With no arguments it follows the textbook conventions (or the class's own
``conventions``). ``NumpyBackend(conventions)`` binds other choices; the suites
use that to evaluate the reference under a backend's declared conventions.

Ops are looked up when asked for, after the class's own methods: a subclass that
defines ``relu`` (or declares ``conventions``) is checked with its own, so a
plug-in author can copy the reference and change one op.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from functools import partial

from cnnbench.reference.catalog import CATALOG
from cnnbench.reference.conventions import validate

from .base import Backend


def _bind(fn: Callable, conventions: Mapping[str, str]) -> Callable:
    """``fn`` with the conventions it accepts fixed to the given choices."""
    accepted = inspect.signature(fn).parameters
    chosen = {k: v for k, v in conventions.items() if k in accepted}
    return partial(fn, **chosen) if chosen else fn


class NumpyBackend(Backend):
    name = "numpy"

    def __init__(self, conventions: Mapping[str, str] | None = None) -> None:
        declared = type(self).conventions if conventions is None else conventions
        self.conventions = validate(dict(declared), type(self).__name__)

    def __getattr__(self, name: str) -> Callable:
        """The reference function for op ``name`` (or ``name_backward``), bound to the conventions;
        reached only when neither the instance nor its class defines ``name`` (bound once, then kept)."""
        base = name.removesuffix("_backward")
        op = CATALOG.get(base)
        fn = None if op is None else (op.forward if name == base else op.backward)
        if fn is None:
            raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")
        bound = self.__dict__[name] = _bind(fn, self.__dict__.get("conventions", {}))
        return bound
