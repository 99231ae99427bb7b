"""Routing a gradient through a max at ties, shared by max gate, maxout and max-pool.

Given the candidates c_1..c_P of a max (arrays of one shape: the two gate
inputs, the maxout pieces, the positions of a pooling window), return weights
w_1..w_P that say how much of the upstream gradient each candidate gets:

    first: 1 on the first candidate equal to the maximum (row-major window order)
    split: 1/count on every candidate equal to the maximum
    all:   1 on every candidate equal to the maximum (the gradient is duplicated)
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import reduce

import numpy as np

from .arguments import choice

TIE_RULES = ("first", "split", "all")


def max_weights(candidates: Sequence[np.ndarray], rule: str, name: str) -> list[np.ndarray]:
    choice(rule, name, TIE_RULES)
    top = reduce(np.maximum, candidates)
    hits = [c == top for c in candidates]
    dtype = np.result_type(top)
    if rule == "all":
        return [h.astype(dtype) for h in hits]
    if rule == "split":
        count = sum(h.astype(dtype) for h in hits)
        return [h / count for h in hits]
    taken = np.zeros(np.shape(top), dtype=bool)
    weights = []
    for h in hits:
        weights.append((h & ~taken).astype(dtype))
        taken = taken | h
    return weights
