"""The optimizers a training run can use: the catalog's optimizer ops with the hyperparameters
the runs start from, and learning-rate schedules (the catalog's decay formulas, per epoch)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cnnbench.reference import optim

# learning rates that train the network of ``network`` on the digits in a few epochs; binary
# fractions, so that a framework that keeps the rate in float32 (keras) holds it exactly
PRESETS: dict[str, dict[str, float]] = {
    "sgd": {"lr": 2.0**-3},
    "momentum": {"lr": 2.0**-6, "momentum": 0.9},
    "nesterov": {"lr": 2.0**-6, "momentum": 0.9},
    "adagrad": {"lr": 2.0**-4},
    "rmsprop": {"lr": 2.0**-10, "rho": 0.9},
    "adam": {"lr": 2.0**-9},
}
OPS = {
    "sgd": "sgd",
    "momentum": "sgd_momentum",
    "nesterov": "sgd_nesterov",
    "adagrad": "adagrad",
    "rmsprop": "rmsprop",
    "adam": "adam",
}
SCHEDULES = ("constant", "step", "exponential", "inverse", "cosine")


@dataclass(frozen=True)
class OptimizerConfig:
    """An optimizer (``PRESETS``' names), its learning rate (None: the preset's), L2 weight decay
    folded into the gradient, and a per-epoch learning-rate schedule over ``epochs`` epochs."""

    name: str = "momentum"
    lr: float | None = None
    weight_decay: float = 0.0
    schedule: str = "constant"
    hyper: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.name not in PRESETS:
            raise ValueError(f"optimizer: expected one of {', '.join(PRESETS)}, got {self.name!r}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule: expected one of {', '.join(SCHEDULES)}, got {self.schedule!r}")
        if self.lr is not None and not self.lr > 0:
            raise ValueError(f"lr: expected a positive learning rate, got {self.lr!r}")

    @property
    def op(self) -> str:
        return OPS[self.name]

    @property
    def base_lr(self) -> float:
        return PRESETS[self.name]["lr"] if self.lr is None else self.lr

    def keywords(self, lr: float) -> dict[str, Any]:
        """The optimizer op's keyword arguments at learning rate ``lr``."""
        return {**PRESETS[self.name], **self.hyper, "lr": lr, "weight_decay": self.weight_decay}

    def rates(self, epochs: int) -> np.ndarray:
        """Learning rate of each epoch (epochs,): the catalog's schedules, decaying over the run.

        step: halve every quarter of the run (every epoch in runs under 8 epochs); exponential: x0.9
        per epoch; inverse: lr / (1 + 0.2 t); cosine: to lr / 100 at the last epoch."""
        t = np.arange(epochs)
        lr = self.base_lr
        if self.schedule == "constant":
            return np.full(epochs, lr)
        if self.schedule == "step":
            return optim.step_decay(steps=t, lr=lr, drop=0.5, every=max(1, epochs // 4))
        if self.schedule == "exponential":
            return optim.exponential_decay(steps=t, lr=lr, gamma=0.9)
        if self.schedule == "inverse":
            return optim.inverse_time_decay(steps=t, lr=lr, k=0.2)
        return optim.cosine_decay(steps=t, lr=lr, period=max(1, epochs - 1), lr_min=lr / 100)
