"""The three-way cross-check: when a backend fails against the reference, ask the
other frameworks.

If another independent backend fails the same check too, and the two agree with
each other (one used as the yardstick for the other, in float64 where it can),
the reference is the likelier culprit, and the failure says so.
"""

from __future__ import annotations

from collections.abc import Iterable

from backends.base import Backend
from backends.numpy_backend import NumpyBackend
from reference.cases import Case
from reference.catalog import Op

from .conformance import check


def reference_suspect(
    backend: Backend,
    others: Iterable[Backend],
    op: Op,
    case: Case,
    dtype: str,
    direction: str,
    reference: Backend | None = None,
) -> str:
    """A sentence naming the reference as the suspect, or "" when nothing points at it."""
    for other in others:
        if other is backend or isinstance(other, NumpyBackend) or dtype not in other.dtypes:
            continue
        if check(other, op, case, dtype, direction, reference=reference).status != "fail":
            continue
        if check(backend, op, case, dtype, direction, reference=other).passed:
            return (
                f"{backend.name} and {other.name} agree with each other and both disagree with the "
                f"reference: the reference is the suspect"
            )
    return ""
