"""Training curves as PNG bytes (matplotlib, Agg: no display needed).

loss_chart      per-step training loss of every run (thin) and, per backend, its mean over
                seeds smoothed over one epoch (thick), log axis
accuracy_chart  per-epoch test accuracy (solid) and training accuracy (dashed), mean over seeds
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from .loop import History


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def _groups(histories: list[History]) -> dict[str, list[History]]:
    """Runs by "backend dtype optimizer", in the order first seen."""
    groups: dict[str, list[History]] = {}
    for h in histories:
        groups.setdefault(f"{h.backend} {h.dtype} {h.config['optimizer']['name']}", []).append(h)
    return groups


def _mean_curve(curves: list[list[float]]) -> np.ndarray:
    """Mean over runs, over the steps every run reached."""
    n = min(len(c) for c in curves)
    return np.mean([c[:n] for c in curves], axis=0)


def loss_chart(histories: list[History], title: str) -> bytes:
    fig, ax = plt.subplots(figsize=(8, 4.5))
    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (label, runs) in enumerate(_groups(histories).items()):
        colour = cycle[i % len(cycle)]
        for h in runs:
            ax.plot(h.step_loss, color=colour, alpha=0.15, linewidth=0.6)
        mean = _mean_curve([h.step_loss for h in runs])
        window = max(1, min(runs[0].steps_per_epoch, len(mean)))
        smooth = np.convolve(mean, np.ones(window) / window, mode="valid")
        steps = np.arange(window - 1, len(mean))
        ax.plot(steps, smooth, color=colour, linewidth=2, label=f"{label} ({len(runs)} seeds)")
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("training loss (cross-entropy)")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    return _png(fig)


def accuracy_chart(histories: list[History], title: str) -> bytes:
    fig, ax = plt.subplots(figsize=(8, 4.5))
    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (label, runs) in enumerate(_groups(histories).items()):
        colour = cycle[i % len(cycle)]
        test = _mean_curve([h.test_accuracy for h in runs])
        train = _mean_curve([h.train_accuracy for h in runs])
        epochs = np.arange(1, len(test) + 1)
        ax.plot(epochs, test, color=colour, linewidth=2, label=f"{label}: test")
        ax.plot(epochs, train, color=colour, linewidth=1, linestyle="--", label=f"{label}: train")
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy (mean over seeds)")
    ax.set_ylim(top=1.0)
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    return _png(fig)
