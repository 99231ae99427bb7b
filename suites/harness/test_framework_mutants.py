"""Planted bugs in copies of the PyTorch, TensorFlow and Triton backends are all caught,
in every dtype the parent backend runs: a check the unchanged parent passes fails (a crash
does not count)."""

from __future__ import annotations

from functools import cache

import pytest

from backends.registry import BUILTINS, load
from cnnbench.conformance import Result, check, directions
from cnnbench.tolerance import DTYPES
from reference.catalog import CATALOG
from suites.harness.framework_mutants import MUTANTS


def _base(name: str) -> type:
    loaded = load(name)
    if not loaded.ok:
        pytest.skip(f"{name}: {loaded.reason}")
    module, _, attr = BUILTINS[name].partition(":")
    return getattr(__import__(module, fromlist=[attr]), attr)


def _checks(backend, op_name: str, dtype: str) -> list[Result]:
    op = CATALOG[op_name]
    return [check(backend, op, case, dtype, d) for case in op.cases() for d in directions(op)]


@cache
def _parent_passes(name: str, op_name: str, dtype: str) -> frozenset[tuple[str, str]]:
    """(case, direction) of the checks the unchanged backend passes."""
    return frozenset((r.case, r.direction) for r in _checks(_base(name)(), op_name, dtype) if r.passed)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: f"{m.backend}-{m.name}")
def test_planted_bug_fails(mutant, dtype):
    base = _base(mutant.backend)
    if dtype not in base.dtypes:
        pytest.skip(f"{mutant.backend} does not run {dtype}")
    if mutant.dtypes is not None and dtype not in mutant.dtypes:
        pytest.skip(f"the slip changes nothing in {dtype}")
    judged = [r for r in _checks(mutant.build(base), mutant.op, dtype) if r.status != "unsupported"]
    if not judged:
        pytest.skip(f"{mutant.op} has no case in {dtype}")
    errors = [r.describe() for r in judged if r.status == "error"]
    assert not errors, f"{mutant.backend} '{mutant.name}' crashed the check instead of failing it:\n" + "\n".join(
        errors
    )
    passes = _parent_passes(mutant.backend, mutant.op, dtype)
    caught = [r for r in judged if r.status == "fail" and (r.case, r.direction) in passes]
    statuses = [f"{r.case}-{r.direction}: {r.status}" for r in judged]
    assert caught, f"{mutant.backend} '{mutant.name}' went unnoticed in {dtype}: {statuses}"
