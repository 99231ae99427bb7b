"""One comparison helper: backend output vs float64 reference under per-element bounds.

``compare`` returns a ``Comparison`` (never raises on a mismatch). Its ``error`` is
the worst element's error as a fraction of its bound (a pass is <= 1), and its
``message`` names that element, both values, the error and the bound. The suites,
the negative controls and the report all build on it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Comparison:
    ok: bool
    error: float  # max_i max(|a_i - r_i| - floor, 0) / bound_i; inf for NaN or a shape mismatch
    message: str


def bound_fractions(actual: np.ndarray, expected: np.ndarray, bounds: np.ndarray, floor: float = 0.0) -> np.ndarray:
    """Per element max(|a - r| - floor, 0) / bound; any excess over a zero bound, and any
    NaN or infinity in ``actual`` that the reference does not have, is infinite."""
    a = np.asarray(actual, dtype=np.float64)
    r = np.asarray(expected, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        excess = np.maximum(np.abs(a - r) - floor, 0.0)
        same = (a == r) | (np.isnan(a) & np.isnan(r))
        excess = np.where(same, 0.0, np.where(np.isnan(excess), np.inf, excess))
        positive = bounds > 0
        fractions = np.where(positive, excess / np.where(positive, bounds, 1.0), np.where(excess > 0, np.inf, 0.0))
    return fractions


def compare(
    actual: object, expected: np.ndarray, bounds: np.ndarray, what: str = "output", floor: float = 0.0
) -> Comparison:
    """Compare ``actual`` with ``expected`` element by element: |a_i - r_i| <= floor + bounds_i."""
    a = np.asarray(actual)
    r = np.asarray(expected)
    if a.shape != r.shape:
        return Comparison(False, np.inf, f"{what}: shape {a.shape}, expected {r.shape}")
    if r.size == 0:
        return Comparison(True, 0.0, f"{what}: empty")
    bounds = np.broadcast_to(bounds, r.shape)
    fractions = bound_fractions(a, r, bounds, floor)
    worst = np.unravel_index(int(np.argmax(fractions)), fractions.shape) if fractions.ndim else ()
    e = float(fractions[worst])
    ok = e <= 1.0
    limit = float(bounds[worst]) + floor
    message = (
        f"{what}: {'ok' if ok else 'MISMATCH'}, worst element at index {tuple(int(i) for i in worst)}: "
        f"got {float(a[worst])!r}, expected {float(r[worst])!r}, |error| {abs(float(a[worst]) - float(r[worst])):.3g} "
        f"vs bound {limit:.3g} ({e:.3g} of it)"
    )
    if not ok:
        bad = int(np.count_nonzero(fractions > 1.0))
        message += f"; {bad} of {fractions.size} elements out of bounds"
    return Comparison(ok, e, message)
