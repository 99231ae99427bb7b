"""Planted bugs in copies of the PyTorch, TensorFlow and Triton backends are all caught."""

from __future__ import annotations

import pytest

from backends.registry import BUILTINS, load
from cnnbench.conformance import check, directions
from reference.catalog import CATALOG
from suites.harness.framework_mutants import MUTANTS


def _base(name: str) -> type:
    loaded = load(name)
    if not loaded.ok:
        pytest.skip(f"{name}: {loaded.reason}")
    module, _, attr = BUILTINS[name].partition(":")
    return getattr(__import__(module, fromlist=[attr]), attr)


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: f"{m.backend}-{m.name}")
def test_planted_bug_is_caught(mutant):
    backend = mutant.build(_base(mutant.backend))
    op = CATALOG[mutant.op]
    statuses = [
        check(backend, op, case, dtype, direction).status
        for case in op.cases()
        for dtype in ("float64", "float32")
        for direction in directions(op)
    ]
    assert "fail" in statuses or "error" in statuses, f"{mutant.backend} '{mutant.name}' went unnoticed: {statuses}"
