"""Coarse-to-fine random search over the learning rate and the L2 strength, in log space.

Momentum SGD on the network with BatchNorm and dropout; a validation split carved from the
training set judges every trial (the test set only reports the chosen one). Seeded per search
(the experiments' stream "search draws", ``common.stream``):

    coarse  n_c trials, log10 lr ~ U(-4, 0), log10 l2 ~ U(-6, -1), short runs (E_c epochs)
    fine    n_f trials, each log10 drawn within +-0.5 of the best coarse trial's (clipped to
            the coarse box), longer runs (E_f epochs)

The claim judged is the narrow one the search can measure: narrowing the box around the best
coarse trial concentrates trials where they do well. Compared at the same training length (a
fine trial's validation accuracy after E_c epochs against the coarse trials' after E_c), the
fine trials' median is higher, by the margin rule of ``verdicts`` over the searches' medians
(minimum 2 percentage points). Random against grid search, and log against linear space, are
not compared.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from cnnbench.training.data import Dataset
from cnnbench.training.loop import RunConfig, evaluate
from cnnbench.training.network import Network
from cnnbench.training.optimizers import OptimizerConfig

from .common import Experiment, Measurements, Numbers, Setting, figure, stream, validation_split
from .verdicts import exceeds, judged, median, spread, verdict_line

LOG_LR = (-4.0, 0.0)
LOG_L2 = (-6.0, -1.0)
NARROW = 0.5
MINIMUM = 0.02  # validation accuracy


def _trial(setting: Setting, data: Dataset, seed: int, lr: float, l2: float, epochs: int) -> dict[str, Any]:
    config = RunConfig(setting.arch(), OptimizerConfig("momentum", lr=lr, weight_decay=l2), epochs, seed=seed)
    history, state = setting.train(data, config)
    chance = 1.0 / data.classes
    validation = history.test_accuracy if history.diverged_at is None else [chance] * epochs
    return {"lr": lr, "l2": l2, "validation": validation, "state": state, "config": config}


def _draw(
    rng: np.random.Generator, n: int, lr_box: tuple[float, float], l2_box: tuple[float, float]
) -> list[tuple[float, float]]:
    """``n`` (lr, l2) pairs, each log10 uniform in its box."""
    lrs, l2s = 10 ** rng.uniform(*lr_box, size=n), 10 ** rng.uniform(*l2_box, size=n)
    return [(float(lr), float(l2)) for lr, l2 in zip(lrs, l2s, strict=True)]


def _around(value: float, box: tuple[float, float]) -> tuple[float, float]:
    centre = np.log10(value)
    return max(box[0], centre - NARROW), min(box[1], centre + NARROW)


def search(setting: Setting, seed: int) -> dict[str, Any]:
    """One coarse-to-fine search; the chosen trial's test accuracy."""
    full = setting.data(seed)
    data = validation_split(full, setting.pick(80, 300), seed)
    n_coarse, n_fine, short, long = setting.pick((6, 3, 3, 6), (12, 6, 3, 10))
    rng = stream(seed, "search draws")
    coarse = [_trial(setting, data, seed, lr, l2, short) for lr, l2 in _draw(rng, n_coarse, LOG_LR, LOG_L2)]
    best = max(coarse, key=lambda t: t["validation"][-1])
    boxes = _around(best["lr"], LOG_LR), _around(best["l2"], LOG_L2)
    fine = [_trial(setting, data, seed, lr, l2, long) for lr, l2 in _draw(rng, n_fine, *boxes)]
    chosen = max(fine, key=lambda t: t["validation"][-1])
    network = Network(setting.backend, chosen["config"].arch, setting.dtype)
    test_accuracy, _ = evaluate(network, chosen["state"], full.x_test, full.y_test)
    plain = lambda trials: [{k: t[k] for k in ("lr", "l2", "validation")} for t in trials]  # noqa: E731
    return {
        "coarse": plain(coarse),
        "fine": plain(fine),
        "short_epochs": short,
        "chosen": {"lr": chosen["lr"], "l2": chosen["l2"], "validation": chosen["validation"][-1]},
        "test_accuracy": test_accuracy,
    }


def measure(setting: Setting) -> Measurements:
    searches = [search(setting, seed) for seed in setting.seeds]
    at_short = lambda trials, e: [t["validation"][e - 1] for t in trials]  # noqa: E731
    summary = {
        "coarse_median": [median(at_short(s["coarse"], s["short_epochs"])) for s in searches],
        "fine_median": [median(at_short(s["fine"], s["short_epochs"])) for s in searches],
        "chosen_validation": [s["chosen"]["validation"] for s in searches],
        "chosen_test": [s["test_accuracy"] for s in searches],
        "chosen_lr": [s["chosen"]["lr"] for s in searches],
        "chosen_l2": [s["chosen"]["l2"] for s in searches],
    }
    return {"summary": summary, "searches": searches}


def verdict(summary: Numbers) -> str:
    coarse, fine = summary["coarse_median"], summary["fine_median"]
    return verdict_line(
        judged(
            "trials narrowed around the best coarse trial score higher than the coarse trials",
            exceeds(fine, coarse, MINIMUM),
            f"median validation accuracy at equal epochs: fine {spread(fine, '.1%')}, coarse {spread(coarse, '.1%')}; "
            f"chosen lr {spread(summary['chosen_lr'], '.2g')}, L2 {spread(summary['chosen_l2'], '.2g')}: "
            f"validation {spread(summary['chosen_validation'], '.1%')}, test {spread(summary['chosen_test'], '.1%')}",
        ),
    )


def plot(measurements: Measurements) -> Figure:
    fig, (ax,) = figure(width=5.5)
    first = measurements["searches"][0]
    for stage, marker in (("coarse", "o"), ("fine", "^")):
        trials = first[stage]
        scores = [t["validation"][-1] for t in trials]
        points = ax.scatter([t["lr"] for t in trials], [t["l2"] for t in trials], c=scores, marker=marker,
                            vmin=0, vmax=1, cmap="viridis", edgecolors="black", label=stage)  # fmt: skip
    ax.scatter([first["chosen"]["lr"]], [first["chosen"]["l2"]], marker="*", s=250, facecolors="none",
               edgecolors="red", label="chosen")  # fmt: skip
    fig.colorbar(points, ax=ax, label="validation accuracy (end of trial)")
    ax.set(xscale="log", yscale="log", xlabel="learning rate", ylabel="L2 strength (weight decay)")
    ax.legend(fontsize=8)
    ax.set_title("coarse-to-fine random search (first seed)", fontsize=10)
    return fig


EXPERIMENT = Experiment(
    name="search",
    claim=(
        "In a coarse-to-fine random search in log space, random trials in a narrower box around the best coarse "
        "trial score higher (validation accuracy at the same training length) than the coarse trials over the "
        "wide box."
    ),
    measure=measure,
    verdict=verdict,
    plot=plot,
)
