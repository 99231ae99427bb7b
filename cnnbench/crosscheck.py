"""The three-way cross-check: when a backend fails against the reference, ask the
other frameworks.

Another independent backend runs the same case (in float64 where it can, on the
inputs exactly as the failing backend saw them). If it too is far from the
reference, yet the two are ten times closer to each other than either is to the
reference, the reference is the likelier culprit, and the failure says so. Two
backends that merely share a precision limit do not agree that closely.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable

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


def own_outputs(backend: Backend, op: Op, case: Case, dtype: str, direction: str, dy) -> dict | None:
    """The failing backend's outputs, as in its check; None if it cannot give them again."""
    try:
        return execute(backend, op, case, dtype, direction, dy)
    except (Exception, SystemExit):
        return None


def peer_outputs(peer: Backend, op: Op, case: Case, dtype: str, direction: str, dy) -> tuple[str, dict] | None:
    """(precision, outputs) of a peer on the case rounded to ``dtype``, in float64 where it runs
    it; None when it cannot run the case (then it has no say)."""
    precision = "float64" if "float64" in peer.dtypes else dtype
    try:
        return precision, execute(peer, op, rounded_case(case, dtype), precision, direction, dy)
    except (Exception, SystemExit):
        return None


Outputs = Callable[[np.ndarray | None], dict | None]
PeerOutputs = Callable[[np.ndarray | None], tuple[str, dict] | None]


def cross_check(
    name: str,
    ours: Outputs,
    peers: Iterable[tuple[str, PeerOutputs]],
    reference: Backend,
    op: Op,
    case: Case,
    dtype: str,
    direction: str,
) -> str:
    """A sentence naming the reference as the suspect, or "" when nothing points at it. ``ours``
    and each peer's function give outputs for the upstream gradient ``dy`` (the backends may
    live in this process or in workers)."""
    dy = upstream(reference, op, case, dtype, direction)
    expected = expected_outputs(reference, op, case, dtype, direction, dy)
    mine = ours(dy)
    if mine is None:
        return ""
    our_error = _distance(mine, expected)
    for peer, outputs in peers:
        got = outputs(dy)
        if got is None:
            continue
        precision, theirs = got
        their_error = _distance(theirs, expected)
        between = _distance(mine, theirs)
        if min(our_error, their_error) > 0 and between <= AGREEMENT * min(our_error, their_error):
            return (
                f"{name} and {peer} ({precision}) agree with each other (error {between:.3g}) far "
                f"more closely than with the reference (errors {our_error:.3g}, {their_error:.3g}): "
                f"the reference is the suspect"
            )
    return ""


def reference_suspect(
    backend: Backend,
    others: Iterable[Backend],
    op: Op,
    case: Case,
    dtype: str,
    direction: str,
    reference: Backend | None = None,
) -> str:
    """``cross_check`` for backends in this process (NumPy backends are not independent peers)."""
    peers = [
        (other.name, functools.partial(peer_outputs, other, op, case, dtype, direction))
        for other in others
        if other is not backend and not isinstance(other, NumpyBackend)
    ]
    ours = functools.partial(own_outputs, backend, op, case, dtype, direction)
    return cross_check(backend.name, ours, peers, reference or reference_for(backend), op, case, dtype, direction)
