"""The optimizers side by side, and the learning-rate schedules, on the same problem.

The network with BatchNorm and dropout, the same seeds, the same number of epochs. First every
optimizer at its preset (``cnnbench.training.optimizers.PRESETS``), constant rate; then momentum
SGD under every schedule (constant, step, exponential, inverse, cosine; per epoch). Measured per
run at each epoch's end: the training loss of the whole training set in evaluation mode (no
dropout, BatchNorm running statistics: the loss of the parameters, not of a noisy mini-batch),
and the final test accuracy. A run that went non-finite has loss inf.

Claims, each comparison by the margin rule of ``verdicts`` (minimum 0.01 in loss):
"converge faster" is read as a lower training loss after the same epochs. Momentum, Nesterov and
Adam each end lower than plain SGD; annealing ends lower than a constant rate, for each decay
schedule. Each part is supported when every comparison of it is, partly supported when some are,
not supported when every comparison says the opposite, otherwise inconclusive.
"""

from __future__ import annotations

import math

from matplotlib.figure import Figure

from cnnbench.training.loop import RunConfig
from cnnbench.training.optimizers import PRESETS, SCHEDULES, OptimizerConfig

from .common import Experiment, Measurements, Numbers, Setting, figure, final_accuracy
from .probe import Probe
from .verdicts import each, exceeds, judged, spread, verdict_line

FASTER_THAN_SGD = ("momentum", "nesterov", "adam")
MINIMUM = 0.01  # training loss


def _runs(setting: Setting, configs: dict[str, OptimizerConfig], epochs: int) -> dict[str, dict[str, list]]:
    """Per config name: the evaluation-mode training loss at each epoch's end and the final test
    accuracy, one entry per seed."""
    out = {name: {"loss": [], "accuracy": []} for name in configs}
    for seed in setting.seeds:
        data = setting.data(seed)
        for name, optimizer in configs.items():
            config = RunConfig(setting.arch(), optimizer, epochs, seed=seed)
            probe = Probe(data.x_train, data.y_train, every=-(-len(data.x_train) // config.batch_size))
            history, _ = setting.train(data, config, after_step=probe)
            out[name]["loss"].append(probe.loss if history.diverged_at is None else [math.inf])
            out[name]["accuracy"].append(final_accuracy(history, data.classes))
    return out


def measure(setting: Setting) -> Measurements:
    epochs = setting.pick(6, 15)
    optimizers = _runs(setting, {name: OptimizerConfig(name) for name in PRESETS}, epochs)
    schedules = _runs(setting, {s: OptimizerConfig("momentum", schedule=s) for s in SCHEDULES}, epochs)
    final = lambda runs: {name: [losses[-1] for losses in r["loss"]] for name, r in runs.items()}  # noqa: E731
    summary = {
        "optimizer_final_loss": final(optimizers),
        "optimizer_accuracy": {name: r["accuracy"] for name, r in optimizers.items()},
        "schedule_final_loss": final(schedules),
        "schedule_accuracy": {name: r["accuracy"] for name, r in schedules.items()},
    }
    return {"summary": summary, "epochs": epochs, "optimizers": optimizers, "schedules": schedules}


def verdict(summary: Numbers) -> str:
    loss, accuracy = summary["optimizer_final_loss"], summary["optimizer_accuracy"]
    schedule_loss = summary["schedule_final_loss"]
    decays = [s for s in SCHEDULES if s != "constant"]
    each_optimizer = ", ".join(f"{name} {spread(loss[name], '.3f')} ({spread(accuracy[name], '.1%')})" for name in loss)
    return verdict_line(
        judged(
            "momentum, Nesterov and Adam reach a lower training loss than plain SGD in the same epochs",
            each([exceeds(loss["sgd"], loss[name], MINIMUM) for name in FASTER_THAN_SGD]),
            f"last-epoch training loss, evaluation mode (test accuracy): {each_optimizer}",
        ),
        judged(
            "annealing the learning rate ends lower than a constant rate",
            each([exceeds(schedule_loss["constant"], schedule_loss[s], MINIMUM) for s in decays]),
            "momentum, last-epoch training loss: "
            + ", ".join(f"{s} {spread(schedule_loss[s], '.3f')}" for s in SCHEDULES),
        ),
    )


def plot(measurements: Measurements) -> Figure:
    fig, axes = figure(2)
    for ax, key, title in zip(
        axes, ("optimizers", "schedules"), ("optimizers (presets)", "momentum: schedules"), strict=True
    ):
        for name, runs in measurements[key].items():
            losses = runs["loss"][0]
            ax.plot(range(1, len(losses) + 1), losses, marker=".", label=name)
        ax.set(yscale="log", xlabel="epoch", ylabel="training loss (whole set, evaluation mode)", title=title)
        ax.title.set_fontsize(10)
        ax.legend(fontsize=8)
    return fig


EXPERIMENT = Experiment(
    name="optimizers",
    claim=(
        "Momentum, Nesterov momentum and the adaptive methods (Adam) converge faster than plain SGD (here: a "
        "lower training loss, evaluated without dropout, after the same epochs), and annealing the learning "
        "rate over training helps (a lower final training loss than a constant rate)."
    ),
    measure=measure,
    verdict=verdict,
    plot=plot,
)
