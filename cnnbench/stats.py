"""Two-sample tests for seeded random ops (initialisers, dropout masks).

A backend's samples and the reference's are compared with three tests, each at
false-alarm rate ALPHA per comparison (so a correct backend fails one in a
million runs, and with fixed seeds never flickers):

    mean:      z = (m1 - m2) / sqrt(s1^2/n1 + s2^2/n2)
    variance:  z = (s1^2 - s2^2) / sqrt((mu4_1 - s1^4)/n1 + (mu4_2 - s2^4)/n2)
    shape:     Kolmogorov-Smirnov D = sup |F1 - F2| against c(ALPHA) sqrt((n1+n2)/(n1 n2)),
               c(a) = sqrt(-ln(a/2) / 2)

Each statistic is reported as a multiple of its critical value: <= 1 passes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

ALPHA = 1e-6
Z_CRITICAL = 4.8916  # two-sided normal quantile for ALPHA
KS_C = math.sqrt(-math.log(ALPHA / 2) / 2)


@dataclass(frozen=True)
class TestResult:
    name: str
    ratio: float  # statistic / critical value

    @property
    def ok(self) -> bool:
        return self.ratio <= 1.0


def _z_ratio(diff: float, var: float) -> float:
    if var <= 0:
        return 0.0 if diff == 0 else math.inf
    return abs(diff) / math.sqrt(var) / Z_CRITICAL


def mean_test(a: np.ndarray, b: np.ndarray) -> TestResult:
    return TestResult("mean", _z_ratio(a.mean() - b.mean(), a.var() / a.size + b.var() / b.size))


def variance_test(a: np.ndarray, b: np.ndarray) -> TestResult:
    def var_of_var(x: np.ndarray) -> float:
        c = x - x.mean()
        return float(((c**4).mean() - x.var() ** 2) / x.size)

    return TestResult("variance", _z_ratio(a.var() - b.var(), var_of_var(a) + var_of_var(b)))


def ks_test(a: np.ndarray, b: np.ndarray) -> TestResult:
    a, b = np.sort(a), np.sort(b)
    grid = np.concatenate([a, b])
    d = np.max(
        np.abs(np.searchsorted(a, grid, side="right") / a.size - np.searchsorted(b, grid, side="right") / b.size)
    )
    return TestResult("ks", float(d) / (KS_C * math.sqrt((a.size + b.size) / (a.size * b.size))))


def same_distribution(samples: np.ndarray, reference: np.ndarray) -> list[TestResult]:
    a = np.asarray(samples, dtype=np.float64).ravel()
    b = np.asarray(reference, dtype=np.float64).ravel()
    return [mean_test(a, b), variance_test(a, b), ks_test(a, b)]
