"""Activation functions and their derivatives (elementwise unless stated).

    sigmoid(x)    = 1 / (1 + e^-x)              y' = y (1 - y)
    tanh(x)                                     y' = 1 - y^2
    relu(x)       = max(0, x)                   y' = [x > 0]
    leaky_relu(x) = x if x > 0 else a x         y' = 1 or a
                  = max(x, a x) (a <= 1), min(x, a x) (a > 1)
    prelu(x, a)   = x if x > 0 else a_c x       a learnable, one per channel (axis 1) or shared
                  = max(0, x) + a_c min(0, x)
    elu(x)        = x if x > 0 else a (e^x - 1) y' = 1 or a e^x
                  = max(0, x) + a (e^min(0, x) - 1)
    maxout(x, W, b) = max_k (x W_k^T + b_k)     x (N, D), W (P, M, D), b (P, M) -> (N, M)
    step(x)       = [x > 0]                     the perceptron's threshold, forward only

At x = 0 each kinked function takes its own convention, the slope on the left
of the kink (textbook: ReLU'(0) = 0, Leaky ReLU'(0) = a, ELU'(0) = alpha) or on
the right (1): ``grad_at_kink`` (ReLU), ``leaky_relu_grad_at_kink``,
``prelu_grad_at_kink``, ``elu_grad_at_kink``. Frameworks choose op by op.

The slopes ``negative_slope`` and ELU's ``alpha`` may be any finite number.

The piecewise functions are computed in their max/min form and the derivatives with ``select``
(products with 0/1 masks): the same numbers as ``np.where``, which branches on every element and,
on data whose sign is random, mispredicts half of those branches (about 10x slower).
"""

from __future__ import annotations

import numpy as np

from ._select import select
from ._ties import max_weights
from .arguments import choice, float_array, output_gradient, real
from .conventions import KINK_SIDES


def _positive_side(x: np.ndarray, side: str, convention: str) -> np.ndarray:
    """Mask of points that take the right-hand slope: x > 0, and x = 0 when ``side`` is "right"."""
    return x >= 0 if choice(side, convention, KINK_SIDES) == "right" else x > 0


def sigmoid(x: np.ndarray) -> np.ndarray:
    x = float_array(x, "x")
    # For x below about -88.7 (float32; -709.8 in float64) e^-x overflows to inf and the result is 0,
    # where the true value is below the smallest normal number (flushed, as the tolerance allows).
    # No cancellation anywhere: a few ulps in every dtype.
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-x))


def sigmoid_backward(dy: np.ndarray, x: np.ndarray) -> tuple[np.ndarray]:
    y = sigmoid(x)
    return (output_gradient(dy, y.shape) * y * (1.0 - y),)


def tanh(x: np.ndarray) -> np.ndarray:
    return np.tanh(float_array(x, "x"))


def tanh_backward(dy: np.ndarray, x: np.ndarray) -> tuple[np.ndarray]:
    y = tanh(x)
    return (output_gradient(dy, y.shape) * (1.0 - y * y),)


def relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(float_array(x, "x"), 0)


def relu_backward(dy: np.ndarray, x: np.ndarray, *, grad_at_kink: str = "left") -> tuple[np.ndarray]:
    x = float_array(x, "x")
    dy = output_gradient(dy, x.shape)
    return (dy * _positive_side(x, grad_at_kink, "grad_at_kink"),)  # dy [x > 0]


def leaky_relu(x: np.ndarray, *, negative_slope: float = 0.01) -> np.ndarray:
    x = float_array(x, "x")
    real(negative_slope, "negative_slope")
    a = negative_slope  # max(x, a x) for a <= 1, min(x, a x) for a > 1: x or a x, rounded once
    return (np.maximum if a <= 1 else np.minimum)(x, a * x).astype(x.dtype, copy=False)


def leaky_relu_backward(
    dy: np.ndarray, x: np.ndarray, *, negative_slope: float = 0.01, leaky_relu_grad_at_kink: str = "left"
) -> tuple[np.ndarray]:
    x = float_array(x, "x")
    real(negative_slope, "negative_slope")
    dy = output_gradient(dy, x.shape)
    right = _positive_side(x, leaky_relu_grad_at_kink, "leaky_relu_grad_at_kink")
    slope = select(right, 1.0, negative_slope, np.result_type(dy, negative_slope))  # 1 or a
    return ((slope * dy).astype(x.dtype, copy=False),)


def _prelu_slope(x: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Broadcast alpha (C,) along axis 1 of x, or a shared alpha of shape (1,)."""
    alpha = float_array(alpha, "alpha", ndim=1)
    channels = x.shape[1] if x.ndim > 1 else 1
    if alpha.shape[0] not in (1, channels):
        raise ValueError(f"alpha: expected shape (1,) or ({channels},) (one slope per channel of x), got {alpha.shape}")
    return alpha.reshape((1, -1) + (1,) * (x.ndim - 2)) if x.ndim > 1 else alpha.reshape((1,) * x.ndim)


def prelu(x: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    x = float_array(x, "x")
    return np.maximum(x, 0) + _prelu_slope(x, alpha) * np.minimum(x, 0)


def prelu_backward(
    dy: np.ndarray, x: np.ndarray, alpha: np.ndarray, *, prelu_grad_at_kink: str = "left"
) -> tuple[np.ndarray, np.ndarray]:
    """dx = dy on the right, a dy on the left; d alpha = sum of dy min(x, 0) (dy x over the left side)."""
    x = float_array(x, "x")
    slope = _prelu_slope(x, alpha)
    dy = output_gradient(dy, x.shape)
    right = _positive_side(x, prelu_grad_at_kink, "prelu_grad_at_kink")
    dx = select(right, 1.0, slope, np.result_type(dy, slope)) * dy  # 1 or a_c
    contrib = dy * np.minimum(x, 0)  # dy x on the left side, 0 on the right (and at a kink either way)
    axes = tuple(i for i in range(x.ndim) if not (i == 1 and np.asarray(alpha).shape[0] > 1))
    return dx, contrib.sum(axis=axes).reshape(np.asarray(alpha).shape)


def elu(x: np.ndarray, *, alpha: float = 1.0) -> np.ndarray:
    x = float_array(x, "x")
    real(alpha, "alpha")
    return (np.maximum(x, 0) + alpha * np.expm1(np.minimum(x, 0))).astype(x.dtype, copy=False)


def elu_backward(
    dy: np.ndarray, x: np.ndarray, *, alpha: float = 1.0, elu_grad_at_kink: str = "left"
) -> tuple[np.ndarray]:
    x = float_array(x, "x")
    real(alpha, "alpha")
    dy = output_gradient(dy, x.shape)
    right = _positive_side(x, elu_grad_at_kink, "elu_grad_at_kink")
    # the slope, 1 or alpha e^x, bounded by max(1, |alpha|) (e^min(x, 0) <= 1): no overflow in the branch not taken
    slope = select(right, 1.0, alpha * np.exp(np.minimum(x, 0)), np.result_type(dy, x, alpha))
    return ((dy * slope).astype(x.dtype, copy=False),)


def _maxout_pieces(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    x = float_array(x, "x", ndim=2)
    w = float_array(w, "w", ndim=3)
    b = float_array(b, "b", ndim=2)
    if w.shape[2] != x.shape[1]:
        raise ValueError(f"w: expected shape (P, M, {x.shape[1]}) to match x (N, {x.shape[1]}), got {w.shape}")
    if b.shape != w.shape[:2]:
        raise ValueError(f"b: expected shape {w.shape[:2]} (P pieces, M units of w), got {b.shape}")
    return np.einsum("nd,pmd->npm", x, w, optimize=True) + b  # (N, P, M), one matrix product


def maxout(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    return _maxout_pieces(x, w, b).max(axis=1)  # (N, M)


def maxout_backward(
    dy: np.ndarray, x: np.ndarray, w: np.ndarray, b: np.ndarray, *, maxout_tie: str = "first"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Route dy to the winning piece, then back through that piece's affine map."""
    z = _maxout_pieces(x, w, b)  # (N, P, M)
    weights = max_weights([z[:, piece] for piece in range(z.shape[1])], maxout_tie, "maxout_tie")
    dz = np.stack(weights, axis=1) * output_gradient(dy, (z.shape[0], z.shape[2]))[:, None, :]  # (N, P, M)
    dx = np.einsum("npm,pmd->nd", dz, w, optimize=True)
    return dx, np.einsum("npm,nd->pmd", dz, x, optimize=True), dz.sum(axis=0)


def step(x: np.ndarray) -> np.ndarray:
    """The perceptron's threshold unit: 1 where x > 0, else 0."""
    x = float_array(x, "x")
    return (x > 0).astype(x.dtype)
