"""Timing that survives a shared, noisy machine: compare within one process, interleave the
candidates, and keep the least disturbed sample.

One sample of a candidate is ``number`` back-to-back calls, timed together and divided by
``number``; ``number`` is calibrated so a sample lasts at least ``min_sample`` seconds (timer
resolution and call overhead vanish). After ``warmup`` calls each, the candidates take turns,
``rounds`` samples each, so a burst of load hits them alike:

    best_c = min over rounds of sample_c        ratio(a, b) = best_a / best_b

The minimum estimates the undisturbed time (load only ever adds); the median is kept to show
the spread. The clock is the wall clock (``time.perf_counter``) unless the caller passes another:
``time.process_time``, the CPU seconds of this process, leaves out the time the scheduler gives
to other processes, which on a machine with more runnable processes than cores is most of what
moves a wall-clock sample; it equals the wall time of a call that keeps one thread busy on the
host and waits for nothing else (no device, no sleep).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

ROUNDS = 15
WARMUP = 2
MIN_SAMPLE = 0.02  # seconds
Clock = Callable[[], float]  # seconds: time.perf_counter (wall), time.process_time (this process's CPU)


@dataclass(frozen=True)
class Timing:
    """Seconds per call of one candidate."""

    best: float
    median: float
    rounds: int
    number: int  # calls per sample

    @classmethod
    def of(cls, samples: list[float], number: int) -> Timing:
        """The best and median of ``samples`` (seconds per call, one per round)."""
        return cls(min(samples), statistics.median(samples), len(samples), number)


def sample_seconds(fn: Callable[[], object], number: int, clock: Clock = time.perf_counter) -> float:
    """One sample: ``number`` back-to-back calls of ``fn`` timed together on ``clock``, in seconds per call."""
    start = clock()
    for _ in range(number):
        fn()
    return (clock() - start) / number


def calls_per_sample(fn: Callable[[], object], min_sample: float = MIN_SAMPLE, clock: Clock = time.perf_counter) -> int:
    """Smallest power of 2 of back-to-back calls of ``fn`` that last at least ``min_sample`` seconds on ``clock``."""
    number = 1
    while True:
        start = clock()
        for _ in range(number):
            fn()
        if clock() - start >= min_sample or number >= 2**20:
            return number
        number *= 2


def interleaved(
    candidates: Mapping[str, Callable[[], object]],
    rounds: int = ROUNDS,
    warmup: int = WARMUP,
    min_sample: float = MIN_SAMPLE,
    clock: Clock = time.perf_counter,
) -> dict[str, Timing]:
    """Time every candidate round-robin on ``clock`` (module docstring); ``{name: Timing}``."""
    for fn in candidates.values():
        for _ in range(warmup):
            fn()
    numbers = {name: calls_per_sample(fn, min_sample, clock) for name, fn in candidates.items()}
    samples: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(rounds):
        for name, fn in candidates.items():
            samples[name].append(sample_seconds(fn, numbers[name], clock))
    return {name: Timing.of(times, numbers[name]) for name, times in samples.items()}
