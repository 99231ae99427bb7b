"""The backend contract.

A backend is one object. Ops are methods with the reference's names and
arguments (``conv2d(x, w, b, *, stride, padding, dilation, groups)``, and
``conv2d_backward(dy, x, w, b, ...)`` returning one gradient per positional
input). A backend whose framework differentiates may instead override ``vjp``,
its reverse mode, which serves every forward that has no ``<op>_backward``.
Arrays go in through ``asarray`` and come out through ``to_numpy``; everything
outside a backend is NumPy in NCHW. A backend declares the conventions it
follows where frameworks legitimately differ (see ``cnnbench.reference.conventions``);
the suites judge it by the reference evaluated under that declaration. An op it
lacks is simply not defined (or raises ``OpNotSupported``) and is reported as
not implemented.

An op that runs in only some of the backend's ``dtypes`` says so in ``op_dtypes``,
keyed by method name: ``{"conv2d": ("float32",), "relu_backward": ("float64",)}``.
A backward without an entry follows its forward's; an op without one runs in every
dtype of ``dtypes``. The harness reports an op in a dtype it does not declare as
not implemented, without calling it.
"""

from __future__ import annotations

import functools
import platform
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import numpy as np


class OpNotSupported(NotImplementedError):
    """The backend has no implementation of this op (or of this op in this dtype)."""

    def __init__(self, backend: str, op: str, reason: str = "not implemented") -> None:
        super().__init__(f"{backend}: {op}: {reason}")
        self.backend, self.op, self.reason = backend, op, reason


class Backend:
    """Base class with the boring parts; subclasses add op methods."""

    name: ClassVar[str] = "unnamed"
    dtypes: ClassVar[tuple[str, ...]] = ("float64", "float32")
    devices: ClassVar[tuple[str, ...]] = ("cpu",)
    conventions: Mapping[str, str] = {}  # only the non-textbook choices need listing
    op_dtypes: ClassVar[Mapping[str, tuple[str, ...]]] = {}  # only the ops limited to some of ``dtypes``
    interpreted: bool = False  # True: kernels run on an interpreter (timed at the small size only)

    def available(self) -> tuple[bool, str]:
        """(True, "") when the backend can run here, else (False, why not)."""
        return True, ""

    def asarray(self, array: np.ndarray, dtype: str | None = None) -> Any:
        """A native array holding ``array`` in ``dtype`` (None: keep integer/float type)."""
        return np.asarray(array, dtype=dtype)

    def to_numpy(self, value: Any) -> np.ndarray:
        """A NumPy array of the native value, in its own dtype (bfloat16 as ``ml_dtypes.bfloat16``)."""
        return np.asarray(value)

    def synchronize(self) -> None:
        """Wait for queued device work (GPU timing must call this)."""

    def set_threads(self, count: int) -> dict[str, int]:
        """Limit the framework's own CPU thread pools to ``count`` threads (timing pins them, so
        that runs compare); return the counts in effect, by pool, for the record. BLAS and OpenMP
        pools NumPy loads are pinned by the harness (threadpoolctl), not here."""
        return {}

    def versions(self) -> dict[str, str]:
        """Versions of what the backend runs on, for the report."""
        return {"numpy": np.__version__, "python": platform.python_version()}

    def dtypes_of(self, name: str) -> tuple[str, ...]:
        """The dtypes op ``name`` (``conv2d``, or ``conv2d_backward``) is declared to run in:
        its ``op_dtypes`` entry, else for a backward its forward's, else ``dtypes``."""
        forward = name.removesuffix("_backward")
        return tuple(self.op_dtypes.get(name, self.op_dtypes.get(forward, self.dtypes)))

    def unsupported(self, exc: Exception) -> str | None:
        """Why ``exc``, raised by an op, means "not implemented here" rather than a failure;
        None when it is a real error. A safety net for limits that depend on the case, the
        device or the framework's version: a dtype an op never runs in belongs in ``op_dtypes``."""
        return None

    def vjp(self, op: str, dy: Any, *inputs: Any, **params: Any) -> tuple[Any, ...]:
        """Reverse mode of forward ``op`` at ``inputs``: ``(dy · ∂op/∂inputs[i] for each i)``,
        one gradient per positional input, shaped like it; ``dy`` is shaped like the forward's
        (first) output. Called for ``<op>_backward`` when the backend defines no such method.
        Autograd backends override it with their framework's reverse mode (torch.autograd,
        tf.GradientTape): exactly what the suites mean to check. The base has none."""
        raise OpNotSupported(self.name, f"{op}_backward", "no backward method and no vjp")

    def _backward_by_vjp(self, name: str) -> Callable[..., Any] | None:
        """``<op>_backward`` through ``vjp``, for a forward the backend has, when it overrides ``vjp``."""
        forward = name.removesuffix("_backward")
        if forward == name or forward.startswith("_") or type(self).vjp is Backend.vjp:
            return None
        if not callable(getattr(self, forward, None)):
            return None
        return functools.partial(self.vjp, forward)

    def op(self, name: str) -> Callable[..., Any]:
        """The method implementing op ``name`` (for a backward without a method of its own, the
        backend's ``vjp``), or ``OpNotSupported``. Errors the backend calls unsupported become
        ``OpNotSupported`` too."""
        fn = getattr(self, name, None) if not name.startswith("_") else None
        if not callable(fn):
            fn = self._backward_by_vjp(name)
        if fn is None:
            raise OpNotSupported(self.name, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except OpNotSupported:
                raise
            except Exception as exc:
                reason = self.unsupported(exc)
                if reason is None:
                    raise
                raise OpNotSupported(self.name, name, reason) from exc

        return call

    def implements(self, name: str) -> bool:
        try:
            self.op(name)
        except OpNotSupported:
            return False
        return True
