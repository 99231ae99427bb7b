"""The NumPy reference as a backend: the thin adapter that runs the catalog's own
functions through the backend contract.

With no arguments it follows the textbook conventions. ``NumpyBackend(conventions)``
binds other choices; the suites use that to evaluate the reference under a
backend's declared conventions.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from functools import partial

from reference.catalog import OPS
from reference.conventions import validate

from .base import Backend


def _bind(fn: Callable, conventions: Mapping[str, str]) -> Callable:
    """``fn`` with the conventions it accepts fixed to the given choices."""
    accepted = inspect.signature(fn).parameters
    chosen = {k: v for k, v in conventions.items() if k in accepted}
    return partial(fn, **chosen) if chosen else fn


class NumpyBackend(Backend):
    name = "numpy"

    def __init__(self, conventions: Mapping[str, str] | None = None) -> None:
        chosen = validate(dict(conventions or {}), "NumpyBackend")
        self.conventions = chosen
        for op in OPS:
            setattr(self, op.name, _bind(op.forward, chosen))
            if op.backward is not None:
                setattr(self, f"{op.name}_backward", _bind(op.backward, chosen))
