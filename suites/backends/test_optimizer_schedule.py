"""A stateful optimizer step takes this call's hyperparameters, not those of the call that made its state.

Two steps of each optimizer op on the torch backend, float64: the first at lr = 0.1, the second,
carrying the first's state, at lr = 0.02 and another weight decay (a learning-rate schedule does
exactly this). Checked against the reference's two steps:

    |p_backend - p_reference| <= 1e-12 * max |p_reference|        p: the parameter after step 2

Negative control: the reference's second step at the first call's hyperparameters lands outside
that bound, so a backend that kept them would fail.
"""

from __future__ import annotations

import numpy as np
import pytest

from cnnbench.backends.registry import load
from cnnbench.reference import optim

pytest.importorskip("torch")

OPS = ("sgd", "sgd_momentum", "sgd_nesterov", "adagrad", "rmsprop", "adam")
FIRST = {"lr": 0.1, "weight_decay": 0.0}
SECOND = {"lr": 0.02, "weight_decay": 0.1}
BOUND = 1e-12


def two_steps(step, asarray, to_numpy, first: dict, second: dict) -> np.ndarray:
    rng = np.random.default_rng(0)
    param, g1, g2 = (rng.normal(size=(3, 4)) for _ in range(3))
    p, state = step(asarray(param), asarray(g1), state=None, **first)
    p, _ = step(p, asarray(g2), state=state, **second)
    return to_numpy(p)


def reference_two_steps(op: str, second: dict) -> np.ndarray:
    return two_steps(getattr(optim, op), np.asarray, np.asarray, FIRST, second)


@pytest.mark.parametrize("op", OPS)
def test_torch_optimizer_steps_take_this_calls_hyperparameters(op: str) -> None:
    backend = load("torch").backend
    native = two_steps(backend.op(op), lambda a: backend.asarray(a, "float64"), backend.to_numpy, FIRST, SECOND)
    expected = reference_two_steps(op, SECOND)
    assert np.max(np.abs(native - expected)) <= BOUND * np.max(np.abs(expected))


@pytest.mark.parametrize("op", OPS)
def test_keeping_the_first_calls_hyperparameters_is_outside_the_bound(op: str) -> None:
    expected = reference_two_steps(op, SECOND)
    kept = reference_two_steps(op, FIRST)
    assert np.max(np.abs(kept - expected)) > BOUND * np.max(np.abs(expected))
