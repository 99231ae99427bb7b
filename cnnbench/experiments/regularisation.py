"""L2 and dropout against overfitting a small training subset, and early stopping.

A validation split is carved from the training set; the network (with BatchNorm) trains on a
small subset of the rest with momentum SGD, four ways: no regularisation, L2 (weight decay
folded into the gradient), dropout 0.5, both. Per epoch: training accuracy (on the subset),
validation accuracy and loss, and the test accuracy (probed at each epoch's end, never used to
choose). Per run:

    gap          training accuracy - validation accuracy at the last epoch (overfitting)
    early stop   the epoch of lowest validation loss; its test accuracy against the last epoch's

Claims, each by the margin rule of ``verdicts`` (minimum 2 percentage points): L2 and dropout
each shrink the gap; the early-stopped epoch's test accuracy is higher than the last epoch's
(the unregularised run, where overfitting is worst). Where the validation loss is lowest at the
last epoch in some seed, early stopping had nothing to stop there and its claim is not measured.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from cnnbench.training.data import Dataset
from cnnbench.training.loop import RunConfig
from cnnbench.training.optimizers import OptimizerConfig

from .common import Experiment, Measurements, Numbers, Setting, figure, validation_split
from .probe import Probe
from .verdicts import exceeds, judged, not_measured, spread, verdict_line

L2 = 1e-2
DROPOUT = 0.5
MINIMUM = 0.02  # accuracy
VARIANTS = {"none": (0.0, 0.0), "L2": (L2, 0.0), "dropout": (0.0, DROPOUT), "L2 + dropout": (L2, DROPOUT)}


def _run(
    setting: Setting, full: Dataset, data: Dataset, seed: int, l2: float, p: float, epochs: int, n: int
) -> dict[str, Any]:
    """One run on the first ``n`` images of ``data`` (validation in its test slot), probing ``full``'s
    test set at each epoch's end."""
    config = RunConfig(setting.arch(dropout=p), OptimizerConfig("momentum", weight_decay=l2), epochs, seed=seed,
                       train_examples=n)  # fmt: skip
    probe = Probe(full.x_test, full.y_test, every=-(-n // config.batch_size))
    history, _ = setting.train(data, config, after_step=probe)
    best = int(np.nanargmin(history.test_loss))
    return {
        "train": history.train_accuracy,
        "validation": history.test_accuracy,
        "validation_loss": history.test_loss,
        "test": probe.accuracy[: len(history.test_accuracy)],
        "gap": history.train_accuracy[-1] - history.test_accuracy[-1],
        "best_epoch": best + 1,
        "test_at_best": probe.accuracy[best],
        "test_at_last": probe.accuracy[len(history.test_accuracy) - 1],
    }


def measure(setting: Setting) -> Measurements:
    epochs, n, n_val = setting.pick((20, 80, 80), (40, 200, 300))
    runs: dict[str, list[dict[str, Any]]] = {v: [] for v in VARIANTS}
    for seed in setting.seeds:
        full = setting.data(seed)
        data = validation_split(full, n_val, seed)
        for variant, (l2, p) in VARIANTS.items():
            runs[variant].append(_run(setting, full, data, seed, l2, p, epochs, n))
    pick = lambda key: {v: [r[key] for r in rs] for v, rs in runs.items()}  # noqa: E731
    summary = {
        "train_examples": n,
        "epochs": epochs,
        "gap": pick("gap"),
        "best_epoch": pick("best_epoch"),
        "test_at_best": pick("test_at_best"),
        "test_at_last": pick("test_at_last"),
    }
    return {"summary": summary, "runs": runs}


def verdict(summary: Numbers) -> str:
    gap, at_best, at_last = summary["gap"], summary["test_at_best"], summary["test_at_last"]
    shrink = lambda v: judged(  # noqa: E731
        f"{v} reduces overfitting of {summary['train_examples']} examples",
        exceeds(gap["none"], gap[v], MINIMUM),
        f"train - validation accuracy {spread(gap[v], '.1%')} vs {spread(gap['none'], '.1%')} without; "
        f"early-stopped test accuracy {spread(at_best[v], '.1%')} vs {spread(at_best['none'], '.1%')}",
    )
    at_end = sum(b == summary["epochs"] for b in summary["best_epoch"]["none"])
    early = (
        not_measured(f"validation loss lowest at the last epoch in {at_end} of {len(at_last['none'])} seeds")
        if at_end
        else exceeds(at_best["none"], at_last["none"], MINIMUM)
    )
    return verdict_line(
        shrink("L2"),
        shrink("dropout"),
        judged(
            "early stopping on validation loss keeps the better model",
            early,
            f"unregularised: test accuracy {spread(at_best['none'], '.1%')} at the best-validation epoch "
            f"{spread(summary['best_epoch']['none'], '.0f')}, {spread(at_last['none'], '.1%')} at the last "
            f"(epoch {summary['epochs']})",
        ),
    )


def plot(measurements: Measurements) -> Figure:
    fig, (accuracy, loss) = figure(2)
    for i, (variant, runs) in enumerate(measurements["runs"].items()):
        run = runs[0]
        epochs = range(1, len(run["train"]) + 1)
        accuracy.plot(epochs, run["train"], color=f"C{i}", linestyle="--")
        accuracy.plot(epochs, run["validation"], color=f"C{i}", label=variant)
        loss.plot(epochs, run["validation_loss"], color=f"C{i}", label=variant)
        loss.axvline(run["best_epoch"], color=f"C{i}", linestyle=":", alpha=0.6)
    accuracy.set(xlabel="epoch", ylabel="accuracy (dashed: training, solid: validation)")
    loss.set(xlabel="epoch", ylabel="validation loss (dotted: early-stopping epoch)", yscale="log")
    for ax in (accuracy, loss):
        ax.legend(fontsize=8)
    fig.suptitle(f"{measurements['summary']['train_examples']} training examples (first seed)", fontsize=10)
    return fig


EXPERIMENT = Experiment(
    name="regularisation",
    claim=(
        "On a small training set, L2 and dropout reduce overfitting (the train-validation gap), and stopping at "
        "the epoch of lowest validation loss keeps the better model."
    ),
    measure=measure,
    verdict=verdict,
    plot=plot,
)
