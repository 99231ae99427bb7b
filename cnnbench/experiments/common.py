"""What the experiments share: the setting a run is made in, the record of one experiment, the
verdict wording, spread over seeds, a validation split, and a probe that evaluates a loss during
training without counting its time.

A verdict is one line of parts, each ``<claim part>: supported | not supported | partly supported
(<the numbers>)``, joined by ``; ``. Spread over seeds is written ``median [min, max]``; a run
that never reached a threshold counts as infinitely slow (``inf``).

    validation split:  the last ``n_val`` of a seeded permutation of the training set become the
                       validation set (in the ``x_test`` slot); the test set is never used to choose
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from cnnbench.backends.base import Backend
from cnnbench.training import data as datasets
from cnnbench.training.loop import History, RunConfig, TrainingState, evaluate, train
from cnnbench.training.network import Architecture, Network

Summary = dict[str, Any]  # the headline numbers a verdict reads: JSON-ready
Measurements = dict[str, Any]  # {"summary": Summary, ...curves the plot reads}: JSON-ready


@dataclass(frozen=True)
class Setting:
    """Where and how big: the backend and dtype, fast (synthetic data, short runs) or full
    (the digits), and the seeds every experiment repeats its runs over."""

    backend: Backend
    dtype: str
    fast: bool
    seeds: tuple[int, ...]

    def pick(self, fast: Any, full: Any) -> Any:
        """``fast`` in fast mode, else ``full``."""
        return fast if self.fast else full

    def data(self, seed: int = 0) -> datasets.Dataset:
        """The synthetic set of ``seed``, 320 training and 320 test images (fast), or the digits (full)."""
        return datasets.synthetic(seed, n_train=320, n_test=320) if self.fast else datasets.digits()

    def arch(self, **keywords: Any) -> Architecture:
        """The network: channels (8, 16) in fast mode, (16, 32) in full mode."""
        return Architecture(channels=self.pick((8, 16), (16, 32)), **keywords)

    def train(
        self, data: datasets.Dataset, config: RunConfig, *, dtype: str | None = None, **keywords: Any
    ) -> tuple[History, TrainingState]:
        """``cnnbench.training.loop.train`` on this backend, in the setting's dtype unless given."""
        return train(self.backend, dtype or self.dtype, data, config, **keywords)


@dataclass(frozen=True)
class Experiment:
    """One claim of the notes: ``measure`` runs it, ``verdict`` (pure) judges the summary it
    returns, ``plot`` draws the measurements."""

    name: str
    claim: str
    measure: Callable[[Setting], Measurements]
    verdict: Callable[[Summary], str]
    plot: Callable[[Measurements], Figure]


def judged(label: str, supported: bool | None, numbers: str) -> str:
    """One verdict part; ``supported`` None is "partly supported"."""
    word = {True: "supported", False: "not supported", None: "partly supported"}[supported]
    return f"{label}: {word} ({numbers})"


def verdict_line(*parts: str) -> str:
    return "; ".join(parts)


def verdict_parts(line: str) -> list[str]:
    """The parts of a verdict line: split at the ``; `` outside parentheses."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(line):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and line.startswith("; ", i):
            parts.append(line[start:i])
            start = i + 2
    return [*parts, line[start:]]


def median(values: Iterable[float | None]) -> float:
    """Median with None (never reached) as infinity."""
    return float(np.median([math.inf if v is None else v for v in values]))


def spread(values: Sequence[float | None], fmt: str = ".3g") -> str:
    """``median [min, max]`` (just the value for one seed); None counts as inf."""
    finite = [math.inf if v is None else float(v) for v in values]
    if len(finite) == 1:
        return format(finite[0], fmt)
    return f"{format(median(finite), fmt)} [{format(min(finite), fmt)}, {format(max(finite), fmt)}]"


def ratio(slow: float | None, fast: float | None) -> float:
    """slow / fast with None (never reached) as inf: inf when only ``fast`` is finite, nan when neither is."""
    slow, fast = (math.inf if v is None else v for v in (slow, fast))
    if math.isinf(slow) and math.isinf(fast):
        return math.nan
    return slow / fast if fast > 0 else math.inf


def validation_split(data: datasets.Dataset, n_val: int, seed: int) -> datasets.Dataset:
    """The training set split in two: the training part keeps the name's ``x_train``, the
    validation part takes the ``x_test`` slot (module docstring)."""
    order = np.random.default_rng([seed, 7]).permutation(len(data.x_train))
    keep, held = order[:-n_val], order[-n_val:]
    return replace(
        data,
        name=f"{data.name}/validation",
        x_train=data.x_train[keep],
        y_train=data.y_train[keep],
        x_test=data.x_train[held],
        y_test=data.y_train[held],
    )


def epoch_losses(history: History) -> list[float]:
    """Mean training-step loss of each epoch (the last one may be partial)."""
    n = history.steps_per_epoch
    return [float(np.mean(history.step_loss[i : i + n])) for i in range(0, len(history.step_loss), n)]


def final_accuracy(history: History, classes: int) -> float:
    """The last test accuracy; chance (1 / classes) for a run whose loss went non-finite."""
    if history.diverged_at is not None or not history.test_accuracy:
        return 1.0 / classes
    return history.test_accuracy[-1]


class Probe:
    """An ``after_step`` hook: every ``every`` steps, (accuracy, loss) of the network on (x, y)
    in evaluation mode, with the seconds the probe itself took so they can be taken out of
    ``History.seconds``."""

    def __init__(self, x: np.ndarray, y: np.ndarray, every: int) -> None:
        self.x, self.y, self.every = x, y, every
        self.steps: list[int] = []
        self.accuracy: list[float] = []
        self.loss: list[float] = []
        self.own_seconds: list[float] = []  # cumulative probe time at each probe

    def __call__(self, step: int, network: Network, state: TrainingState, loss: float) -> None:
        if (step + 1) % self.every:
            return
        started = time.perf_counter()
        accuracy, value = evaluate(network, state, self.x, self.y)
        spent = time.perf_counter() - started
        self.steps.append(step + 1)
        self.accuracy.append(accuracy)
        self.loss.append(value)
        self.own_seconds.append((self.own_seconds[-1] if self.own_seconds else 0.0) + spent)


def first_at_most(values: Sequence[float], positions: Sequence[float], threshold: float) -> float | None:
    """The position of the first value <= threshold, None when none is."""
    return next((float(p) for v, p in zip(values, positions, strict=True) if v <= threshold), None)


def figure(columns: int = 1, width: float = 5.0, height: float = 3.6) -> tuple[Figure, list[Any]]:
    """A figure of ``columns`` panels side by side (matplotlib's Agg canvas: no display)."""
    fig = Figure(figsize=(width * columns, height), layout="constrained")
    axes = fig.subplots(1, columns, squeeze=False)[0]
    return fig, list(axes)
