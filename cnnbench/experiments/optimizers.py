"""The optimizers side by side, and the learning-rate schedules, on the same problem.

The network with BatchNorm and dropout, the same seeds, the same number of epochs. First every
optimizer at its preset (``cnnbench.training.optimizers.PRESETS``), constant rate; then momentum
SGD under every schedule (constant, step, exponential, inverse, cosine; per epoch). Measured per
run: the mean training loss of each epoch and the final test accuracy.

Claims: momentum, Nesterov and Adam end with a lower training loss than plain SGD; annealing
the learning rate ends lower than keeping it constant (supported when every decay schedule
does, partly when some do).
"""

from __future__ import annotations

from matplotlib.figure import Figure

from cnnbench.training.loop import RunConfig
from cnnbench.training.optimizers import PRESETS, SCHEDULES, OptimizerConfig

from .common import (
    Experiment,
    Measurements,
    Setting,
    Summary,
    epoch_losses,
    figure,
    final_accuracy,
    judged,
    median,
    spread,
    verdict_line,
)

FASTER_THAN_SGD = ("momentum", "nesterov", "adam")


def _runs(setting: Setting, configs: dict[str, OptimizerConfig], epochs: int) -> dict[str, dict[str, list]]:
    """Per config name: epoch losses and final test accuracy, one entry per seed."""
    out = {name: {"loss": [], "accuracy": []} for name in configs}
    for seed in setting.seeds:
        data = setting.data(seed)
        for name, optimizer in configs.items():
            history, _ = setting.train(data, RunConfig(setting.arch(), optimizer, epochs, seed=seed))
            losses = epoch_losses(history) if history.diverged_at is None else [float("inf")]
            out[name]["loss"].append(losses)
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


def verdict(summary: Summary) -> str:
    loss, accuracy = summary["optimizer_final_loss"], summary["optimizer_accuracy"]
    schedule_loss = summary["schedule_final_loss"]
    faster = [name for name in FASTER_THAN_SGD if median(loss[name]) < median(loss["sgd"])]
    decays = [s for s in SCHEDULES if s != "constant"]
    lower = [s for s in decays if median(schedule_loss[s]) < median(schedule_loss["constant"])]
    each = ", ".join(f"{name} {spread(loss[name], '.3f')} ({spread(accuracy[name], '.1%')})" for name in loss)
    return verdict_line(
        judged(
            "momentum, Nesterov and Adam train faster than plain SGD",
            len(faster) == len(FASTER_THAN_SGD) or (None if faster else False),
            f"last-epoch training loss (test accuracy): {each}",
        ),
        judged(
            "annealing the learning rate ends lower than a constant rate",
            len(lower) == len(decays) or (None if lower else False),
            "momentum, last-epoch loss: " + ", ".join(f"{s} {spread(schedule_loss[s], '.3f')}" for s in SCHEDULES),
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
        ax.set(yscale="log", xlabel="epoch", ylabel="mean training loss", title=title)
        ax.title.set_fontsize(10)
        ax.legend(fontsize=8)
    return fig


EXPERIMENT = Experiment(
    name="optimizers",
    claim=(
        "Momentum, Nesterov momentum and the adaptive methods (Adam) converge faster than plain SGD, "
        "and annealing the learning rate over training helps."
    ),
    measure=measure,
    verdict=verdict,
    plot=plot,
)
