"""Sharpness: a check is only as good as the wrong answers it rejects.

After a backend passes a check, the harness derives plausible wrong answers from
that very output and compares each under the same bounds; every one must fail,
or the check is reported as blunt:

    zeros        0 everywhere
    negated      -a
    halved       0.5 a
    permuted     a with its elements in reverse order (when that arrangement differs
                 visibly: by at least a tenth of max |r| somewhere)
    one element  the largest element (so |r_i| >= rms(r)), changed by 1 % (float64, float32), 10 % (float16) or 25 %
                 (bfloat16: its 8-bit significand makes 10 % only 26 ulps, inside
                 the 8 ulps per unit of scale the bound forgives)

A control is skipped where it is not wrong at all (it moves no element by more than
the subnormal floor: a zero result cannot be halved). ``sharpness`` is the smallest
uniform relative error, a = r (1 + delta), that the check rejects.
"""

from __future__ import annotations

import numpy as np

from .compare import bound_fractions

ONE_ELEMENT_CHANGE = {"float64": 0.01, "float32": 0.01, "float16": 0.1, "bfloat16": 0.25}


def wrong_answers(actual: np.ndarray, expected: np.ndarray, dtype: str) -> dict[str, np.ndarray]:
    """Plausible wrong answers derived from a passing output (see the module docstring)."""
    a = np.asarray(actual, dtype=np.float64)
    r = np.asarray(expected, dtype=np.float64)
    wrong = {"zeros": np.zeros_like(a), "negated": -a, "halved": 0.5 * a}
    if r.size > 1:
        reversed_ = a.reshape(-1)[::-1].reshape(a.shape)
        if np.max(np.abs(reversed_ - r)) >= 0.1 * np.max(np.abs(r)):
            wrong["permuted"] = reversed_
    if r.size and np.any(r != 0):
        i = np.unravel_index(int(np.argmax(np.abs(r))), r.shape)
        nudged = a.copy()
        nudged[i] = r[i] * (1 + ONE_ELEMENT_CHANGE[dtype])
        wrong[f"one element {ONE_ELEMENT_CHANGE[dtype]:.0%} off"] = nudged
    return wrong


def blunt_controls(actual: np.ndarray, expected: np.ndarray, bounds: np.ndarray, dtype: str, floor: float) -> list[str]:
    """Names of the wrong answers that pass (an empty list: the check is sharp)."""
    r = np.asarray(expected, dtype=np.float64)
    passing = []
    for name, wrong in wrong_answers(actual, expected, dtype).items():
        if not np.any(np.abs(wrong - r) > floor):
            continue  # not wrong at all
        if np.max(bound_fractions(wrong, r, np.broadcast_to(bounds, r.shape), floor), initial=0.0) <= 1.0:
            passing.append(name)
    return passing


def sharpness(expected: np.ndarray, bounds: np.ndarray, floor: float) -> float:
    """min_i (floor + bound_i) / |r_i|: the smallest uniform relative error rejected (inf: none is)."""
    r = np.abs(np.asarray(expected, dtype=np.float64)).reshape(-1)
    b = np.broadcast_to(bounds, np.shape(expected)).reshape(-1)
    nonzero = r > 0
    if not np.any(nonzero):
        return float("inf")
    with np.errstate(over="ignore"):  # a subnormal |r_i| may overflow the ratio: that element rejects nothing
        return float(np.min((floor + b[nonzero]) / r[nonzero]))
