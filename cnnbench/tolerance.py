"""The one tolerance table.

A backend result a in dtype d is compared with the float64 reference r computed
on the same (already rounded) inputs. Element i passes when

    |a_i - r_i| <= tol * (|r_i| + rms(r)),   tol = RTOL[d] * sqrt(reduction)

``rms(r)`` lets elements that are small by cancellation carry the absolute error
of their neighbours; ``reduction`` is the longest sum feeding one output element
(catalog case), since rounding errors of a sum grow like its square root. Ops of
tolerance class "exact" (pure data movement) must match to the bit.

Some results are ill-conditioned (BatchNorm's dx for a batch of two is small by
cancellation; its dgamma for a zero-variance channel multiplies rounding errors
by 1/sqrt(eps)), so even a careful implementation loses digits there. The
reference measures that on every smooth case in two ways, and the bound widens
to the larger:

    own:         its own float32 error e32 on the same inputs, scaled to d:  e32 * eps(d) / eps32
    sensitivity: how far its float64 result moves when the inputs are perturbed
                 by relative noise of size eps(d)  (a backward-stable algorithm's error)

    bound = max(tol, AMPLIFICATION * max(own, sensitivity))

For well-conditioned cases both are far below tol and the table rules. Cases on
a kink or tie are not perturbed: there the convention decides, exactly.
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


def bound(
    dtype: str, reduction: int, tolerance_class: str, own_float32_error: float, sensitivity: float = 0.0
) -> float:
    """The error bound for one comparison: the table, or the case's measured conditioning."""
    own = own_float32_error * machine_eps(dtype) / machine_eps("float32")
    return max(tolerance(dtype, reduction, tolerance_class), AMPLIFICATION * max(own, sensitivity))
