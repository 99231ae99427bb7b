"""Backwards that frameworks compute from the saved forward output.

Autograd keeps y = f(x), rounded to the working dtype, and differentiates through
it: sigmoid' = y (1 - y), tanh' = 1 - y^2, ELU' = y + alpha for x < 0. Where y
saturates these cancel (1 - y for y near 1), so the result carries an absolute
error of about u_d times the terms below even though the inputs were exact. The
reference computes these gradients stably, so neither its own rounding nor its
sensitivity to x shows that; the tolerance model adds these term sizes to s_i.

Each function takes the cotangent dy and the forward output y (float64 arrays of
the same shape) and returns the size of the terms that cancel, per element.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def _sigmoid(dy: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.abs(dy) * y * y  # dy * y * (1 - y): 1 - y loses u * y


def _tanh(dy: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.abs(dy) * y * y  # dy * (1 - y^2): loses u * y^2


def _elu(dy: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.abs(dy) * np.where(y < 0, np.abs(y), 0.0)  # dy * (y + alpha) for x < 0: loses u * |y|


TERMS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "sigmoid": _sigmoid,
    "tanh": _tanh,
    "elu": _elu,
}
