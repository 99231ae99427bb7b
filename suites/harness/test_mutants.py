"""The conformance check catches every planted bug (and so cannot be a check that never fails),
in every dtype the NumPy backend runs, by a failing check (a crash does not count)."""

from __future__ import annotations

import pytest

from cnnbench.backends.numpy_backend import NumpyBackend
from suites.harness.caught import assert_caught, every_check
from suites.harness.mutants import MUTANTS


@pytest.mark.parametrize("dtype", NumpyBackend.dtypes)
@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_planted_bug_is_caught(mutant, dtype):
    caught = assert_caught(mutant.name, every_check(mutant.backend(), mutant.op, dtype), dtype)
    assert "reproduce: cnnbench check" in caught.describe()
