"""Full-batch gradient descent against mini-batch SGD: training loss against examples seen and
against wall time.

Both run plain SGD, no BatchNorm, no dropout (so a batch's loss is the loss of the parameters),
for the same number of epochs, each at the best learning rate of a small grid (lowest final
training loss). The training loss of the whole training set is probed every max(1, s // 4)
steps, s the steps per epoch: once per epoch for full-batch GD (s = 1), about four times an
epoch for mini-batch SGD (probe time taken out of the clock). With L* the larger of the two
final losses (one both reach):

    examples ratio = examples full-batch GD needed to reach L* / examples mini-batch SGD needed
    seconds ratio  = the same in training seconds

Claims, by the threshold rule of ``verdicts`` (every seed): "far fewer examples" is an examples
ratio of at least 4; "less wall time" a seconds ratio above 1.
"""

from __future__ import annotations

import math
from typing import Any

from matplotlib.figure import Figure

from cnnbench.training.data import Dataset
from cnnbench.training.loop import RunConfig
from cnnbench.training.optimizers import OptimizerConfig

from .common import Experiment, Measurements, Numbers, Setting, figure, first_at_most
from .probe import Probe
from .verdicts import every, judged, ratio, spread, verdict_line

LEARNING_RATES = (0.1, 0.3, 1.0, 3.0)
MINI_BATCH = 32
METHODS = ("full-batch GD", "mini-batch SGD")
FAR_FEWER = 4.0  # examples ratio


def _curve(setting: Setting, data: Dataset, seed: int, batch_size: int, lr: float, epochs: int) -> dict[str, Any]:
    """Training loss of the whole set every max(1, s // 4) steps (s steps per epoch: once an epoch
    for full-batch GD, four to five times for mini-batch SGD) against examples seen and training
    seconds (probe time out; within an epoch the seconds are interpolated linearly in the steps)."""
    n = len(data.x_train)
    config = RunConfig(
        arch=setting.arch(batch_norm=False, dropout=0.0),
        optimizer=OptimizerConfig("sgd", lr=lr),
        epochs=epochs,
        batch_size=batch_size,
        seed=seed,
    )
    per_epoch = -(-n // batch_size)
    probe = Probe(data.x_train, data.y_train, every=max(1, per_epoch // 4))
    history, _ = setting.train(data, config, after_step=probe)
    net = [0.0]  # training seconds at each epoch's end, probes taken out
    for e, total in enumerate(history.seconds):
        spent = [p for s, p in zip(probe.steps, probe.own_seconds, strict=True) if s <= (e + 1) * per_epoch]
        net.append(total - (spent[-1] if spent else 0.0))
    kept = [i for i, s in enumerate(probe.steps) if s <= len(history.seconds) * per_epoch]
    examples, seconds = [], []
    for i in kept:
        epoch, within = divmod(probe.steps[i] - 1, per_epoch)
        examples.append(epoch * n + min((within + 1) * batch_size, n))
        seconds.append(net[epoch] + (within + 1) / per_epoch * (net[epoch + 1] - net[epoch]))
    loss = [probe.loss[i] for i in kept]
    finite = history.diverged_at is None and loss
    return {"lr": lr, "examples": examples, "seconds": seconds, "loss": loss, "final": loss[-1] if finite else math.inf}


def _best(curves: list[dict[str, Any]]) -> dict[str, Any]:
    return min(curves, key=lambda c: c["final"])


def measure(setting: Setting) -> Measurements:
    epochs = setting.pick(10, 25)
    runs: dict[str, list[dict[str, Any]]] = {m: [] for m in METHODS}
    summary: Numbers = {"examples_ratio": [], "seconds_ratio": [], "final_loss": {m: [] for m in METHODS}}
    for seed in setting.seeds:
        data = setting.data(seed)
        batch = {"full-batch GD": len(data.x_train), "mini-batch SGD": MINI_BATCH}
        best = {m: _best([_curve(setting, data, seed, batch[m], lr, epochs) for lr in LEARNING_RATES]) for m in METHODS}
        target = max(best[m]["final"] for m in METHODS)
        reach = {
            m: (
                first_at_most(best[m]["loss"], best[m]["examples"], target),
                first_at_most(best[m]["loss"], best[m]["seconds"], target),
            )
            for m in METHODS
        }
        gd, sgd = reach["full-batch GD"], reach["mini-batch SGD"]
        summary["examples_ratio"].append(ratio(gd[0], sgd[0]))
        summary["seconds_ratio"].append(ratio(gd[1], sgd[1]))
        for m in METHODS:
            summary["final_loss"][m].append(best[m]["final"])
            runs[m].append(best[m])
    return {"summary": summary, "epochs": epochs, "runs": runs}


def verdict(summary: Numbers) -> str:
    examples, seconds = summary["examples_ratio"], summary["seconds_ratio"]
    return verdict_line(
        judged(
            f"mini-batch SGD needs far fewer examples (at least {FAR_FEWER:g}x) than full-batch GD",
            every([r >= FAR_FEWER for r in examples], f"{FAR_FEWER:g}x"),
            f"GD needed {spread(examples)}x the examples to reach the loss both reach",
        ),
        judged(
            "and less wall time",
            every([r > 1 for r in seconds], "1x"),
            f"GD needed {spread(seconds)}x the training seconds",
        ),
    )


def plot(measurements: Measurements) -> Figure:
    fig, (by_examples, by_time) = figure(2)
    for method in METHODS:
        run = measurements["runs"][method][0]
        label = f"{method} (lr {run['lr']:g})"
        by_examples.plot(run["examples"], run["loss"], marker=".", label=label)
        by_time.plot(run["seconds"], run["loss"], marker=".", label=label)
    for ax, xlabel in ((by_examples, "examples seen"), (by_time, "training seconds")):
        ax.set_yscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("training loss (whole set)")
        ax.legend(fontsize=8)
    fig.suptitle("full-batch GD vs mini-batch SGD (first seed)", fontsize=10)
    return fig


EXPERIMENT = Experiment(
    name="full_batch",
    claim=(
        "Mini-batch SGD reaches a given training loss after far fewer examples (here: at least 4x fewer) and in "
        "less time than full-batch gradient descent: a mini-batch gradient approximates the full one at a "
        "fraction of the cost."
    ),
    measure=measure,
    verdict=verdict,
    plot=plot,
)
