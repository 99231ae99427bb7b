"""One comparison helper: backend output vs float64 reference, with a useful verdict.

``compare`` returns a ``Comparison`` (never raises on a mismatch); its ``message``
names the worst element, both values, the error and the tolerance. The suites and
the report both build on it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Comparison:
    ok: bool
    error: float  # max_i |a_i - r_i| / (|r_i| + rms(r)); inf for NaN or shape mismatch
    tolerance: float
    message: str


def normalized_error(actual: np.ndarray, expected: np.ndarray, floor: float = 0.0) -> np.ndarray:
    """Per-element max(|a - r| - floor, 0) / (|r| + rms(r)); NaN or inf in ``actual`` counts
    as infinite. ``floor`` forgives absolute differences below it (flushed subnormals)."""
    a = np.asarray(actual, dtype=np.float64)
    r = np.asarray(expected, dtype=np.float64)
    rms = float(np.sqrt(np.mean(r * r))) if r.size else 0.0
    scale = np.abs(r) + rms
    diff = np.maximum(np.abs(a - r) - floor, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        err = np.where(scale > 0, diff / np.where(scale > 0, scale, 1.0), np.where(diff > 0, np.inf, 0.0))
    return np.where(np.isfinite(a) | (a == r), err, np.inf)


def compare(
    actual: object, expected: np.ndarray, tolerance: float, what: str = "output", floor: float = 0.0
) -> Comparison:
    """Compare ``actual`` with ``expected`` under relative ``tolerance`` (see tolerance.py);
    absolute differences below ``floor`` are forgiven."""
    a = np.asarray(actual)
    r = np.asarray(expected)
    if a.shape != r.shape:
        return Comparison(False, np.inf, tolerance, f"{what}: shape {a.shape}, expected {r.shape}")
    if r.size == 0:
        return Comparison(True, 0.0, tolerance, f"{what}: empty")
    err = normalized_error(a, r, floor)
    worst = np.unravel_index(int(np.argmax(err)), err.shape) if err.ndim else ()
    e = float(err[worst])
    ok = e <= tolerance
    verdict = "ok" if ok else "MISMATCH"
    message = (
        f"{what}: {verdict}, max error {e:.3g} (tolerance {tolerance:.3g}) at index {tuple(int(i) for i in worst)}: "
        f"got {float(a[worst])!r}, expected {float(r[worst])!r}"
    )
    if not ok:
        bad = int(np.count_nonzero(err > tolerance))
        message += f"; {bad} of {err.size} elements out of tolerance"
    return Comparison(ok, e, tolerance, message)
