"""The three-way cross-check: when a backend fails against the reference, ask the
other frameworks.

Another independent backend runs the same case (in float64 where it can, on the
inputs exactly as the failing backend saw them). If it too is far from the
reference, yet the two are ten times closer to each other than either is to the
reference, the reference is the likelier culprit, and the failure says so. Two
backends that merely share a precision limit do not agree that closely.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from cnnbench.backends.base import Backend
from cnnbench.backends.numpy_backend import NumpyBackend
from cnnbench.reference.cases import Case
from cnnbench.reference.catalog import Op

from .conformance import execute, expected_outputs, reference_for, rounded_case, upstream

AGREEMENT = 0.1


def _distance(actual: dict[str, np.ndarray], expected: dict[str, np.ndarray]) -> float:
    """max |a - r| / max |r| over every output (normwise; inf on a shape mismatch or NaN)."""
    worst = 0.0
    for key, want in expected.items():
        got = actual.get(key)
        if got is None or np.shape(got) != np.shape(want):
            return float("inf")
        a, r = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
        if r.size:
            with np.errstate(invalid="ignore"):
                distance = float(np.max(np.abs(a - r))) / max(float(np.max(np.abs(r))), np.finfo(float).tiny)
            worst = max(worst, distance if np.isfinite(distance) else float("inf"))
    return worst


def peer_precision(peer: Backend, dtype: str) -> str:
    """The dtype a peer runs the failing case in: float64 where it can."""
    return "float64" if "float64" in peer.dtypes else dtype


def suspect(
    name: str, ours: dict[str, np.ndarray], expected: dict[str, np.ndarray], peers: Iterable[tuple[str, str, dict]]
) -> str:
    """A sentence naming the reference as the suspect, or "": ``peers`` are (name, precision,
    outputs) of the other independent backends on the same rounded case and ``dy``."""
    our_error = _distance(ours, expected)
    for peer, precision, theirs in peers:
        their_error = _distance(theirs, expected)
        between = _distance(ours, theirs)
        if min(our_error, their_error) > 0 and between <= AGREEMENT * min(our_error, their_error):
            return (
                f"{name} and {peer} ({precision}) agree with each other (error {between:.3g}) far "
                f"more closely than with the reference (errors {our_error:.3g}, {their_error:.3g}): "
                f"the reference is the suspect"
            )
    return ""


def _peer_outputs(others: Iterable[Backend], backend: Backend, op: Op, case: Case, dtype: str, direction: str, dy):
    for other in others:
        if other is backend or isinstance(other, NumpyBackend):
            continue
        precision = peer_precision(other, dtype)
        try:
            yield other.name, precision, execute(other, op, rounded_case(case, dtype), precision, direction, dy)
        except Exception:  # a peer that cannot run the case has no say
            continue


def reference_suspect(
    backend: Backend,
    others: Iterable[Backend],
    op: Op,
    case: Case,
    dtype: str,
    direction: str,
    reference: Backend | None = None,
) -> str:
    """``suspect`` for backends in this process."""
    ref = reference or reference_for(backend)
    dy = upstream(ref, op, case, dtype, direction)
    expected = expected_outputs(ref, op, case, dtype, direction, dy)
    ours = execute(backend, op, case, dtype, direction, dy)
    return suspect(backend.name, ours, expected, _peer_outputs(others, backend, op, case, dtype, direction, dy))
