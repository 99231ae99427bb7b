"""Diagnosing the learning rate from the loss curve: too low barely moves it, too high blows it up.

Plain SGD on the network with BatchNorm, no dropout, at rates from far too low to far too high.
Per run, from the per-step training losses l_0, l_1, ...:

    change  = 1 - (mean loss of the last epoch) / (mean loss of the first epoch)
    blow-up = max_t l_t / l_0        (inf when a loss went non-finite: History.diverged_at)

Too low (1e-5): supported when its |change| is under 5 % while the preset rate's is over 20 %.
Too high (the largest rate): supported when its loss blows up by 10x or more, or goes non-finite.
Each a threshold that every seed must pass (``verdicts.every``: not supported when no seed does,
otherwise inconclusive).
The largest rate is also run in float32 (when the setting's dtype is float64 and the backend has
float32): float64's range can keep an exploded loss finite where float32 overflows, and the run
must then stop at the first non-finite step and say so, not crash.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from cnnbench.training.loop import History, RunConfig
from cnnbench.training.optimizers import PRESETS, OptimizerConfig

from .common import Experiment, Measurements, Numbers, Setting, epoch_losses, figure
from .verdicts import every, judged, spread, verdict_line

RATES = {"too low": 1e-5, "preset": PRESETS["sgd"]["lr"], "high": 3.0, "too high": 1e4}


def _diagnosis(history: History) -> dict[str, Any]:
    losses = history.step_loss
    per_epoch = epoch_losses(history)
    start, last = per_epoch[0], per_epoch[-1]  # epoch means: a few mini-batches' loss is noisy
    finite = history.diverged_at is None
    return {
        "change": 1.0 - last / start if finite else math.nan,
        "blow_up": max(losses) / losses[0] if finite else math.inf,
        "diverged_at": history.diverged_at,
        "step_loss": [v if math.isfinite(v) else None for v in losses],
    }


def measure(setting: Setting) -> Measurements:
    epochs = setting.pick(3, 6)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in RATES}
    overflow: list[dict[str, Any]] = []
    in_float32 = setting.dtype == "float64" and "float32" in setting.backend.dtypes
    for seed in setting.seeds:
        data = setting.data(seed)
        for name, lr in RATES.items():
            config = RunConfig(setting.arch(dropout=0.0), OptimizerConfig("sgd", lr=lr), epochs, seed=seed)
            runs[name].append(_diagnosis(setting.train(data, config)[0]))
            if name == "too high" and in_float32:
                with np.errstate(over="ignore", invalid="ignore"):  # the overflow is the point
                    history, _ = setting.train(data, config, dtype="float32")
                overflow.append(_diagnosis(history))
    summary = {
        "rates": RATES,
        "change": {name: [r["change"] for r in rs] for name, rs in runs.items()},
        "blow_up": {name: [r["blow_up"] for r in rs] for name, rs in runs.items()},
        "diverged_at": {name: [r["diverged_at"] for r in rs] for name, rs in runs.items()},
        "float32_too_high_diverged_at": [r["diverged_at"] for r in overflow],
    }
    return {"summary": summary, "runs": runs, "float32_too_high": overflow}


def verdict(summary: Numbers) -> str:
    change, blow_up, rates = summary["change"], summary["blow_up"], summary["rates"]
    diverged = [d for d in summary["diverged_at"]["too high"] if d is not None]
    float32 = summary["float32_too_high_diverged_at"]
    detected = (
        f"; in float32 the loss went non-finite at step {spread(float32, '.0f')} and the run stopped there"
        if float32 and all(d is not None for d in float32)
        else ""
    )
    how = f"non-finite at step {spread(diverged, '.0f')}" if diverged else "stayed finite"
    return verdict_line(
        judged(
            "too low a learning rate barely changes the loss",
            every(
                [
                    abs(low) < 0.05 and preset > 0.2
                    for low, preset in zip(change["too low"], change["preset"], strict=True)
                ],
                "5 % and 20 %",
            ),
            f"lr {rates['too low']:g}: loss down {spread(change['too low'], '.1%')}; "
            f"lr {rates['preset']:g}: down {spread(change['preset'], '.1%')}",
        ),
        judged(
            "too high a learning rate blows the loss up",
            every([b >= 10 for b in blow_up["too high"]], "10x"),
            f"lr {rates['too high']:g}: peak loss {spread(blow_up['too high'], '.3g')}x the first, {how}{detected}",
        ),
    )


def plot(measurements: Measurements) -> Figure:
    fig, (ax,) = figure(width=6.0)
    for i, (name, lr) in enumerate(measurements["summary"]["rates"].items()):
        losses = measurements["runs"][name][0]["step_loss"]
        ax.plot([np.nan if v is None else v for v in losses], color=f"C{i}", label=f"{name}: lr {lr:g}")
    for run in measurements["float32_too_high"][:1]:
        steps = [np.nan if v is None else v for v in run["step_loss"]]
        ax.plot(steps, color="black", linestyle="--", label="too high, float32")
        if run["diverged_at"] is not None:
            ax.axvline(run["diverged_at"], color="black", linestyle=":", label="float32: loss not finite")
    ax.set(yscale="log", xlabel="step", ylabel="training loss (mini-batch)")
    ax.legend(fontsize=8)
    ax.set_title("loss curves by learning rate (first seed)", fontsize=10)
    return fig


EXPERIMENT = Experiment(
    name="learning_rate",
    claim=(
        "The loss curve diagnoses the learning rate: too low and the loss barely moves; "
        "too high and the loss explodes (to NaN/inf)."
    ),
    measure=measure,
    verdict=verdict,
    plot=plot,
)
