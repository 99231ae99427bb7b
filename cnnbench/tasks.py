"""What the runner asks of a backend, as tasks a worker runs (``cnnbench.worker``).

Each takes the ``LoadedBackend`` first and returns plain data (dicts, ``Result``,
arrays) that crosses a process boundary. None raises for the backend's fault: what
the backend does wrong, including ``SystemExit``, comes back as data.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import sys
import traceback

import numpy as np

from cnnbench.backends.numpy_backend import NumpyBackend
from cnnbench.backends.registry import LoadedBackend
from cnnbench.reference.cases import Case
from cnnbench.reference.catalog import CATALOG
from cnnbench.reference.conventions import validate

from . import crosscheck
from .conformance import Result, check
from .observe import observe
from .tolerance import DTYPES

DETAIL_LIMIT = 4000  # characters of a message kept in a result or a report


def bounded(text: str, limit: int = DETAIL_LIMIT) -> str:
    """``text``, or its first ``limit`` characters and a note of its full size."""
    return text if len(text) <= limit else f"{text[:limit]}… [truncated: {len(text):,} characters in all]"


def raised(what: str, exc: BaseException) -> str:
    """One line, bounded: ``what`` raised which exception, with its message."""
    return bounded(f"{what} raised " + traceback.format_exception_only(type(exc), exc)[-1].strip())


def _origin(spec: str) -> dict[str, str]:
    """Where a backend's code comes from: its module's file and its distribution's version."""
    module_name = spec.partition(":")[0]
    module = sys.modules.get(module_name)
    top = module_name.partition(".")[0]
    dists = importlib.metadata.packages_distributions().get(top, [])
    versions = ", ".join(f"{d} {importlib.metadata.version(d)}" for d in dists)
    return {"module": str(getattr(module, "__file__", "") or ""), "distribution": versions or "not installed"}


def describe(loaded: LoadedBackend) -> dict:
    """Name, spec, whether it runs (and why not), dtypes, declared conventions, versions, origin."""
    info = {"name": loaded.name, "spec": loaded.spec, "selector": loaded.selector, "ok": loaded.ok}
    info["reason"] = bounded(loaded.reason)
    b = loaded.backend
    if b is None:
        return info
    dtypes = b.dtypes
    if not isinstance(dtypes, (tuple, list)) or not dtypes or any(d not in DTYPES for d in dtypes):
        expected = f"a non-empty tuple of {', '.join(DTYPES)}"
        return info | {"ok": False, "reason": f"dtypes: expected {expected}, got {dtypes!r}"}
    try:
        versions = {str(k): str(v) for k, v in b.versions().items()}
    except Exception as exc:
        versions = {"versions()": raised("versions()", exc)}
    declared = validate(dict(b.conventions), b.name)
    conventions = {name: {"declared": choice, "observed": [], "checked": False} for name, choice in declared.items()}
    return info | {
        "dtypes": list(dtypes),
        "versions": versions,
        "conventions": conventions,
        "is_reference": isinstance(b, NumpyBackend),
        "origin": _origin(loaded.spec),
    }


def check_one(loaded: LoadedBackend, op: str, case: Case, dtype: str, direction: str) -> Result:
    """One conformance check; an op that raises even ``SystemExit`` is an error result."""
    try:
        result = check(loaded.backend, CATALOG[op], case, dtype, direction, loaded.selector)
    except BaseException as exc:
        detail = raised("the check", exc)
        return Result(loaded.name, op, case.name, dtype, direction, "error", detail=detail, selector=loaded.selector)
    return dataclasses.replace(result, detail=bounded(result.detail))


def observe_one(loaded: LoadedBackend, convention: str, ops: list[str]) -> dict:
    """The observed choices of one convention on ``ops``, with the evidence against each choice ruled out."""
    try:
        o = observe(loaded.backend, convention, ops=[CATALOG[name] for name in ops])
    except BaseException as exc:
        return {"error": raised(f"observing {convention}", exc)}
    return {
        "declared": o.declared,
        "observed": list(o.matching),
        "checked": o.checked,
        "ruled_out": {choice: bounded(e.describe()) for choice, e in o.ruled_out.items()},
    }


def peer_outputs(
    loaded: LoadedBackend, op: str, case: Case, dtype: str, direction: str, dy: np.ndarray | None
) -> tuple[str, dict[str, np.ndarray]] | None:
    """For the cross-check: ``crosscheck.peer_outputs`` of this worker's backend."""
    return crosscheck.peer_outputs(loaded.backend, CATALOG[op], case, dtype, direction, dy)


def own_outputs(
    loaded: LoadedBackend, op: str, case: Case, dtype: str, direction: str, dy: np.ndarray | None
) -> dict[str, np.ndarray] | None:
    """For the cross-check: ``crosscheck.own_outputs`` of this worker's backend."""
    return crosscheck.own_outputs(loaded.backend, CATALOG[op], case, dtype, direction, dy)
