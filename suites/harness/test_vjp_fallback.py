"""A backward the backend does not write out is its ``vjp``: asked for by name, checked like any other,
and absent (not implemented) when the backend has no reverse mode either."""

from __future__ import annotations

import numpy as np
import pytest

from cnnbench.backends.base import Backend, OpNotSupported
from cnnbench.conformance import check
from cnnbench.reference.catalog import CATALOG

RELU = CATALOG["relu"]


class ForwardOnly(Backend):
    name = "forward-only"

    def relu(self, x):
        return np.maximum(x, 0)


class WithVjp(ForwardOnly):
    name = "with-vjp"

    def __init__(self, slope_right: float = 1.0) -> None:
        self.calls: list[tuple[str, tuple[int, ...]]] = []
        self.slope_right = slope_right

    def vjp(self, op, dy, *inputs, **params):
        (x,) = inputs
        self.calls.append((op, x.shape))
        return (dy * self.slope_right * (x > 0),)


def test_a_missing_backward_is_the_backends_vjp_of_that_forward():
    backend = WithVjp()
    x, dy = np.array([-1.0, 2.0]), np.array([3.0, 5.0])
    (dx,) = backend.op("relu_backward")(dy, x)
    assert backend.calls == [("relu", (2,))]
    np.testing.assert_array_equal(dx, [0.0, 5.0])
    assert backend.implements("relu_backward")
    assert not backend.implements("sigmoid_backward")  # no forward, so no backward by vjp


def test_a_vjp_backward_is_judged_like_a_written_one():
    case = RELU.cases()[0]
    assert check(WithVjp(), RELU, case, "float64", "backward").status == "pass"
    assert check(WithVjp(slope_right=0.5), RELU, case, "float64", "backward").status == "fail"


def test_a_written_backward_comes_before_the_vjp():
    class Written(WithVjp):
        def relu_backward(self, dy, x):
            return (dy * (x > 0),)

    backend = Written()
    backend.op("relu_backward")(np.ones(2), np.ones(2))
    assert backend.calls == []


def test_without_a_vjp_a_missing_backward_is_not_implemented():
    backend = ForwardOnly()
    assert not backend.implements("relu_backward")
    with pytest.raises(OpNotSupported, match="relu_backward"):
        backend.op("relu_backward")
    with pytest.raises(OpNotSupported, match="no backward method and no vjp"):
        backend.vjp("relu", np.ones(2), np.ones(2))
