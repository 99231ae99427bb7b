"""Backwards that frameworks compute from what the forward pass saved.

Autograd keeps the forward output y, or BatchNorm's normalised x_hat, rounded to the
working dtype, and differentiates through the textbook formula:

    sigmoid'  = y (1 - y)            cancels as y -> 1
    tanh'     = 1 - y^2              cancels as |y| -> 1
    ELU'      = y + alpha, x < 0     cancels as x -> -inf
    softmax   dx = y (dy - sum y dy)   cancels on near-one-hot rows
    log_softmax dx = dy - p sum dy   cancels where p -> 1
    BatchNorm dx = gamma (M g - sum g - x_hat sum(g x_hat)) / (M sigma)
                                     cancels to its eps part when M = 2

The reference computes these stably, so neither its own rounding nor its sensitivity
to the inputs shows what the textbook formula loses. Each function here gives the
size of the terms that cancel, per element of each gradient it concerns; the
tolerance model adds them to s_i.

Arguments: the cotangent dy, the positional inputs and the params (float64, as the
backend received them), and the forward output y. Returns {output key: terms}.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

Terms = Callable[[np.ndarray, tuple[np.ndarray, ...], dict[str, Any], np.ndarray], dict[str, np.ndarray]]


def _sigmoid(dy, inputs, params, y):
    return {"grad x": np.abs(dy) * y * y}  # dy y (1 - y): 1 - y loses u y


def _tanh(dy, inputs, params, y):
    return {"grad x": np.abs(dy) * y * y}  # dy (1 - y^2): loses u y^2


def _elu(dy, inputs, params, y):
    return {"grad x": np.abs(dy) * np.where(y < 0, np.abs(y), 0.0)}  # dy (y + alpha): loses u |y|


def _softmax(dy, inputs, params, y):
    axis = params.get("axis", -1)
    return {"grad x": y * (np.abs(dy) + (y * np.abs(dy)).sum(axis=axis, keepdims=True))}


def _log_softmax(dy, inputs, params, y):
    axis = params.get("axis", -1)
    return {"grad x": np.abs(dy) + np.exp(y) * np.abs(dy).sum(axis=axis, keepdims=True)}


def _batch_norm_train(dy, inputs, params, y):
    x, gamma = inputs[0], inputs[1]
    axes = tuple(i for i in range(x.ndim) if i != 1)
    shape = [1] * x.ndim
    shape[1] = x.shape[1]
    m = x.size // x.shape[1]
    mean = x.mean(axis=axes, keepdims=True)
    sigma = np.sqrt(((x - mean) ** 2).mean(axis=axes, keepdims=True) + params.get("eps", 1e-5))
    x_hat = (x - mean) / sigma
    g = np.abs(dy * gamma.reshape(shape))
    terms = m * g + g.sum(axis=axes, keepdims=True) + np.abs(x_hat) * (g * np.abs(x_hat)).sum(axis=axes, keepdims=True)
    return {"grad x": terms / (m * sigma)}


TERMS: dict[str, Terms] = {
    "sigmoid": _sigmoid,
    "tanh": _tanh,
    "elu": _elu,
    "softmax": _softmax,
    "log_softmax": _log_softmax,
    "batch_norm_train": _batch_norm_train,
}
