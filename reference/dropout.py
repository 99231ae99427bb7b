"""Inverted dropout.

    mask m ~ Bernoulli(1 - p) elementwise (1 = keep), 0 <= p < 1
    y  = x m / (1 - p)          so that E[y] = x and nothing changes at test time
    dx = dy m / (1 - p)

The mask is an input, so forward and backward are deterministic and comparable
exactly: a float array of x's shape holding only 0 and 1. ``dropout_mask`` draws
one from a seed (an int >= 0) and is checked statistically.
"""

from __future__ import annotations

import numpy as np

from .arguments import array_shape, float_array, integer, output_gradient, probability, same_shape


def _check_mask(x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    mask = float_array(mask, "mask")
    same_shape(x, mask, "x", "mask")
    if not np.all((mask == 0) | (mask == 1)):
        raise ValueError("mask: expected only 0 (drop) and 1 (keep) entries")
    return mask.astype(x.dtype, copy=False)


def dropout(x: np.ndarray, *, mask: np.ndarray, p: float) -> np.ndarray:
    x = float_array(x, "x")
    return x * _check_mask(x, mask) / (1.0 - probability(p))


def dropout_backward(dy: np.ndarray, x: np.ndarray, *, mask: np.ndarray, p: float) -> tuple[np.ndarray]:
    x = float_array(x, "x")
    mask = _check_mask(x, mask)
    return (output_gradient(dy, x.shape) * mask / (1.0 - probability(p)),)


def dropout_mask(*, shape: tuple[int, ...], p: float, seed: int) -> np.ndarray:
    """A keep-mask of 0.0 / 1.0 with P(keep) = 1 - p, reproducible from ``seed``."""
    probability(p)
    shape = array_shape(shape)
    seed = integer(seed, "seed", minimum=0)
    return (np.random.default_rng(seed).random(shape) >= p).astype(np.float64)
