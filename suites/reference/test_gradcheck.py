"""The reference proves its backward passes: float64 finite differences, every
differentiable op, every smooth fixed case and hypothesis-generated ones."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given

from cnnbench.gradcheck import gradcheck
from cnnbench.reference.catalog import OPS

DIFFERENTIABLE = [op for op in OPS if op.differentiable]
SMOOTH = [
    pytest.param(op, case, id=f"{op.name}[{case.name}]") for op in DIFFERENTIABLE for case in op.cases() if case.smooth
]


def step(case) -> float:
    """Finite-difference step: 1e-6, grown as sqrt(M) with the inputs' largest magnitude M > 1.
    x + h v must still resolve h v (relative rounding eps M / h, 2e-8 at M = 1e4) while the
    truncation error, O(h^2) on the scale the op varies on, stays far below gradcheck's 1e-6."""
    largest = max((float(np.max(np.abs(x))) for x in case.inputs if np.size(x)), default=1.0)
    return 1e-6 * math.sqrt(max(largest, 1.0))


def assert_gradients(op, case):
    bad = [r for r in gradcheck(op.forward, op.backward, case.inputs, case.params, h=step(case)) if not r.ok]
    assert not bad, f"{op.name}[{case.name}] wrong gradient of input {bad[0].input_index}: {bad[0]}"


@pytest.mark.parametrize("op,case", SMOOTH)
def test_fixed_case(op, case):
    assert_gradients(op, case)


@pytest.mark.parametrize("op", [op for op in DIFFERENTIABLE if op.strategy], ids=lambda op: op.name)
def test_generated_case(op):
    given(case=op.strategy())(lambda case: assert_gradients(op, case))()


def test_every_differentiable_op_has_a_smooth_case():
    covered = {op.name for op, _ in (p.values for p in SMOOTH)}
    assert covered == {op.name for op in DIFFERENTIABLE}


def test_gradcheck_rejects_a_wrong_gradient():
    """Negative control: a backward off by a factor 1.001 on one input is caught."""
    op = next(op for op in OPS if op.name == "conv2d")
    case = op.cases()[0]

    def off(dy, *inputs, **params):
        dx, dw, db = op.backward(dy, *inputs, **params)
        dw = dw.copy()
        dw[0, 0, 0, 0] *= 1.001
        return dx, dw, db

    records = gradcheck(op.forward, off, case.inputs, case.params)
    assert [r.ok for r in records if r.input_index == 0] == [True] * 3
    assert not any(r.ok for r in records if r.input_index == 1)
