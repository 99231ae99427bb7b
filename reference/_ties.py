"""Routing a gradient through a max at ties, shared by max gate, maxout and max-pool.

Given ``values`` with the reduced candidates on ``axis``, return weights w with
sum_axis w = 1 that say how much of the upstream gradient each candidate gets:

    first: one-hot at the first maximum (argmax order)
    split: 1/count on every maximum
    all:   1 on every maximum (the gradient is duplicated, sum_axis w = count)
"""

from __future__ import annotations

import numpy as np

from ._validate import choice

TIE_RULES = ("first", "split", "all")


def max_weights(values: np.ndarray, axis: int, rule: str, name: str) -> np.ndarray:
    choice(rule, name, TIE_RULES)
    is_max = values == values.max(axis=axis, keepdims=True)
    if rule == "all":
        return is_max.astype(values.dtype)
    if rule == "split":
        return is_max / is_max.sum(axis=axis, keepdims=True, dtype=values.dtype)
    first = np.argmax(values, axis=axis)
    weights = np.zeros_like(values)
    np.put_along_axis(weights, np.expand_dims(first, axis), 1.0, axis=axis)
    return weights
