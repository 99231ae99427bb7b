"""Finding backends: the built-ins, installed plug-ins, and explicit ``module:attr``.

    built-in     a short name in BUILTINS
    entry point  packages declaring ``[project.entry-points."cnnbench.backends"]``
    explicit     "package.module:attr" on the command line or in $CNNBENCH_BACKENDS
                 (several separated by commas)

``attr`` may be a Backend instance, a class, or a factory taking no arguments.
A backend that fails to import or to construct, or reports itself unavailable,
comes back as a ``LoadedBackend`` with ``backend=None`` and the reason; the
others are unaffected.
"""

from __future__ import annotations

import importlib
import os
import traceback
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import entry_points

from cnnbench.reference.catalog import CATALOG
from cnnbench.reference.conventions import validate

from .base import Backend

BUILTINS: dict[str, str] = {
    "numpy": "cnnbench.backends.numpy_backend:NumpyBackend",
    "torch": "cnnbench.backends.torch_backend:TorchBackend",
    "tensorflow": "cnnbench.backends.tensorflow_backend:TensorFlowBackend",
    "triton": "cnnbench.backends.triton_backend:TritonBackend",
}
ENTRY_POINT_GROUP = "cnnbench.backends"
ENV_VAR = "CNNBENCH_BACKENDS"


@dataclass(frozen=True)
class LoadedBackend:
    name: str  # the backend's own name once loaded, else what was asked for
    selector: str  # what ``load`` was given: a name, or module:attr (used by reproducers)
    spec: str  # the module:attr it was imported from
    backend: Backend | None
    reason: str = ""  # why ``backend`` is None

    @property
    def ok(self) -> bool:
        return self.backend is not None


def _plugin_specs() -> dict[str, str]:
    """Entry-point plug-ins, then $CNNBENCH_BACKENDS, keyed by name."""
    specs = {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}
    for spec in filter(None, (s.strip() for s in os.environ.get(ENV_VAR, "").split(","))):
        specs[spec] = spec
    return specs


def known_specs() -> dict[str, str]:
    """Built-ins, then plug-ins (an entry point named like a built-in does not replace it: see plugin_clashes)."""
    return {**BUILTINS, **{name: spec for name, spec in _plugin_specs().items() if name not in BUILTINS}}


def plugin_clashes() -> list[str]:
    """One message per installed entry point that takes a built-in's name."""
    return [
        f"the entry point {name!r} ({spec}) takes the name of the built-in {name!r} ({BUILTINS[name]})"
        for name, spec in _plugin_specs().items()
        if name in BUILTINS and spec != BUILTINS[name]
    ]


def _import(spec: str) -> object:
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"backend: expected 'package.module:attr', got {spec!r}")
    obj: object = importlib.import_module(module_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def _validate_op_dtypes(backend: Backend) -> None:
    """Each ``op_dtypes`` key names a catalog op (or a differentiable one's ``_backward``) and
    lists only dtypes the backend runs: a misspelt key would silently leave the op undeclared."""
    for name, dtypes in backend.op_dtypes.items():
        op = CATALOG.get(name.removesuffix("_backward"))
        if op is None or (name != op.name and not op.differentiable):
            raise ValueError(f"op_dtypes: {name!r} is no op of the catalog, nor the backward of a differentiable one")
        if extra := [d for d in dtypes if d not in backend.dtypes]:
            raise ValueError(f"op_dtypes: {name} lists {', '.join(extra)}, not among dtypes {backend.dtypes}")


def load(name: str, spec: str | None = None) -> LoadedBackend:
    """Load one backend by built-in/plug-in name or by explicit ``module:attr``."""
    specs = known_specs()
    if spec is None:
        if name in specs:
            spec = specs[name]
        elif ":" in name:
            spec = name
        else:
            return LoadedBackend(name, name, "", None, f"unknown backend {name!r}; known: {', '.join(sorted(specs))}")
    try:
        obj = _import(spec)
        backend = obj() if callable(obj) and not isinstance(obj, Backend) else obj
        for attr in ("name", "available", "asarray", "to_numpy", "op"):
            if not hasattr(backend, attr):
                raise TypeError(f"{spec} gave {type(backend).__name__}, which lacks Backend.{attr}")
        validate(dict(backend.conventions), backend.name)
        _validate_op_dtypes(backend)
        usable, why = backend.available()
    except Exception as exc:  # a broken plug-in is reported, never fatal
        last = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return LoadedBackend(name, name, spec, None, f"failed to load {spec}: {last}")
    builtin = BUILTINS.get(backend.name)
    if builtin is not None and builtin != spec:
        why = f"{spec} reports the name {backend.name!r} of the built-in {builtin}: give it a name of its own"
        return LoadedBackend(name, name, spec, None, why)
    if not usable:
        return LoadedBackend(backend.name, name, spec, None, f"unavailable: {why}")
    return LoadedBackend(backend.name, name, spec, backend)


def discover(selected: Iterable[str] | None = None) -> list[LoadedBackend]:
    """The selected backends, or every known one, each loaded or with its reason."""
    names = list(selected) if selected else list(known_specs())
    return [load(name) for name in names]
