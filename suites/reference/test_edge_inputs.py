"""Inputs that break naive code: the reference survives every one of them."""

from __future__ import annotations

import numpy as np
import pytest

from reference import batchnorm, conv, dropout, losses, pool, softmax
from reference.cases import normal


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
