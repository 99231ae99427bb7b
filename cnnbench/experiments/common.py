"""What the experiments share: the setting a run is made in, the record of one experiment, the
experiments' own random streams, a validation split, per-epoch readings of a History, and the
one-line-per-seed plot. Verdict wording and statistics: ``verdicts``; the in-training probe: ``probe``.

    random streams:    an experiment's own random draws (not the training loop's) come from
                       ``default_rng([STREAMS, seed, tag])`` with STREAMS = 0xE5 * 2**32 and a tag >= 1
                       per use (``TAGS``). NumPy seeds with 32-bit words and treats trailing zero
                       words as absent, so for seeds below 2**32 this four-word key never equals
                       the loop's ``[seed, epoch]`` (batch order) or ``[seed, step, 1]`` (shifts).
    validation split:  the last ``n_val`` of a seeded permutation of the training set become the
                       validation set (in the ``x_test`` slot); the test set is never used to choose
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from cnnbench.backends.base import Backend
from cnnbench.training import data as datasets
from cnnbench.training.loop import History, RunConfig, TrainingState, train
from cnnbench.training.network import Architecture

Numbers = dict[str, Any]  # the headline numbers a verdict reads (``measurements["summary"]``): JSON-ready
Measurements = dict[str, Any]  # {"summary": Numbers, ...curves the plot reads}: JSON-ready

STREAMS = 0xE5 << 32
TAGS = {"validation split": 1, "search draws": 2, "initialisation inputs": 3}


def stream(seed: int, use: str) -> np.random.Generator:
    """The experiments' random stream ``use`` (a key of ``TAGS``) for ``seed`` (module docstring)."""
    return np.random.default_rng([STREAMS, seed, TAGS[use]])


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
    """One claim of the notes: ``measure`` runs it, ``verdict`` (pure) judges the numbers it
    returns, ``plot`` draws the measurements."""

    name: str
    claim: str
    measure: Callable[[Setting], Measurements]
    verdict: Callable[[Numbers], str]
    plot: Callable[[Measurements], Figure]


def validation_split(data: datasets.Dataset, n_val: int, seed: int) -> datasets.Dataset:
    """The training set split in two: the training part keeps the name's ``x_train``, the
    validation part takes the ``x_test`` slot (module docstring)."""
    order = stream(seed, "validation split").permutation(len(data.x_train))
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


def first_at_most(values: Sequence[float], positions: Sequence[float], threshold: float) -> float | None:
    """The position of the first value <= threshold, None when none is."""
    return next((float(p) for v, p in zip(values, positions, strict=True) if v <= threshold), None)


def figure(columns: int = 1, width: float = 5.0, height: float = 3.6) -> tuple[Figure, list[Any]]:
    """A figure of ``columns`` panels side by side (matplotlib's Agg canvas: no display)."""
    fig = Figure(figsize=(width * columns, height), layout="constrained")
    axes = fig.subplots(1, columns, squeeze=False)[0]
    return fig, list(axes)


def seed_lines(
    ax: Axes, runs: Sequence[Sequence[float]], colour: str, label: str, x: Sequence[float] | None = None, **style: Any
) -> None:
    """One line per seed in ``colour``: the first seed opaque and labelled, the others faint;
    x defaults to 1, 2, ... (epochs)."""
    for j, values in enumerate(runs):
        xs = x if x is not None else range(1, len(values) + 1)
        ax.plot(xs, values, color=colour, alpha=1.0 if j == 0 else 0.35, label=label if j == 0 else None, **style)
