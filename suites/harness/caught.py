"""Whether a planted bug is caught in one dtype: shared by the NumPy and the framework plants."""

from __future__ import annotations

from collections.abc import Collection

import pytest

from cnnbench.backends.base import Backend
from cnnbench.conformance import Result, check, directions
from cnnbench.reference.catalog import CATALOG


def every_check(backend: Backend, op_name: str, dtype: str) -> list[Result]:
    """Every catalog case of the op, in both directions where it has a backward."""
    op = CATALOG[op_name]
    return [check(backend, op, case, dtype, d) for case in op.cases() for d in directions(op)]


def assert_caught(plant: str, results: list[Result], dtype: str, parent_passes: Collection | None = None) -> Result:
    """Skip when no case of the op is for ``dtype``; else no check may crash, and one must fail
    (one whose (case, direction) is in ``parent_passes``, when given). Returns the first that did."""
    judged = [r for r in results if r.status != "unsupported"]
    if not judged:
        pytest.skip(f"{results[0].op if results else 'the op'} has no case in {dtype}")
    errors = [r.describe() for r in judged if r.status == "error"]
    assert not errors, f"{plant} crashed the check instead of failing it:\n" + "\n".join(errors)
    caught = [
        r for r in judged if r.status == "fail" and (parent_passes is None or (r.case, r.direction) in parent_passes)
    ]
    statuses = [f"{r.case}-{r.direction}: {r.status}" for r in judged]
    assert caught, f"{plant} went unnoticed in {dtype}: {statuses}"
    return caught[0]
