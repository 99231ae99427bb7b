"""Timing that survives a shared, noisy machine: compare within one process,
interleaving the candidates, and keep the best of many repeats.

    ratio = min_i t_a(i) / min_i t_b(i)

The minimum is the run least disturbed by other load; interleaving means a
burst of load hits both candidates alike.
"""

from __future__ import annotations

import time
from collections.abc import Callable


def best_times(candidates: dict[str, Callable[[], object]], repeats: int = 15, warmup: int = 2) -> dict[str, float]:
    """Best wall time in seconds of each candidate, run round-robin ``repeats`` times."""
    for fn in candidates.values():
        for _ in range(warmup):
            fn()
    best = dict.fromkeys(candidates, float("inf"))
    for _ in range(repeats):
        for name, fn in candidates.items():
            start = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def speed_ratio(slow: Callable[[], object], fast: Callable[[], object], repeats: int = 15) -> float:
    """How many times longer ``slow`` takes than ``fast``, measured in this process."""
    times = best_times({"slow": slow, "fast": fast}, repeats)
    return times["slow"] / times["fast"]
