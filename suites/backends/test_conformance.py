"""Every selected backend against the reference: op x case x dtype x direction.

Fixed cases from the catalog, then hypothesis-generated ones for the ops that
have a strategy. A failure names backend, op, case, dtype and direction, the
worst element with both values, and the ``cnnbench check`` line that replays it
(a generated case is saved to ``.cnnbench/cases/`` and replayed with ``--case-file``).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cnnbench.conformance import directions
from cnnbench.pytest_backends import loaded_backends
from cnnbench.reference.catalog import OPS
from suites.verdict import check_and_assert

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
def test_fixed_case(loaded_backend, dtype, op, case, direction, pytestconfig):
    check_and_assert(loaded_backend, op, case, dtype, direction, loaded_backends(pytestconfig))


@pytest.mark.parametrize("op,direction", GENERATED)
@given(data=st.data())
def test_generated_case(loaded_backend, dtype, op, direction, pytestconfig, data):
    """Drawn inside the test, so that each parametrization has its own hypothesis database key."""
    backend = loaded_backend.backend
    needed = op.name if direction == "forward" else f"{op.name}_backward"
    if not backend.implements(needed):
        pytest.skip(f"not implemented: {needed}")
    case = data.draw(op.strategy(), label="case")
    check_and_assert(loaded_backend, op, case, dtype, direction, loaded_backends(pytestconfig))
