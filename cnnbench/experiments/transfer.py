"""Transfer learning: features learnt on digits 0-4 reused for digits 5-9.

Pretrain the network (five classes, BatchNorm, dropout, momentum SGD) on every training image of
classes 0-4. Then, on classes 5-9 (relabelled 0-4) with a small budget (the first n images, a
few epochs): ``transfer`` starts from the pretrained convolutions and BatchNorm (parameters and
running statistics) with a fresh classifier. The convolution weights and biases and BatchNorm's
gamma and beta are frozen (``RunConfig.frozen``); BatchNorm itself is not: in training mode it
normalises with each batch's statistics of the new classes, and its running mean and variance
(the evaluation-mode statistics) move toward those of the new classes. So the features adapt to
the new data through their normalisation while every learnt weight but the classifier's stays.
``scratch`` starts from a fresh network that trains whole, initialised from seed + 1 000 000
(``SCRATCH_SEED``: distinct from every pretraining initialisation for seeds below that). Same
budget, seeds and test images.

The claim: with little data, the transferred features beat training from scratch, by the margin
rule of ``verdicts`` (minimum 2 percentage points of test accuracy).
"""

from __future__ import annotations

from matplotlib.figure import Figure

from cnnbench.training.data import only_classes
from cnnbench.training.loop import RunConfig
from cnnbench.training.network import initial_buffers, initial_parameters
from cnnbench.training.optimizers import OptimizerConfig

from .common import Experiment, Measurements, Numbers, Setting, figure, final_accuracy, seed_lines
from .verdicts import exceeds, judged, spread, verdict_line

SOURCE, TARGET = (0, 1, 2, 3, 4), (5, 6, 7, 8, 9)
FEATURES = ("conv1.w", "bn1.gamma", "bn1.beta", "conv2.w", "conv2.b")
ARMS = ("transfer", "scratch")
SCRATCH_SEED = 1_000_000  # added to the seed
MINIMUM = 0.02  # test accuracy


def measure(setting: Setting) -> Measurements:
    pretrain_epochs, epochs, n = setting.pick((8, 6, 40), (15, 10, 50))
    arch = setting.arch(classes=len(TARGET))
    curves = {arm: [] for arm in ARMS}
    accuracy = {arm: [] for arm in ARMS}
    source_accuracy = []
    for seed in setting.seeds:
        data = setting.data(seed)
        source, target = only_classes(data, SOURCE), only_classes(data, TARGET)
        pretrained, state = setting.train(
            source, RunConfig(arch, OptimizerConfig("momentum"), pretrain_epochs, seed=seed)
        )
        source_accuracy.append(final_accuracy(pretrained, source.classes))
        params, buffers = state.to_numpy(setting.backend)
        fresh = initial_parameters(arch, seed + SCRATCH_SEED)
        starts = {
            "transfer": ({**params, "fc.w": fresh["fc.w"], "fc.b": fresh["fc.b"]}, buffers),
            "scratch": (fresh, initial_buffers(arch)),
        }
        for arm in ARMS:
            config = RunConfig(arch, OptimizerConfig("momentum"), epochs, seed=seed, train_examples=n,
                               frozen=FEATURES if arm == "transfer" else ())  # fmt: skip
            history, _ = setting.train(target, config, initial=starts[arm])
            curves[arm].append(history.test_accuracy)
            accuracy[arm].append(final_accuracy(history, target.classes))
    summary = {"train_examples": n, "epochs": epochs, "test_accuracy": accuracy, "source_accuracy": source_accuracy}
    return {"summary": summary, "test_accuracy": curves}


def verdict(summary: Numbers) -> str:
    accuracy = summary["test_accuracy"]
    return verdict_line(
        judged(
            "features from digits 0-4 (weights frozen, BatchNorm statistics adapting) beat training from scratch "
            "on 5-9",
            exceeds(accuracy["transfer"], accuracy["scratch"], MINIMUM),
            f"{summary['train_examples']} images, {summary['epochs']} epochs: test accuracy "
            f"{spread(accuracy['transfer'], '.1%')} transferred, {spread(accuracy['scratch'], '.1%')} from scratch "
            f"(pretrained on 0-4: {spread(summary['source_accuracy'], '.1%')})",
        ),
    )


def plot(measurements: Measurements) -> Figure:
    fig, (ax,) = figure()
    for i, arm in enumerate(ARMS):
        seed_lines(ax, measurements["test_accuracy"][arm], f"C{i}", arm)
    ax.set(xlabel="epoch", ylabel="test accuracy on 5-9", ylim=(0, 1))
    ax.legend(fontsize=8)
    ax.set_title(f"{measurements['summary']['train_examples']} images of 5-9 (one line per seed)", fontsize=10)
    return fig


EXPERIMENT = Experiment(
    name="transfer",
    claim=(
        "Convolutional features learnt on one task transfer: with the convolution and BatchNorm weights frozen "
        "(BatchNorm's batch and running statistics still adapt to the new classes) and only a new classifier "
        "trained, a small data budget on a new task does better than training from scratch."
    ),
    measure=measure,
    verdict=verdict,
    plot=plot,
)
