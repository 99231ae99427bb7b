"""Every selected backend against the reference: op x case x dtype x direction.

Fixed cases from the catalog, then hypothesis-generated ones for the ops that
have a strategy. A failure names backend, op, case, dtype and direction, the
worst element with both values, and the ``cnnbench check`` line that replays it.
"""

from __future__ import annotations

import pytest
from hypothesis import given

from cnnbench.conformance import check, directions
from reference.catalog import OPS
from suites.verdict import assert_conforms

FIXED = [
    pytest.param(op, case, direction, id=f"{op.name}[{case.name}]-{direction}")
    for op in OPS
    for case in op.cases()
    for direction in directions(op)
]

GENERATED = [
    pytest.param(op, direction, id=f"{op.name}-{direction}")
    for op in OPS
    if op.strategy is not None
    for direction in directions(op)
]


@pytest.mark.parametrize("op,case,direction", FIXED)
def test_fixed_case(loaded_backend, dtype, op, case, direction):
    assert_conforms(check(loaded_backend.backend, op, case, dtype, direction, loaded_backend.selector))


@pytest.mark.parametrize("op,direction", GENERATED)
def test_generated_case(loaded_backend, dtype, op, direction):
    backend = loaded_backend.backend
    needed = op.name if direction == "forward" else f"{op.name}_backward"
    if not backend.implements(needed):
        pytest.skip(f"not implemented: {needed}")

    @given(case=op.strategy())
    def conforms(case):
        assert_conforms(check(backend, op, case, dtype, direction, loaded_backend.selector))

    conforms()
