"""The one tolerance table.

A backend result a in dtype d is compared with the float64 reference r computed
on the same (already rounded) inputs. Element i passes when

    |a_i - r_i| <= tol * (|r_i| + rms(r)),   tol = RTOL[d] * sqrt(reduction)

``rms(r)`` lets elements that are small by cancellation carry the absolute error
of their neighbours; ``reduction`` is the longest sum feeding one output element
(catalog case), since rounding errors of a sum grow like its square root. Ops of
tolerance class "exact" (pure data movement) must match to the bit.

Some results are small by cancellation (BatchNorm's dx for a batch of two), so
even a careful implementation loses digits. The reference measures that on
every case: its own float32 error e32 on the same inputs gives the case's
error amplification kappa = e32 / eps32, and the bound widens to

    max(tol, AMPLIFICATION * kappa * eps(d))

i.e. "no worse than AMPLIFICATION times a careful evaluation of the textbook
formula in dtype d". For well-conditioned cases kappa is about 1 and tol rules.
"""

from __future__ import annotations

import math

import numpy as np

# About 50-100 units in the last place of each type, enough for a different
# summation order or a vectorised exp, far too little for a wrong formula.
RTOL: dict[str, float] = {
    "float64": 1e-13,
    "float32": 1e-5,
    "float16": 4e-3,
    "bfloat16": 3e-2,
}

DTYPES = tuple(RTOL)
AMPLIFICATION = 10.0


def machine_eps(dtype: str) -> float:
    if dtype == "bfloat16":
        return 2.0**-7
    return float(np.finfo(np.dtype(dtype)).eps)


def tolerance(dtype: str, reduction: int = 1, tolerance_class: str = "rounding") -> float:
    """Relative tolerance for one comparison."""
    if dtype not in RTOL:
        raise ValueError(f"dtype: expected one of {', '.join(DTYPES)}, got {dtype!r}")
    if tolerance_class == "exact":
        return 0.0
    return RTOL[dtype] * math.sqrt(max(int(reduction), 1))


def bound(dtype: str, reduction: int, tolerance_class: str, own_float32_error: float) -> float:
    """The error bound for one comparison: the table, or the case's measured conditioning."""
    conditioned = AMPLIFICATION * own_float32_error * machine_eps(dtype) / machine_eps("float32")
    return max(tolerance(dtype, reduction, tolerance_class), conditioned)
