"""Skip connections: the residual add (ResNet) and the channel concat (DenseNet, Inception).

residual_add(x, f) = x + f(x)      both inputs get dy unchanged
channel_concat(x_1, ..., x_n)      (N, C_i, H, W) -> (N, sum C_i, H, W); backward splits dy
"""

from __future__ import annotations

import numpy as np

from .arguments import float_array, same_shape


def residual_add(x: np.ndarray, fx: np.ndarray) -> np.ndarray:
    x, fx = float_array(x, "x"), float_array(fx, "fx")
    same_shape(x, fx, "x", "fx")
    return x + fx


def residual_add_backward(dy: np.ndarray, x: np.ndarray, fx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    dy = float_array(dy, "dy")
    same_shape(np.asarray(x), dy, "x", "dy")
    return dy.copy(), dy.copy()


def _check_concat(xs: tuple[np.ndarray, ...]) -> list[np.ndarray]:
    if not xs:
        raise ValueError("xs: expected at least one array to concatenate")
    arrays = [float_array(x, f"xs[{i}]") for i, x in enumerate(xs)]
    head = arrays[0]
    for i, a in enumerate(arrays[1:], start=1):
        if a.ndim != head.ndim or a.ndim < 2 or a.shape[:1] + a.shape[2:] != head.shape[:1] + head.shape[2:]:
            raise ValueError(
                f"xs[{i}]: expected shape (N, C_i, ...) matching xs[0] {head.shape} except on axis 1, got {a.shape}"
            )
    return arrays


def channel_concat(*xs: np.ndarray) -> np.ndarray:
    return np.concatenate(_check_concat(xs), axis=1)


def channel_concat_backward(dy: np.ndarray, *xs: np.ndarray) -> tuple[np.ndarray, ...]:
    arrays = _check_concat(xs)
    bounds = np.cumsum([a.shape[1] for a in arrays])[:-1]
    return tuple(np.split(float_array(dy, "dy"), bounds, axis=1))
