"""A probe that evaluates the network during training without counting its own time.

Every ``every`` steps (the loop's global step count), (accuracy, loss) of the network on
(x (N, 1, 8, 8), y (N,)) in evaluation mode (BatchNorm running statistics, no dropout), with the
cumulative seconds the probe itself took, so that they can be taken out of ``History.seconds``.
"""

from __future__ import annotations

import time

import numpy as np

from cnnbench.training.loop import TrainingState, evaluate
from cnnbench.training.network import Network


class Probe:
    """An ``after_step`` hook for ``cnnbench.training.loop.train`` (module docstring)."""

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
