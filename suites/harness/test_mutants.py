"""The conformance check catches every planted bug (and so cannot be a check that never fails),
in every dtype the NumPy backend runs, by a failing check (a crash does not count)."""

from __future__ import annotations

import pytest

from backends.numpy_backend import NumpyBackend
from cnnbench.conformance import check, directions
from suites.harness.mutants import MUTANTS


@pytest.mark.parametrize("dtype", NumpyBackend.dtypes)
@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_planted_bug_is_caught(mutant, dtype):
    backend, op = mutant.backend(), mutant.catalog_op
    results = [check(backend, op, case, dtype, d) for case in mutant.cases() for d in directions(op)]
    judged = [r for r in results if r.status != "unsupported"]
    if not judged:
        pytest.skip(f"{op.name} has no case in {dtype}")
    errors = [r.describe() for r in judged if r.status == "error"]
    assert not errors, f"{mutant.name} crashed the check instead of failing it:\n" + "\n".join(errors)
    caught = [r for r in judged if r.status == "fail"]
    assert caught, f"{mutant.name}: no case of {op.name} failed in {dtype}:\n" + "\n".join(
        r.describe() for r in judged[:3]
    )
    assert "reproduce: cnnbench check" in caught[0].describe()
