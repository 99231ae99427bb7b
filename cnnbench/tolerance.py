"""The one tolerance model: a bound per element, from the dtype and the magnitudes that feed it.

A backend result a in dtype d is compared with the float64 reference r evaluated
on exactly the inputs the backend was given (already rounded to d). Element i
passes when

    |a_i - r_i| <= floor_d + SAFETY * [u_d k_i + sqrt(n) u_acc (|r_i| + s_i) + u_c c_i] (+ share)

    u_d      unit roundoff of d: 2^-53, 2^-24, 2^-11, 2^-8 for float64, float32,
             float16, bfloat16: the rounding of the result and of intermediates
             a framework keeps in d (an op built from primitives rounds each one)
    k_i      what a correct implementation rounds to d: |r_i| + s_i in general (the
             result, and intermediates as large as the terms that cancel). For ops
             of class "products" (fully connected, conv2d: sums of products of two
             inputs, exact in a float32 accumulator) only the result and, forward,
             the product sum before the bias is added: k_i = |r_i| + |r_i - bias|.
             A sum accumulated in half precision, or products rounded to it, fail
    u_acc    unit roundoff of the accumulator: float32 for the half types (every
             framework accumulates half-precision sums in float32), d otherwise
    n        the longest sum feeding the output (catalog case): rounding errors
             of a sum grow like its square root. An optimizer trajectory counts as
             pointwise (n = 1): its state lives in d, and c_i measures the
             rounding it accumulates over the steps
    s_i      the sensitivity of r_i to its inputs: how far the float64 result
             moves per unit of relative change when every float input (and the
             cotangent dy) moves by a few float32 ulps; the worst of JITTERS draws.
             It is the size of the terms that cancel in r_i: a difference of two
             large numbers has a small |r_i| and a large s_i
    c_i      the rounding error of a careful implementation, measured: the
             reference evaluated in float32 at those nearby inputs, against
             float64, in units of u32 (a backward computed from a saturated
             forward output, 1 - y^2 at y = 1, loses everything; this says so)
    u_c      the unit c_i is charged in: u_d for pointwise outputs (n = 1), whose
             intermediates live in d; u_acc for outputs of sums, where c_i is
             mostly the accumulator's rounding, which half types keep in float32
    share    when n > 1, a sixteenth of the rms over the output of the bracket:
             an element of a sum that is small by cancellation carries a little
             of its neighbours' rounding
    floor_d  the smallest normal number of d: flushing subnormals to zero
             (FTZ/DAZ, as TensorFlow's CPU kernels do) is a legitimate choice

Pointwise outputs are judged element by element, relative to each element. Kink
and tie cases jitter only the cotangent: there the
declared convention decides exactly. Ops of tolerance class "exact" (pure data
movement) must match to the bit.

SAFETY is how many times a careful implementation's rounding we forgive: the
correct built-in backends use at most about a quarter of it (the report prints
each check's fraction), while zeros, a negated or halved result, a permutation,
and one element off by 1 % (10 % in the half types) must all be rejected: every
passing check verifies that they are (``controls.py``).
"""

from __future__ import annotations

import math

import numpy as np

UNIT_ROUNDOFF: dict[str, float] = {
    "float64": 2.0**-53,
    "float32": 2.0**-24,
    "float16": 2.0**-11,
    "bfloat16": 2.0**-8,
}
ACCUMULATOR: dict[str, str] = {"float64": "float64", "float32": "float32", "float16": "float32", "bfloat16": "float32"}
DTYPES = tuple(UNIT_ROUNDOFF)

SAFETY = 8.0
NORMWISE_SHARE = 1 / 16
JITTER_ULPS = 4.0  # how far, in float32 ulps, the nearby inputs of s_i and c_i lie
JITTERS = 3


def check_dtype(dtype: str) -> str:
    if dtype not in UNIT_ROUNDOFF:
        raise ValueError(f"dtype: expected one of {', '.join(DTYPES)}, got {dtype!r}")
    return dtype


def smallest_normal(dtype: str) -> float:
    """Absolute differences below this are forgiven (flushed subnormals)."""
    return float(np.finfo(np.float32 if check_dtype(dtype) == "bfloat16" else np.dtype(dtype)).tiny)


def element_bounds(
    dtype: str,
    expected: np.ndarray,
    sensitivity: np.ndarray,
    careful: np.ndarray,
    reduction: int = 1,
    tolerance_class: str = "rounding",
    kept: np.ndarray | None = None,
) -> np.ndarray:
    """The bound on |a_i - r_i| for every element, before the subnormal floor (see the module docstring).
    ``kept``: the magnitudes a correct implementation rounds to d, where not |r| + s (class "products")."""
    if tolerance_class == "exact":
        return np.zeros(np.shape(expected))
    check_dtype(dtype)
    n = max(int(reduction), 1)
    u = UNIT_ROUNDOFF[dtype]
    u_acc = UNIT_ROUNDOFF[ACCUMULATOR[dtype]]
    terms = np.abs(np.asarray(expected, dtype=np.float64)) + np.asarray(sensitivity, dtype=np.float64)
    in_dtype = terms if kept is None else np.asarray(kept, dtype=np.float64)
    bounds = (
        u * in_dtype + math.sqrt(n) * u_acc * terms + (u if n == 1 else u_acc) * np.asarray(careful, dtype=np.float64)
    )
    if n > 1 and bounds.size:
        bounds = bounds + NORMWISE_SHARE * float(np.sqrt(np.mean(bounds * bounds)))
    return SAFETY * bounds
