"""The one tolerance table.

A backend result a in dtype d is compared with the float64 reference r computed
on the same (already rounded) inputs. Element i passes when

    |a_i - r_i| <= tol * (|r_i| + rms(r)),   tol = RTOL[d] * sqrt(reduction)

Absolute differences below the dtype's smallest normal number are forgiven
(subnormals may be flushed to zero). ``rms(r)`` lets elements that are small by cancellation carry the absolute error
of their neighbours; ``reduction`` is the longest sum feeding one output element
(catalog case), since rounding errors of a sum grow like its square root. Ops of
tolerance class "exact" (pure data movement) must match to the bit.

Some results are ill-conditioned (BatchNorm's dx for a batch of two is small by
cancellation; softmax's backward on a near one-hot row divides by 1 - y), so
even a careful implementation loses digits there. The reference measures that
on every smooth case as kappa, the error amplification in float32 ulps: the
larger of its own float32 rounding error (worst of three rounding patterns) and
how far its exact result moves when the inputs move by one ulp. The bound is the
table's tolerance scaled by whichever growth is larger:

    bound = RTOL[d] * max(sqrt(reduction), kappa)

so a well-conditioned case (kappa about 1) is held to the table, and an
ill-conditioned one gets the same budget of ulps on top of its measured
amplification. Kink and tie cases are not jittered: there the convention decides.
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


def smallest_normal(dtype: str) -> float:
    """Differences below this are forgiven: flushing subnormals to zero (FTZ/DAZ, as
    TensorFlow's CPU kernels do) is a legitimate choice, not an error."""
    return float(np.finfo(np.float32 if dtype == "bfloat16" else np.dtype(dtype)).tiny)


def machine_eps(dtype: str) -> float:
    if dtype == "bfloat16":
        return 2.0**-7
    return float(np.finfo(np.dtype(dtype)).eps)


def bound(dtype: str, reduction: int = 1, tolerance_class: str = "rounding", kappa: float = 1.0) -> float:
    """Relative bound for one comparison (see the module docstring)."""
    if dtype not in RTOL:
        raise ValueError(f"dtype: expected one of {', '.join(DTYPES)}, got {dtype!r}")
    if tolerance_class == "exact":
        return 0.0
    return RTOL[dtype] * max(math.sqrt(max(int(reduction), 1)), kappa)
