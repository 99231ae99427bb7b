"""Softmax, log-softmax and their derivatives.

    softmax(x)_i     = exp(x_i - m) / sum_j exp(x_j - m),   m = max_j x_j
    log_softmax(x)_i = x_i - m - log sum_j exp(x_j - m)

Subtracting the row maximum m leaves the result unchanged and keeps exp() from
overflowing for logits like 1000.

Jacobian of y = softmax(x):   J = diag(y) - y y^T,   diagonal y_i (1 - y_i)
VJP:                          dx = y * (dy - sum_j dy_j y_j)
log-softmax VJP:              dx = dy - softmax(x) * sum_j dy_j

On a near one-hot row (logits spanning +-25: y_k = 1 - e^-22 at k = argmax)
these formulas, computed as written, lose 1 - y_k to cancellation and with it
every digit of dx_k and log_softmax_k. With e_j = exp(x_j - m), so e_k = 1, and
S' = sum_{j != k} e_j (no cancellation), the reference computes instead

    log sum_j e_j = log1p(S'),   1 - y_k = S' / (1 + S')
    dy_i - sum_j y_j dy_j = (dy_i - dy_k) - sum_j y_j (dy_j - dy_k)     (sum_j y_j = 1)
    log-softmax VJP at k:  dx_k = (S' dy_k - sum_{j != k} dy_j) / (1 + S')

which are the same numbers, each a sum of terms that do not cancel.
"""

from __future__ import annotations

import numpy as np

from .arguments import float_array, integer, output_gradient


def _axis(x: np.ndarray, axis: int) -> int:
    if not -x.ndim <= integer(axis, "axis") < x.ndim:
        raise ValueError(f"axis: expected an axis of x, a {x.ndim}-D array, got {axis}")
    return axis


def shifted_exp(x: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """(exp(x - max), its sum along ``axis``): softmax before the division, for fusing callers."""
    x = float_array(x, "x")
    e = np.subtract(x, x.max(axis=_axis(x, axis), keepdims=True))
    np.exp(e, out=e)
    return e, e.sum(axis=axis, keepdims=True)


def argmax_along(x: np.ndarray, axis: int) -> np.ndarray:
    """Index of the first maximum along ``axis``, kept as a length-1 axis (for take_along_axis)."""
    return np.expand_dims(np.argmax(x, axis=axis), axis)


def shifted_exp_rest(x: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(k, m, e, rest): the first argmax k and the maximum m along ``axis`` (both keepdims),
    e = exp(x - m) with e_k = 1, and rest = sum_{j != k} e_j, so the row sum is 1 + rest and
    1 - y_k = rest / (1 + rest) without cancellation."""
    x = float_array(x, "x")
    k = argmax_along(x, _axis(x, axis))
    m = np.take_along_axis(x, k, axis=axis)  # the maximum, read at its index: no second pass over x
    e = np.subtract(x, m)
    np.exp(e, out=e)
    np.put_along_axis(e, k, 0.0, axis=axis)
    rest = e.sum(axis=axis, keepdims=True)
    np.put_along_axis(e, k, 1.0, axis=axis)
    return k, m, e, rest


def softmax(x: np.ndarray, *, axis: int = -1) -> np.ndarray:
    """Probabilities along ``axis``; any shape."""
    e, total = shifted_exp(x, axis)
    e /= total
    return e


def softmax_backward(dy: np.ndarray, x: np.ndarray, *, axis: int = -1) -> tuple[np.ndarray]:
    """dx = y * (dy - <dy, y>) along ``axis``, as y * ((dy - dy_k) - <y, dy - dy_k>), k = argmax x."""
    y = softmax(x, axis=axis)
    dy = output_gradient(dy, y.shape)
    # <y, dy> - dy_k = <y, dy - dy_k> exactly (sum y = 1); at k, where y_k may be 1 - e^-50,
    # it is the whole of dx_k / y_k, and dy_k - <y, dy> computed as a difference keeps none of it
    shifted = dy - np.take_along_axis(dy, argmax_along(np.asarray(x), axis), axis=axis)
    return (y * (shifted - (y * shifted).sum(axis=axis, keepdims=True)),)


def softmax_jacobian(x: np.ndarray) -> np.ndarray:
    """Full Jacobian diag(y) - y y^T of softmax over the last axis: (..., K) -> (..., K, K)."""
    k, _, e, rest = shifted_exp_rest(x, -1)
    y = e / (1.0 + rest)
    jac = -y[..., :, None] * y[..., None, :]
    # diagonal y_i (1 - y_i), not y_i - y_i^2: at the argmax 1 - y_k = rest / (1 + rest)
    complement = 1.0 - y
    np.put_along_axis(complement, k, rest / (1.0 + rest), axis=-1)
    i = np.arange(y.shape[-1])
    jac[..., i, i] = y * complement
    return jac


def log_softmax(x: np.ndarray, *, axis: int = -1) -> np.ndarray:
    """log(softmax(x)) computed without forming the probabilities."""
    _, m, out, rest = shifted_exp_rest(x, axis)
    # log(1 + rest), not log(sum e): at the argmax the result is -log1p(rest), e.g. -e^-50
    np.subtract(x, m, out=out)  # x - m, into the buffer of e, no longer needed
    out -= np.log1p(rest)
    return out


def log_softmax_backward(dy: np.ndarray, x: np.ndarray, *, axis: int = -1) -> tuple[np.ndarray]:
    """dx = dy - softmax(x) * sum(dy) along ``axis``; at k = argmax x, (S' dy_k - sum_{j != k} dy_j) / (1 + S')."""
    k, _, e, rest = shifted_exp_rest(x, axis)
    total = 1.0 + rest
    y = e / total
    dy = output_gradient(dy, y.shape)
    dy_k = np.take_along_axis(dy, k, axis=axis)
    others = dy.copy()
    np.put_along_axis(others, k, 0.0, axis=axis)
    others = others.sum(axis=axis, keepdims=True)  # sum_{j != k} dy_j
    dx = dy - y * (dy_k + others)
    # dy_k - y_k sum(dy) = (1 - y_k) dy_k - y_k sum_{j != k} dy_j: with dy one-hot at k
    # (a log-likelihood's gradient) it is (1 - y_k) dy_k, of which the difference keeps nothing
    np.put_along_axis(dx, k, (rest * dy_k - others) / total, axis=axis)
    return (dx,)
