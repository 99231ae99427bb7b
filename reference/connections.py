"""Skip connections: the residual add (ResNet) and the channel concat (DenseNet, Inception).

residual_add(x, f) = x + f(x)      both inputs get dy unchanged
channel_concat(x_1, ..., x_n)      (N, C_i, H, W) -> (N, sum C_i, H, W); backward splits dy
"""

from __future__ import annotations

import numpy as np

from .arguments import float_array, output_gradient, same_shape


def _check_residual(x: np.ndarray, fx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, fx = float_array(x, "x"), float_array(fx, "fx")
    same_shape(x, fx, "x", "fx")
    return x, fx


def residual_add(x: np.ndarray, fx: np.ndarray) -> np.ndarray:
    x, fx = _check_residual(x, fx)
    return x + fx


def residual_add_backward(dy: np.ndarray, x: np.ndarray, fx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    dy = output_gradient(dy, _check_residual(x, fx)[0].shape)
    return dy.copy(), dy.copy()


def _check_concat(xs: tuple[np.ndarray, ...]) -> list[np.ndarray]:
    if not xs:
        raise ValueError("xs: expected at least one array to concatenate")
    arrays = [float_array(x, f"xs[{i}]") for i, x in enumerate(xs)]
    head = arrays[0]
    if head.ndim < 2:
        raise ValueError(f"xs[0]: expected shape (N, C_0, ...), at least 2-D, got {head.shape}")
    for i, a in enumerate(arrays[1:], start=1):
        if a.ndim != head.ndim or a.shape[:1] + a.shape[2:] != head.shape[:1] + head.shape[2:]:
            raise ValueError(
                f"xs[{i}]: expected shape (N, C_i, ...) matching xs[0] {head.shape} except on axis 1, got {a.shape}"
            )
    return arrays


def channel_concat(*xs: np.ndarray) -> np.ndarray:
    return np.concatenate(_check_concat(xs), axis=1)


def channel_concat_backward(dy: np.ndarray, *xs: np.ndarray) -> tuple[np.ndarray, ...]:
    arrays = _check_concat(xs)
    channels = [a.shape[1] for a in arrays]
    head = arrays[0].shape
    dy = output_gradient(dy, (head[0], sum(channels), *head[2:]))
    return tuple(np.split(dy, np.cumsum(channels)[:-1], axis=1))
