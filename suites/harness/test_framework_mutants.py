"""Planted bugs in copies of the PyTorch, TensorFlow and Triton backends are all caught,
in every dtype the parent backend runs: a check the unchanged parent passes fails (a crash
does not count)."""

from __future__ import annotations

from functools import cache

import pytest

from cnnbench.backends.registry import BUILTINS, load
from cnnbench.tolerance import DTYPES
from suites.harness.caught import assert_caught, every_check
from suites.harness.framework_mutants import MUTANTS


def _base(name: str) -> type:
    loaded = load(name)
    if not loaded.ok:
        pytest.skip(f"{name}: {loaded.reason}")
    module, _, attr = BUILTINS[name].partition(":")
    return getattr(__import__(module, fromlist=[attr]), attr)


@cache
def _parent_passes(name: str, op_name: str, dtype: str) -> frozenset[tuple[str, str]]:
    """(case, direction) of the checks the unchanged backend passes."""
    return frozenset((r.case, r.direction) for r in every_check(_base(name)(), op_name, dtype) if r.passed)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: f"{m.backend}-{m.name}")
def test_planted_bug_fails(mutant, dtype):
    base = _base(mutant.backend)
    if dtype not in base.dtypes:
        pytest.skip(f"{mutant.backend} does not run {dtype}")
    if mutant.dtypes is not None and dtype not in mutant.dtypes:
        pytest.skip(f"the slip changes nothing in {dtype}")
    results = every_check(mutant.build(base), mutant.op, dtype)
    assert_caught(f"{mutant.backend} '{mutant.name}'", results, dtype, _parent_passes(mutant.backend, mutant.op, dtype))
