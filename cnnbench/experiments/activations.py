"""ReLU against tanh and sigmoid: epochs to a fixed training error.

The network without BatchNorm and without dropout (so the activation is what differs), momentum
SGD at its preset, the same seeds for each activation, E epochs at most. The training error is
the loop's training accuracy at every epoch's end (evaluation mode); the measured factor is

    factor = epochs tanh needed to reach the error / epochs ReLU needed      (per seed)

The notes (after Krizhevsky et al. 2012) quote about 6x. Supported when every seed's factor is
within 2x of that (3 to 12); partly supported (ReLU faster, by another amount) when every seed's
factor is above 1 but not all within the range; not supported when none is above 1; inconclusive
when the seeds fall on both sides of 1. A run that never reaches the error within E epochs is
censored: its factor is unknown (inf when only tanh missed: at least E / ReLU's epochs; NaN when
both missed), and a censored seed makes the verdict inconclusive.
"""

from __future__ import annotations

import math

from matplotlib.figure import Figure

from cnnbench.training.loop import RunConfig
from cnnbench.training.optimizers import OptimizerConfig

from .common import Experiment, Measurements, Numbers, Setting, figure, seed_lines
from .verdicts import NOT_SUPPORTED, PARTLY, SUPPORTED, inconclusive, judged, ratio, spread, verdict_line

ACTIVATIONS = ("relu", "tanh", "sigmoid")
QUOTED = 6.0


def measure(setting: Setting) -> Measurements:
    epochs, error = setting.pick(12, 30), setting.pick(0.15, 0.02)
    curves: dict[str, list[list[float]]] = {a: [] for a in ACTIVATIONS}
    reached: dict[str, list[int | None]] = {a: [] for a in ACTIVATIONS}
    for seed in setting.seeds:
        data = setting.data(seed)
        for activation in ACTIVATIONS:
            config = RunConfig(
                arch=setting.arch(activation=activation, batch_norm=False, dropout=0.0),
                optimizer=OptimizerConfig("momentum"),
                epochs=epochs,
                seed=seed,
            )
            history, _ = setting.train(data, config)
            errors = [1.0 - a for a in history.train_accuracy]
            curves[activation].append(errors)
            reached[activation].append(next((e + 1 for e, v in enumerate(errors) if v <= error), None))
    factors = {a: [ratio(t, r) for t, r in zip(reached[a], reached["relu"], strict=True)] for a in ("tanh", "sigmoid")}
    summary = {"error": error, "epochs": epochs, "epochs_to_error": reached, "factor": factors}
    return {"summary": summary, "train_error": curves}


def verdict(summary: Numbers) -> str:
    factors = summary["factor"]["tanh"]
    reached = summary["epochs_to_error"]
    numbers = (
        f"epochs to {summary['error']:.0%} training error: ReLU {spread(reached['relu'])}, "
        f"tanh {spread(reached['tanh'])}, sigmoid {spread(reached['sigmoid'])}; "
        f"tanh/ReLU factor {spread(factors)}, the notes quote ~{QUOTED:g}x"
    )
    censored = sum(not math.isfinite(f) for f in factors)
    if censored:
        finding = inconclusive(f"censored at {summary['epochs']} epochs in {censored} of {len(factors)} seeds")
    elif all(QUOTED / 2 <= f <= QUOTED * 2 for f in factors):
        finding = SUPPORTED
    elif all(f > 1 for f in factors):
        finding = PARTLY
    elif not any(f > 1 for f in factors):
        finding = NOT_SUPPORTED
    else:
        finding = inconclusive("seeds on both sides of a factor of 1")
    return verdict_line(judged(f"ReLU converges ~{QUOTED:g}x faster than tanh", finding, numbers))


def plot(measurements: Measurements) -> Figure:
    fig, (ax,) = figure()
    for activation, runs in measurements["train_error"].items():
        shown = [[max(e, 1e-3) for e in errors] for errors in runs]  # an error of 0 drawn at 1e-3 on the log axis
        seed_lines(ax, shown, f"C{ACTIVATIONS.index(activation)}", activation)
    ax.axhline(measurements["summary"]["error"], color="grey", linestyle=":", label="target")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("training error")
    ax.legend(fontsize=8)
    ax.set_title("activations without BatchNorm (one line per seed)", fontsize=10)
    return fig


EXPERIMENT = Experiment(
    name="activations",
    claim="ReLU networks reach a given training error about 6x faster than the same network with tanh.",
    measure=measure,
    verdict=verdict,
    plot=plot,
)
