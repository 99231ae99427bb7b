"""Inputs that break naive code: the reference survives every one of them."""

from __future__ import annotations

import inspect
import itertools

import numpy as np
import pytest

from cnnbench.reference import activations, batchnorm, conv, dropout, losses, pool, regularization, softmax
from cnnbench.reference.cases import normal
from cnnbench.reference.catalog import CATALOG, OPS
from cnnbench.reference.conventions import CONVENTIONS
from cnnbench.stats import same_distribution


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_softmax_of_huge_logits_is_finite_and_normalised(dtype):
    x = np.array([[1000.0, -1000.0, 999.0], [-1000.0, -1000.0, -1000.0]], dtype=dtype)
    y = softmax.softmax(x)
    assert np.all(np.isfinite(y))
    np.testing.assert_allclose(y.sum(axis=-1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(y[0, :2], [1 / (1 + np.exp(-1.0)), 0.0], rtol=1e-6)
    assert np.all(np.isfinite(softmax.log_softmax(x)))


def test_cross_entropy_of_huge_logits_is_exact():
    z = np.array([[1000.0, -1000.0], [0.0, 2000.0]])
    loss = losses.cross_entropy(z, target=np.array([1, 0]), reduction="sum")
    assert loss == pytest.approx(4000.0, rel=1e-15)


def test_batch_norm_constant_channel_gives_beta_and_finite_gradients():
    x = normal(1, 4, 2, 3, 3)
    x[:, 0] = 5.0
    gamma, beta = np.array([2.0, 1.0]), np.array([0.5, 0.0])
    stats = {"running_mean": np.zeros(2), "running_var": np.ones(2)}
    y, _, var = batchnorm.batch_norm_train(x, gamma, beta, **stats)
    np.testing.assert_array_equal(y[:, 0], 0.5)
    grads = batchnorm.batch_norm_train_backward(normal(2, *x.shape), x, gamma, beta, **stats)
    assert all(np.all(np.isfinite(g)) for g in grads)
    assert var[0] == pytest.approx(0.9)  # 0.9 * 1 + 0.1 * 0


def test_dropout_p0_is_the_identity_and_near_one_rescales():
    x = normal(3, 5, 5)
    np.testing.assert_array_equal(dropout.dropout(x, mask=np.ones_like(x), p=0.0), x)
    mask = dropout.dropout_mask(shape=x.shape, p=0.99, seed=1)
    np.testing.assert_allclose(dropout.dropout(x, mask=mask, p=0.99), x * mask * 100, rtol=1e-12)


def test_kernel_as_large_as_the_padded_input_gives_one_output():
    x, w = normal(4, 1, 2, 3, 3), normal(5, 1, 2, 5, 5)
    assert conv.conv2d(x, w, np.zeros(1), padding=1).shape == (1, 1, 1, 1)


def test_max_pool_ties_route_by_convention():
    x = np.ones((1, 1, 2, 2))
    dy = np.ones((1, 1, 1, 1))
    first = pool.max_pool2d_backward(dy, x, kernel_size=2, maxpool_tie="first")[0]
    split = pool.max_pool2d_backward(dy, x, kernel_size=2, maxpool_tie="split")[0]
    every = pool.max_pool2d_backward(dy, x, kernel_size=2, maxpool_tie="all")[0]
    np.testing.assert_array_equal(first.ravel(), [1, 0, 0, 0])
    np.testing.assert_array_equal(split.ravel(), [0.25] * 4)
    np.testing.assert_array_equal(every.ravel(), [1] * 4)


def test_padded_max_pool_never_returns_minus_infinity():
    x = -np.abs(normal(6, 1, 1, 3, 3)) - 10
    assert np.all(np.isfinite(pool.max_pool2d(x, kernel_size=3, stride=1, padding=1)))


KINKS = [  # op, its keyword params and inputs beyond x, the slope left of 0
    ("relu", {}, (), 0.0),
    ("leaky_relu", {"negative_slope": 0.25}, (), 0.25),
    ("elu", {"alpha": 0.75}, (), 0.75),
    ("prelu", {}, (np.array([0.25]),), 0.25),
]


@pytest.mark.parametrize("name,params,extra,left", KINKS, ids=[k[0] for k in KINKS])
def test_each_kinked_op_takes_its_own_convention_at_zero(name, params, extra, left):
    """At x = 0 the op's own convention picks the left slope or 1; x = -1 and x = 2 are untouched."""
    (convention,) = CATALOG[name].conventions
    backward = getattr(activations, f"{name}_backward")
    x = np.array([[-1.0, 0.0, 2.0]])
    below = backward(np.ones_like(x), x, *extra, **params)[0][0, 0]
    for side, at_zero in (("left", left), ("right", 1.0)):
        dx = backward(np.ones_like(x), x, *extra, **params, **{convention: side})[0]
        np.testing.assert_array_equal(dx, [[below, at_zero, 1.0]])


@pytest.mark.parametrize("name", ["l1_penalty", "elastic_net_penalty"])
def test_l1_gradient_at_zero_follows_the_convention(name):
    w = np.array([-2.0, 0.0, -0.0, 3.0])
    params = {"l1": 0.5} if name == "l1_penalty" else {"l1": 0.5, "l2": 0.0}
    backward = getattr(regularization, f"{name}_backward")
    for choice, at_zero in (("zero", 0.0), ("one", 0.5), ("minus_one", -0.5)):
        (dw,) = backward(np.array(1.0), w, **params, l1_grad_at_zero=choice)
        np.testing.assert_array_equal(dw, [-0.5, at_zero, at_zero, 0.5])


def _call(fn, convention: str, choice: str, *args, **params):
    """``fn`` under ``convention = choice`` where it takes that keyword."""
    extra = {convention: choice} if convention in inspect.signature(fn).parameters else {}
    return fn(*args, **params, **extra)


def _outputs(op, case, convention: str, choice: str) -> list[np.ndarray]:
    """Forward outputs and, for a seeded dy, the gradients (optimizers: the trajectory)."""
    if op.kind == "trajectory":
        hyper = {k: v for k, v in case.params.items() if k != "grads"}
        param, state, path = case.inputs[0], None, []
        for g in case.params["grads"]:
            param, state = _call(op.forward, convention, choice, param, g, state=state, **hyper)
            path.append(param)
        return [np.stack(path)]
    out = _call(op.forward, convention, choice, *case.inputs, **case.params)
    outs = list(out) if isinstance(out, tuple) else [out]
    if op.backward is not None:
        dy = np.random.default_rng(0).standard_normal(np.shape(outs[0]))
        outs += _call(op.backward, convention, choice, dy, *case.inputs, **case.params)
    return outs


def _tells_apart(op, case, convention: str, a: str, b: str) -> bool:
    if op.kind == "statistical":  # independent draws under each choice fail the distribution tests
        first = _call(op.forward, convention, a, **case.params)
        other = _call(op.forward, convention, b, **{**case.params, "seed": case.params["seed"] + 1000})
        return not all(t.ok for t in same_distribution(first, other))
    pairs = zip(_outputs(op, case, convention, a), _outputs(op, case, convention, b), strict=True)
    return not all(np.array_equal(x, y) for x, y in pairs)


@pytest.mark.parametrize("convention", sorted(CONVENTIONS))
def test_the_cases_tell_every_pair_of_choices_apart(convention):
    """Observation can only confirm a declaration if, for every two choices, some case of
    some op that sits on the convention gives different results under them."""
    ops = [op for op in OPS if convention in op.conventions]
    assert ops, f"no op sits on {convention}"
    for a, b in itertools.combinations(CONVENTIONS[convention].choices, 2):
        told = any(_tells_apart(op, case, convention, a, b) for op in ops for case in op.cases())
        assert told, f"no case of {[op.name for op in ops]} tells {convention}={a!r} from {b!r}"
