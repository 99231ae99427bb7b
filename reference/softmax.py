"""Softmax, log-softmax and their derivatives.

    softmax(x)_i     = exp(x_i - m) / sum_j exp(x_j - m),   m = max_j x_j
    log_softmax(x)_i = x_i - m - log sum_j exp(x_j - m)

Subtracting the row maximum m leaves the result unchanged and keeps exp() from
overflowing for logits like 1000.

Jacobian of y = softmax(x):   J = diag(y) - y y^T,   diagonal y_i (1 - y_i)
VJP:                          dx = y * (dy - sum_j dy_j y_j)
log-softmax VJP:              dx = dy - softmax(x) * sum_j dy_j
"""

from __future__ import annotations

import numpy as np

from ._validate import float_array, same_shape


def _axis(x: np.ndarray, axis: int) -> int:
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"axis: expected an axis of a {x.ndim}-D array, got {axis}")
    return axis


def shifted_exp(x: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """(exp(x - max), its sum along ``axis``): softmax before the division, for fusing callers."""
    x = float_array(x, "x")
    e = np.subtract(x, x.max(axis=_axis(x, axis), keepdims=True))
    np.exp(e, out=e)
    return e, e.sum(axis=axis, keepdims=True)


def softmax(x: np.ndarray, *, axis: int = -1) -> np.ndarray:
    """Probabilities along ``axis``; any shape."""
    e, total = shifted_exp(x, axis)
    e /= total
    return e


def softmax_backward(dy: np.ndarray, x: np.ndarray, *, axis: int = -1) -> tuple[np.ndarray]:
    """dx = y * (dy - <dy, y>) along ``axis``."""
    y = softmax(x, axis=axis)
    dy = float_array(dy, "dy")
    same_shape(y, dy, "x", "dy")
    return (y * (dy - (dy * y).sum(axis=axis, keepdims=True)),)


def softmax_jacobian(x: np.ndarray) -> np.ndarray:
    """Full Jacobian diag(y) - y y^T of softmax over the last axis: (..., K) -> (..., K, K)."""
    y = softmax(x, axis=-1)
    return np.einsum("...i,ij->...ij", y, np.eye(y.shape[-1], dtype=y.dtype)) - y[..., :, None] * y[..., None, :]


def log_softmax(x: np.ndarray, *, axis: int = -1) -> np.ndarray:
    """log(softmax(x)) computed without forming the probabilities."""
    x = float_array(x, "x")
    shifted = x - x.max(axis=_axis(x, axis), keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def log_softmax_backward(dy: np.ndarray, x: np.ndarray, *, axis: int = -1) -> tuple[np.ndarray]:
    """dx = dy - softmax(x) * sum(dy) along ``axis``."""
    y = softmax(x, axis=axis)
    dy = float_array(dy, "dy")
    same_shape(y, dy, "x", "dy")
    return (dy - y * dy.sum(axis=axis, keepdims=True),)
