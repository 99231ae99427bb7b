"""BatchNorm against higher learning rates and against a bad initialisation.

Plain SGD, no dropout, the network with and without BatchNorm (after the first convolution), on a
log grid of learning rates (0.03 to 10, ``RATES``). A learning rate is stable when the run's loss
stays finite and its last epoch's mean training loss is at most half the loss of chance,
ln(classes) / 2 (the run learns, it does not merely stay bounded). Measured per seed:

    max stable lr           the largest stable rate of the grid (0 when none is)
    init spread             max - min final test accuracy over the initialisations he, xavier,
                            small (0.01 randn), large (1 randn), at the SGD preset rate

The claims, each by the margin rule of ``verdicts``: the max stable rate is higher with
BatchNorm (compared in grid steps, minimum one step), and the init spread is smaller (minimum
2 percentage points). A max stable rate at the grid's top is censored (the true one may be
higher): where BatchNorm's is at the top in some seed and the first claim is not supported, it
is inconclusive (censored at the grid's top).
"""

from __future__ import annotations

import math

from matplotlib.figure import Figure

from cnnbench.training.loop import RunConfig
from cnnbench.training.network import INITS
from cnnbench.training.optimizers import PRESETS, OptimizerConfig

from .common import Experiment, Measurements, Numbers, Setting, epoch_losses, figure, final_accuracy, seed_lines
from .verdicts import SUPPORTED, exceeds, inconclusive, judged, spread, verdict_line

RATES = (0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
VARIANTS = {"BatchNorm": True, "no BatchNorm": False}
MINIMUM_STEPS, MINIMUM_SPREAD = 1, 0.02


def stability_bound(classes: int) -> float:
    """Half the loss of chance: ln(classes) / 2."""
    return math.log(classes) / 2


def stable(last_epoch_loss: float, classes: int) -> bool:
    """Finite (a run that went non-finite has inf here), and at most ``stability_bound(classes)``."""
    return math.isfinite(last_epoch_loss) and last_epoch_loss <= stability_bound(classes)


def measure(setting: Setting) -> Measurements:
    epochs = setting.pick(4, 5)
    final_loss = {v: [] for v in VARIANTS}  # per seed, per rate
    max_stable = {v: [] for v in VARIANTS}
    accuracy = {v: [] for v in VARIANTS}  # per seed, per init
    for seed in setting.seeds:
        data = setting.data(seed)
        for variant, bn in VARIANTS.items():
            losses = []
            for lr in RATES:
                config = RunConfig(
                    setting.arch(batch_norm=bn, dropout=0.0), OptimizerConfig("sgd", lr=lr), epochs, seed=seed
                )
                history, _ = setting.train(data, config)
                per_epoch = epoch_losses(history)
                losses.append(per_epoch[-1] if history.diverged_at is None else math.inf)
            final_loss[variant].append(losses)
            ok = [lr for lr, loss in zip(RATES, losses, strict=True) if stable(loss, data.classes)]
            max_stable[variant].append(max(ok, default=0.0))
            runs = []
            for scheme in INITS:
                arch = setting.arch(batch_norm=bn, dropout=0.0, init=scheme)
                history, _ = setting.train(data, RunConfig(arch, OptimizerConfig("sgd"), epochs, seed=seed))
                runs.append(final_accuracy(history, data.classes))
            accuracy[variant].append(runs)
    summary = {
        "max_stable_lr": max_stable,
        "init_spread": {v: [max(a) - min(a) for a in accuracy[v]] for v in VARIANTS},
        "sgd_lr": PRESETS["sgd"]["lr"],
    }
    return {
        "summary": summary,
        "rates": list(RATES),
        "classes": data.classes,
        "final_loss": final_loss,
        "init_accuracy": accuracy,
    }


def grid_steps(rates: list[float]) -> list[int]:
    """Each rate's position on the grid, -1 for 0 (none stable)."""
    return [RATES.index(r) if r in RATES else -1 for r in rates]


def verdict(summary: Numbers) -> str:
    lr, gap = summary["max_stable_lr"], summary["init_spread"]
    higher = exceeds(grid_steps(lr["BatchNorm"]), grid_steps(lr["no BatchNorm"]), MINIMUM_STEPS)
    if higher != SUPPORTED and RATES[-1] in lr["BatchNorm"]:
        higher = inconclusive(f"censored at the grid's top, lr {RATES[-1]:g}")
    return verdict_line(
        judged(
            "BatchNorm allows higher learning rates",
            higher,
            f"largest stable SGD lr {spread(lr['BatchNorm'])} with, {spread(lr['no BatchNorm'])} without "
            f"(grid {', '.join(f'{r:g}' for r in RATES)})",
        ),
        judged(
            "BatchNorm weakens the dependence on initialisation",
            exceeds(gap["no BatchNorm"], gap["BatchNorm"], MINIMUM_SPREAD),
            f"test-accuracy spread over {len(INITS)} inits at lr {summary['sgd_lr']:g}: "
            f"{spread(gap['BatchNorm'], '.1%')} with, {spread(gap['no BatchNorm'], '.1%')} without",
        ),
    )


def plot(measurements: Measurements) -> Figure:
    fig, (by_rate, by_init) = figure(2)
    for i, variant in enumerate(VARIANTS):
        shown = [[min(loss, 1e3) for loss in losses] for losses in measurements["final_loss"][variant]]
        seed_lines(by_rate, shown, f"C{i}", variant, x=measurements["rates"], marker="o")  # inf drawn at the top
        accuracies = measurements["init_accuracy"][variant]
        means = [sum(run[k] for run in accuracies) / len(accuracies) for k in range(len(INITS))]
        by_init.bar([k + 0.4 * i - 0.2 for k in range(len(INITS))], means, 0.4, color=f"C{i}", label=variant)
    classes = measurements["classes"]
    by_rate.axhline(stability_bound(classes), color="grey", linestyle=":", label=f"stable: below ln({classes})/2")
    by_rate.set(xscale="log", yscale="log", xlabel="SGD learning rate", ylabel="last-epoch training loss")
    by_init.set_xticks(range(len(INITS)), INITS)
    by_init.set(ylabel=f"test accuracy (mean over seeds, lr {measurements['summary']['sgd_lr']:g})", ylim=(0, 1))
    for ax in (by_rate, by_init):
        ax.legend(fontsize=8)
    return fig


EXPERIMENT = Experiment(
    name="batch_norm",
    claim="BatchNorm lets the network train at higher learning rates and makes it less sensitive to initialisation.",
    measure=measure,
    verdict=verdict,
    plot=plot,
)
