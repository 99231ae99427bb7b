"""Data augmentation: random shifts of the training images on a small training set.

The network (BatchNorm, dropout) trains with momentum SGD on the first n training images, once as
they are and once with each image translated by (dy, dx) uniform in {-1, 0, 1}^2 every step
(``RunConfig.shift``, zero fill), for the same epochs and seeds. Measured: the final test
accuracy (chance for a run that diverged) and the train - test accuracy gap (NaN, not measured,
for a run that diverged before its first epoch ended).

The claim: augmentation raises the test accuracy, by the margin rule of ``verdicts`` with a
minimum of 1 percentage point.
"""

from __future__ import annotations

import math

from matplotlib.figure import Figure

from cnnbench.training.loop import RunConfig
from cnnbench.training.optimizers import OptimizerConfig

from .common import Experiment, Measurements, Numbers, Setting, figure, final_accuracy, seed_lines
from .verdicts import exceeds, judged, spread, verdict_line

SHIFTS = {"no augmentation": 0, "shift by up to 1 pixel": 1}
MINIMUM = 0.01  # test accuracy


def measure(setting: Setting) -> Measurements:
    epochs, n = setting.pick((15, 80), (40, 300))
    curves = {name: [] for name in SHIFTS}
    accuracy = {name: [] for name in SHIFTS}
    gap = {name: [] for name in SHIFTS}
    for seed in setting.seeds:
        data = setting.data(seed)
        for name, shift in SHIFTS.items():
            config = RunConfig(setting.arch(), OptimizerConfig("momentum"), epochs, seed=seed, shift=shift,
                               train_examples=n)  # fmt: skip
            history, _ = setting.train(data, config)
            curves[name].append(history.test_accuracy)
            accuracy[name].append(final_accuracy(history, data.classes))
            gap[name].append(history.train_accuracy[-1] - accuracy[name][-1] if history.train_accuracy else math.nan)
    summary = {"train_examples": n, "test_accuracy": accuracy, "gap": gap}
    return {"summary": summary, "test_accuracy": curves}


def verdict(summary: Numbers) -> str:
    accuracy, gap = summary["test_accuracy"], summary["gap"]
    plain, shifted = (accuracy[name] for name in SHIFTS)
    return verdict_line(
        judged(
            f"random shifts raise the test accuracy of {summary['train_examples']} training images",
            exceeds(shifted, plain, MINIMUM),
            f"test accuracy {spread(shifted, '.1%')} with, {spread(plain, '.1%')} without; train - test gap "
            f"{spread(gap['shift by up to 1 pixel'], '.1%')} with, {spread(gap['no augmentation'], '.1%')} without",
        ),
    )


def plot(measurements: Measurements) -> Figure:
    fig, (ax,) = figure()
    for i, (name, runs) in enumerate(measurements["test_accuracy"].items()):
        seed_lines(ax, runs, f"C{i}", name)
    ax.set(xlabel="epoch", ylabel="test accuracy")
    ax.legend(fontsize=8)
    ax.set_title(f"{measurements['summary']['train_examples']} training images (one line per seed)", fontsize=10)
    return fig


EXPERIMENT = Experiment(
    name="augmentation",
    claim="Augmenting a small training set with random translations improves test accuracy.",
    measure=measure,
    verdict=verdict,
    plot=plot,
)
