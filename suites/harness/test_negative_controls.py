"""The comparison rejects wrong results and accepts right ones, in every dtype.

Each wrong answer is one a real backend could produce: zeros, a transposed layout
(NHWC read as NCHW), an off-by-one padding, NaN, the wrong shape, a dropped
scale factor, and a sum accumulated in half precision. The correctly rounded
result passes, and so does a careful float32 evaluation.
"""

from __future__ import annotations

import numpy as np
import pytest

from cnnbench.backends.numpy_backend import NumpyBackend
from cnnbench.compare import compare
from cnnbench.conformance import expectation, round_to
from cnnbench.controls import blunt_controls, sharpness
from cnnbench.reference import conv, dropout
from cnnbench.reference.catalog import CATALOG
from cnnbench.stats import same_distribution
from cnnbench.tolerance import DTYPES, element_bounds, smallest_normal

CONV = CATALOG["conv2d"]
CASE = next(c for c in CONV.cases() if c.name == "3x3_pad1")
FC = CATALOG["fully_connected"]
LONG = next(c for c in FC.cases() if c.name.startswith("long_reduction"))


def conv_expectation(dtype: str):
    return expectation(NumpyBackend(), CONV, CASE, dtype, "forward", None)


def wrong_conv_results(dtype: str) -> dict[str, np.ndarray]:
    x, w, b = (round_to(a, dtype).astype(np.float64) for a in CASE.inputs)
    expected = conv.conv2d(x, w, b, **CASE.params)
    index = np.arange(expected.size).reshape(expected.shape)
    unpadded = conv.conv2d(x, w, b, **{**CASE.params, "padding": 0})
    return {
        "zeros": np.zeros_like(expected),
        "transposed layout": expected.transpose(0, 2, 3, 1).reshape(expected.shape),
        "off-by-one padding": np.pad(unpadded, ((0, 0), (0, 0), (1, 1), (1, 1)))[..., : expected.shape[2], :],
        "NaN in one element": np.where(index == 5, np.nan, expected),
        "dropped bias": conv.conv2d(x, w, np.zeros_like(b), **CASE.params),
        "wrong shape": unpadded,
    }


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "name", ["zeros", "transposed layout", "off-by-one padding", "NaN in one element", "dropped bias", "wrong shape"]
)
def test_wrong_result_is_rejected(dtype, name):
    want = conv_expectation(dtype)
    result = compare(wrong_conv_results(dtype)[name], want.values["forward"], want.bounds["forward"], name, want.floor)
    assert not result.ok, result.message


@pytest.mark.parametrize("dtype", DTYPES)
def test_correctly_rounded_and_careful_results_pass_and_every_control_fails(dtype):
    want = conv_expectation(dtype)
    r, bounds = want.values["forward"], want.bounds["forward"]
    rounded = round_to(r, dtype)
    assert compare(rounded, r, bounds, "rounded", want.floor).ok
    assert blunt_controls(rounded, r, bounds, dtype, want.floor) == []
    assert 0 < sharpness(r, bounds, want.floor) < {"float64": 1e-12, "float32": 1e-4}.get(dtype, 0.05)


def _half_accumulated(x: np.ndarray, w: np.ndarray, b: np.ndarray, dtype: str) -> np.ndarray:
    """x @ w.T + b with every partial sum rounded to ``dtype``: the slip the bound must catch."""
    total = np.zeros((x.shape[0], w.shape[0]))
    for k in range(x.shape[1]):
        total = round_to(total + np.outer(x[:, k], w[:, k]), dtype).astype(np.float64)
    return round_to(total + b, dtype).astype(np.float64)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_precision_accumulation_is_rejected_and_float32_accumulation_accepted(dtype):
    want = expectation(NumpyBackend(), FC, LONG, dtype, "forward", None)
    x, w, b = (round_to(a, dtype).astype(np.float64) for a in LONG.inputs)
    r, bounds = want.values["forward"], want.bounds["forward"]
    half = _half_accumulated(x, w, b, dtype)
    assert not compare(half, r, bounds, "half accumulation", want.floor).ok
    float32_sum = round_to((x.astype(np.float32) @ w.T.astype(np.float32)) + b.astype(np.float32), dtype)
    assert compare(float32_sum, r, bounds, "float32 accumulation", want.floor).ok


@pytest.mark.parametrize("dtype", DTYPES)
def test_missing_dropout_scale_is_rejected(dtype):
    op = CATALOG["dropout"]
    case = op.cases()[0]
    want = expectation(NumpyBackend(), op, case, dtype, "forward", None)
    x = round_to(case.inputs[0], dtype).astype(np.float64)
    unscaled = x * case.params["mask"]
    assert not compare(unscaled, want.values["forward"], want.bounds["forward"], "no 1/(1-p)", want.floor).ok
    assert dropout.dropout(x, **case.params).shape == unscaled.shape


def test_failure_message_names_the_worst_element():
    want = conv_expectation("float32")
    wrong = want.values["forward"].copy()
    wrong[1, 2, 3, 4] += 1.0
    message = compare(wrong, want.values["forward"], want.bounds["forward"], "grad x", want.floor).message
    assert "grad x: MISMATCH" in message and "(1, 2, 3, 4)" in message and "1 of" in message


def test_pointwise_bounds_are_relative_to_each_element():
    r = np.array([1e-8, 1e-6, 1.0, -1e-8])
    bounds = element_bounds("float32", r, np.abs(r), np.abs(r), 1)
    assert not compare(np.array([0.0, 1e-6, 1.0, -1e-8]), r, bounds).ok  # tanh(1e-8) = 0
    assert not compare(np.array([1e-8, 1.013e-6, 1.0, -1e-8]), r, bounds).ok  # 1.3 % off a small element
    assert compare(round_to(r, "float32"), r, bounds).ok


def test_exact_ops_tolerate_nothing():
    r = np.arange(6.0)
    assert not np.any(element_bounds("float32", r, r, r, 100, "exact"))


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
    assert compare(np.zeros(2), np.array([5e-41, -5e-41]), np.zeros(2), floor=floor).ok  # FTZ
    assert not compare(np.zeros(2), np.array([5e-37, -5e-37]), np.zeros(2), floor=floor).ok
