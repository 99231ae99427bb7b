"""The conformance check catches every planted bug (and so cannot be a check that never fails)."""

from __future__ import annotations

import pytest

from cnnbench.conformance import check, directions
from suites.harness.mutants import MUTANTS


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_planted_bug_is_caught(mutant):
    backend, op = mutant.backend(), mutant.catalog_op
    results = [
        check(backend, op, case, dtype, direction)
        for case in mutant.cases()
        for dtype in ("float64", "float32")
        for direction in directions(op)
    ]
    caught = [r for r in results if r.status == "fail"]
    assert caught, f"{mutant.name}: no case of {op.name} failed:\n" + "\n".join(r.describe() for r in results[:3])
    assert "reproduce: cnnbench check" in caught[0].describe()
