"""The comparison helper rejects wrong results and accepts right ones.

Each wrong answer is one a real backend could produce: zeros, a transposed
layout (NHWC read as NCHW), an off-by-one padding, a missing scale factor,
NaN, the wrong shape, and an error just over the tolerance.
"""

from __future__ import annotations

import numpy as np
import pytest

from cnnbench.compare import compare
from cnnbench.stats import same_distribution
from cnnbench.tolerance import RTOL, bound, smallest_normal
from reference import conv, dropout
from reference.cases import normal

x = normal(1, 2, 3, 6, 6)
w = normal(2, 4, 3, 3, 3)
b = normal(3, 4)
expected = conv.conv2d(x, w, b, padding=1)
tol = bound("float32", 27)

WRONG = {
    "zeros": np.zeros_like(expected),
    "transposed layout": expected.transpose(0, 2, 3, 1).reshape(expected.shape),
    "off-by-one padding": np.pad(conv.conv2d(x, w, b, padding=0), ((0, 0), (0, 0), (1, 1), (1, 1))),
    "NaN in one element": np.where(np.arange(expected.size).reshape(expected.shape) == 5, np.nan, expected),
    "wrong shape": conv.conv2d(x, w, b, padding=0),
}


@pytest.mark.parametrize("name", WRONG)
def test_wrong_result_is_rejected(name):
    result = compare(WRONG[name], expected, tol)
    assert not result.ok, result.message


def test_missing_dropout_scale_is_rejected():
    xs, mask = normal(4, 5, 5), dropout.dropout_mask(shape=(5, 5), p=0.5, seed=0)
    assert not compare(xs * mask, dropout.dropout(xs, mask=mask, p=0.5), bound("float32")).ok


def test_float32_rounding_is_accepted():
    assert compare(expected.astype(np.float32), expected, tol).ok


def test_error_just_over_the_tolerance_is_rejected():
    scale = np.abs(expected) + np.sqrt(np.mean(expected**2))
    nudged = expected + 1.5 * tol * scale * (np.arange(expected.size).reshape(expected.shape) == 0)
    assert not compare(nudged, expected, tol).ok
    assert compare(expected + 0.5 * tol * scale, expected, tol).ok


def test_failure_message_names_the_worst_element():
    wrong = expected.copy()
    wrong[1, 2, 3, 4] += 1.0
    message = compare(wrong, expected, tol, "grad x").message
    assert "grad x: MISMATCH" in message and "(1, 2, 3, 4)" in message and "1 of" in message


def test_exact_class_tolerates_nothing_and_bounds_only_widen_with_conditioning():
    assert bound("float32", 100, "exact", kappa=1e6) == 0.0
    assert bound("float64", 4) == 2 * RTOL["float64"]
    assert bound("float32", 1, "rounding", kappa=0.5) == RTOL["float32"]
    assert bound("float32", 4, "rounding", kappa=300.0) == pytest.approx(300 * RTOL["float32"])


def test_distribution_tests_accept_the_same_law_and_reject_others():
    rng = np.random.default_rng(0)
    base = rng.standard_normal(100_000)
    assert all(t.ok for t in same_distribution(rng.standard_normal(100_000), base))
    for wrong in (
        1.05 * rng.standard_normal(100_000),  # scale 5% off
        rng.standard_normal(100_000) + 0.05,  # shifted mean
        rng.uniform(-np.sqrt(3), np.sqrt(3), 100_000),
    ):  # same variance, other shape
        assert not all(t.ok for t in same_distribution(wrong, base))


def test_flushed_subnormals_are_forgiven_but_nothing_larger():
    floor = smallest_normal("float32")
    assert compare(np.zeros(2), np.array([5e-41, -5e-41]), 1e-5, floor=floor).ok  # FTZ
    assert not compare(np.zeros(2), np.array([5e-37, -5e-37]), 1e-5, floor=floor).ok
