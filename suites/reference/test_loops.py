"""Vectorised conv2d and pooling equal their slow loop twins, forward and backward,
over fixed cases and hypothesis-generated configurations (stride, padding,
dilation, groups, kernel up to the padded input, batch of one, odd sizes), under
every tie and padding convention."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given

from cnnbench.reference import conv, loops, pool, strategies
from cnnbench.reference.cases import conv2d_cases, pool_cases
from cnnbench.reference.conventions import CONVENTIONS

TIES = CONVENTIONS["maxpool_tie"].choices
COUNT_PAD = CONVENTIONS["avgpool_count_pad"].choices


def assert_same(fast, slow):
    for a, b in zip(fast, slow, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def check_conv(case):
    x, w, b = case.inputs
    dy = np.random.default_rng(0).standard_normal(conv.conv2d(x, w, b, **case.params).shape)
    assert_same([conv.conv2d(x, w, b, **case.params)], [loops.conv2d_loop(x, w, b, **case.params)])
    assert_same(
        conv.conv2d_backward(dy, x, w, b, **case.params), loops.conv2d_backward_loop(dy, x, w, b, **case.params)
    )


def check_max_pool(case, tie):
    (x,) = case.inputs
    y = pool.max_pool2d(x, **case.params)
    dy = np.random.default_rng(1).standard_normal(y.shape)
    assert_same([y], [loops.max_pool2d_loop(x, **case.params)])
    assert_same(
        pool.max_pool2d_backward(dy, x, **case.params, maxpool_tie=tie),
        loops.max_pool2d_backward_loop(dy, x, **case.params, maxpool_tie=tie),
    )


def check_avg_pool(case, count_pad):
    (x,) = case.inputs
    y = pool.avg_pool2d(x, **case.params, avgpool_count_pad=count_pad)
    dy = np.random.default_rng(2).standard_normal(y.shape)
    assert_same([y], [loops.avg_pool2d_loop(x, **case.params, avgpool_count_pad=count_pad)])
    assert_same(
        pool.avg_pool2d_backward(dy, x, **case.params, avgpool_count_pad=count_pad),
        loops.avg_pool2d_backward_loop(dy, x, **case.params, avgpool_count_pad=count_pad),
    )


@pytest.mark.parametrize("case", conv2d_cases(), ids=lambda c: c.name)
def test_conv2d_fixed(case):
    check_conv(case)


@given(case=strategies.conv2d())
def test_conv2d_generated(case):
    check_conv(case)


@pytest.mark.parametrize("tie", TIES)
@pytest.mark.parametrize("case", pool_cases(0), ids=lambda c: c.name)
def test_max_pool_fixed(case, tie):
    check_max_pool(case, tie)


@pytest.mark.parametrize("tie", TIES)
@given(case=strategies.pool())
def test_max_pool_generated(case, tie):
    check_max_pool(case, tie)


@pytest.mark.parametrize("count_pad", COUNT_PAD)
@pytest.mark.parametrize("case", pool_cases(0), ids=lambda c: c.name)
def test_avg_pool_fixed(case, count_pad):
    check_avg_pool(case, count_pad)


@pytest.mark.parametrize("count_pad", COUNT_PAD)
@given(case=strategies.pool())
def test_avg_pool_generated(case, count_pad):
    check_avg_pool(case, count_pad)


def test_loop_twin_rejects_an_off_by_one_window():
    """Negative control: windows shifted by one column (an off-by-one padding) are told apart."""
    case = conv2d_cases()[0]
    x, w, b = case.inputs
    shifted = conv.conv2d(np.roll(x, 1, axis=3), w, b, **case.params)
    with pytest.raises(AssertionError):
        assert_same([shifted], [loops.conv2d_loop(x, w, b, **case.params)])
