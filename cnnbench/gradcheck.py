"""Finite-difference check of a backward (VJP) against its forward, in float64.

For random cotangent u and random direction v_i in input i alone,

    <u, (f(x + h v_i) - f(x - h v_i)) / (2 h)>   should equal   <g_i, v_i>,  g_i = backward(u, x)_i

Central differences err by O(h^2) + O(eps / h); with h = 1e-6 in float64 both
are far below the 1e-6 relative tolerance, and any wrong gradient element makes
the two sides differ for almost every direction. The round-off floor
eps * sum|u f(x)| / h is added to the bound, so saturated outputs (gradients far
below that floor) are not misjudged. Each input is probed on its own so a
failure names the wrong gradient.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

RTOL = 1e-6


@dataclass(frozen=True)
class GradCheck:
    input_index: int
    analytic: float
    numeric: float
    bound: float  # RTOL * max(|analytic|, |numeric|) + round-off floor

    @property
    def ok(self) -> bool:
        return abs(self.analytic - self.numeric) <= self.bound


def _first(output: Any) -> np.ndarray:
    """The differentiated output: the first one when an op returns several."""
    return np.asarray(output[0] if isinstance(output, tuple) else output)


def gradcheck(
    forward: Callable,
    backward: Callable,
    inputs: tuple[np.ndarray, ...],
    params: dict[str, Any],
    *,
    seed: int = 0,
    directions: int = 3,
    h: float = 1e-6,
) -> list[GradCheck]:
    """Return one record per (input, direction)."""
    rng = np.random.default_rng(seed)
    inputs = tuple(np.asarray(x, dtype=np.float64) for x in inputs)
    y = _first(forward(*inputs, **params))
    u = rng.standard_normal(y.shape)
    floor = 16 * np.finfo(np.float64).eps * float(np.sum(np.abs(u * y))) / h
    grads = backward(u, *inputs, **params)
    records = []
    for i, x in enumerate(inputs):
        for _ in range(directions):
            v = rng.standard_normal(x.shape)
            plus = (*inputs[:i], x + h * v, *inputs[i + 1 :])
            minus = (*inputs[:i], x - h * v, *inputs[i + 1 :])
            diff = _first(forward(*plus, **params)) - _first(forward(*minus, **params))
            numeric = float(np.sum(u * diff) / (2 * h))
            analytic = float(np.sum(np.asarray(grads[i]) * v))
            records.append(GradCheck(i, analytic, numeric, RTOL * max(abs(numeric), abs(analytic)) + floor))
    return records
