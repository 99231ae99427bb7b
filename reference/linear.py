"""Fully connected layer and flatten.

    y = x W^T + b        x (N, D), W (M, D), b (M,) -> y (N, M)
    dx = dy W            (N, D)
    dW = dy^T x          (M, D)
    db = sum_n dy        (M,)

W is stored (out, in) as in PyTorch; the Keras (in, out) layout is the adapter's business.
"""

from __future__ import annotations

import numpy as np

from .arguments import float_array, output_gradient


def _check(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = float_array(x, "x", ndim=2)
    w = float_array(w, "w", ndim=2)
    b = float_array(b, "b", ndim=1)
    if w.shape[1] != x.shape[1]:
        raise ValueError(f"w: expected shape (M, {x.shape[1]}) to match x (N, {x.shape[1]}), got {w.shape}")
    if b.shape != (w.shape[0],):
        raise ValueError(f"b: expected shape ({w.shape[0]},) (one bias per row of w), got {b.shape}")
    return x, w, b


def fully_connected(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    x, w, b = _check(x, w, b)
    return x @ w.T + b  # (N, M)


def fully_connected_backward(
    dy: np.ndarray, x: np.ndarray, w: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x, w, b = _check(x, w, b)
    dy = output_gradient(dy, (x.shape[0], w.shape[0]))
    return dy @ w, dy.T @ x, dy.sum(axis=0)


def _batch(x: np.ndarray) -> np.ndarray:
    x = float_array(x, "x")
    if x.ndim < 1:
        raise ValueError(f"x: expected at least a 1-D array with a batch axis, got shape {x.shape}")
    return x


def flatten(x: np.ndarray) -> np.ndarray:
    """(N, ...) -> (N, prod(...)) in C order, as both frameworks flatten NCHW."""
    x = _batch(x)
    return x.reshape(x.shape[0], -1)


def flatten_backward(dy: np.ndarray, x: np.ndarray) -> tuple[np.ndarray]:
    x = _batch(x)
    return (output_gradient(dy, (x.shape[0], x.size // x.shape[0])).reshape(x.shape),)
