"""What ``bench_training`` tracks of one backend: one seeded float32 training run
(``cnnbench.training.loop.train``, the default network and momentum SGD) reduced to a few numbers.

    size      data                            epochs  steps        target accuracy
    small     synthetic (640 train, 320 test)     10  10 x 20      0.90
    standard  digits (1,347 train, 450 test)      30  30 x 43      0.97

    test_accuracy      test accuracy after the last epoch (fraction of test images)
    loss_at[s]         mean training loss of the 10 steps before step s: (1/10) sum_{t=s-10}^{s-1} loss_t
    steps_to_target    steps taken by the end of the first epoch whose test accuracy >= the target
    seconds_to_target  training seconds by then (evaluation excluded)

A number that does not exist is NaN (asv shows it as n/a): every one of them where the loss stopped
being finite before it (``History.diverged_at``: the run stops there), the steps and seconds where
the target was never reached. A backend that cannot run the training here (not installed, no
float32, an op missing, kernels on an interpreter) is ``NotRun``; one whose run raised
anything else is ``NotRun`` marked failed, so that it does not take the other backends down with it.

An interpreted backend (``Backend.interpreted``: Triton under TRITON_INTERPRET=1) is timed at the
small size only (``timed_call.not_timed``) but trained at no size: the small run's 200 steps and 10
evaluations would take it most of an hour there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from cnnbench.backends.base import Backend, OpNotSupported
from cnnbench.training.data import load
from cnnbench.training.loop import History, RunConfig, train

DTYPE = "float32"
LOSS_STEPS = (50, 200)
LOSS_WINDOW = 10
INTERPRETED_COST = "about 12 s a training step and 80 s an evaluation on a CPU"  # Triton, TRITON_INTERPRET=1


@dataclass(frozen=True)
class Setting:
    data: str
    epochs: int
    target: float

    def config(self) -> RunConfig:
        return RunConfig(epochs=self.epochs, target_accuracy=self.target)


SETTINGS = {"small": Setting("synthetic", 10, 0.90), "standard": Setting("digits", 30, 0.97)}


@dataclass(frozen=True)
class Tracked:
    """The numbers of one run (module docstring); NaN where one does not exist."""

    test_accuracy: float
    loss_at: dict[int, float]
    steps_to_target: float
    seconds_to_target: float


@dataclass(frozen=True)
class NotRun:
    reason: str
    failed: bool = False  # True: the run raised (asv: a failure); False: it cannot run here (asv: a skip)


def _finite(value: float | None) -> float:
    return float(value) if value is not None and math.isfinite(value) else math.nan


def tracked(history: History) -> Tracked:
    """The tracked numbers of a finished (or diverged) run."""
    diverged = history.diverged_at is not None
    windows = {s: history.step_loss[s - LOSS_WINDOW : s] for s in LOSS_STEPS}  # (LOSS_WINDOW,) each
    return Tracked(
        test_accuracy=math.nan if diverged else _finite(history.final_test_accuracy),
        loss_at={s: _finite(float(np.mean(w))) if len(w) == LOSS_WINDOW else math.nan for s, w in windows.items()},
        steps_to_target=_finite(history.steps_to_target),
        seconds_to_target=_finite(history.seconds_to_target),
    )


def measure(backend: Backend | str, size: str) -> Tracked | NotRun:
    """One training run of ``backend`` (or why it did not load) at ``size``, reduced to ``Tracked``."""
    if isinstance(backend, str):
        return NotRun(backend)
    if DTYPE not in backend.dtypes:
        return NotRun(f"{backend.name} runs {', '.join(backend.dtypes)}")
    if getattr(backend, "interpreted", False):
        return NotRun(f"{backend.name} runs on an interpreter here: {INTERPRETED_COST}, not trained")
    setting = SETTINGS[size]
    try:
        history, _ = train(backend, DTYPE, load(setting.data), setting.config())
    except OpNotSupported as exc:
        return NotRun(str(exc))
    except Exception as exc:  # a backend under test may raise anything: its failure is its own
        return NotRun(f"{backend.name}: training raised {type(exc).__name__}: {exc}", failed=True)
    return tracked(history)
