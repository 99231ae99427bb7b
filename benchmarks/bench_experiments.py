"""The experiments' headline numbers over commits (asv ``track_*``): the fast mode of
``cnnbench experiments`` (synthetic data, two seeds, the numpy reference in float64), medians
over the seeds.

``Headlines.setup_cache`` runs every experiment but the optimizers once and keeps their
summaries; ``Optimizers`` (parameterised by optimizer) has a setup_cache of its own (asv keys
a setup_cache by module and line). A number that did not come out finite (a threshold never
reached) is NaN, which asv records as missing.
"""

from __future__ import annotations

import math
from typing import Any

from cnnbench.backends.registry import load
from cnnbench.experiments.common import Setting
from cnnbench.experiments.registry import EXPERIMENTS
from cnnbench.experiments.verdicts import median
from cnnbench.training.optimizers import PRESETS

SEEDS = (0, 1)
Summaries = dict[str, dict[str, Any]]


def summaries(names: list[str]) -> Summaries:
    """The fast-mode summary of each experiment of ``names``, numpy float64, seeds 0 and 1."""
    from threadpoolctl import threadpool_limits

    setting = Setting(load("numpy").backend, "float64", fast=True, seeds=SEEDS)
    with threadpool_limits(limits=1):
        return {name: EXPERIMENTS[name].measure(setting)["summary"] for name in names}


def finite(value: float) -> float:
    return value if math.isfinite(value) else math.nan


class Headlines:
    timeout = 600.0

    def setup_cache(self) -> Summaries:
        return summaries([name for name in EXPERIMENTS if name != "optimizers"])

    def track_full_batch_examples_ratio(self, s: Summaries) -> float:
        return finite(median(s["full_batch"]["examples_ratio"]))

    track_full_batch_examples_ratio.unit = "x (GD examples / SGD examples to the same loss)"  # type: ignore[attr-defined]

    def track_relu_tanh_factor(self, s: Summaries) -> float:
        return finite(median(s["activations"]["factor"]["tanh"]))

    track_relu_tanh_factor.unit = "x (tanh epochs / ReLU epochs to the training error)"  # type: ignore[attr-defined]

    def track_tanh_large_init_saturated(self, s: Summaries) -> float:
        return median(s["initialisation"]["tanh_large_saturated"])

    track_tanh_large_init_saturated.unit = "fraction of |tanh| > 0.99"  # type: ignore[attr-defined]

    def track_tanh_xavier_last_over_first_std(self, s: Summaries) -> float:
        return median(s["initialisation"]["last_over_first_std"]["tanh xavier"])

    track_tanh_xavier_last_over_first_std.unit = "layer-10 std / layer-1 std"  # type: ignore[attr-defined]

    def track_max_stable_lr_batch_norm(self, s: Summaries) -> float:
        return median(s["batch_norm"]["max_stable_lr"]["BatchNorm"])

    track_max_stable_lr_batch_norm.unit = "SGD learning rate"  # type: ignore[attr-defined]

    def track_max_stable_lr_no_batch_norm(self, s: Summaries) -> float:
        return median(s["batch_norm"]["max_stable_lr"]["no BatchNorm"])

    track_max_stable_lr_no_batch_norm.unit = "SGD learning rate"  # type: ignore[attr-defined]

    def track_too_low_lr_loss_change(self, s: Summaries) -> float:
        return finite(median(s["learning_rate"]["change"]["too low"]))

    track_too_low_lr_loss_change.unit = "relative loss decrease"  # type: ignore[attr-defined]

    def track_search_chosen_test_accuracy(self, s: Summaries) -> float:
        return median(s["search"]["chosen_test"])

    track_search_chosen_test_accuracy.unit = "test accuracy"  # type: ignore[attr-defined]

    def track_overfitting_gap_unregularised(self, s: Summaries) -> float:
        return median(s["regularisation"]["gap"]["none"])

    track_overfitting_gap_unregularised.unit = "train - validation accuracy"  # type: ignore[attr-defined]

    def track_overfitting_gap_l2_dropout(self, s: Summaries) -> float:
        return median(s["regularisation"]["gap"]["L2 + dropout"])

    track_overfitting_gap_l2_dropout.unit = "train - validation accuracy"  # type: ignore[attr-defined]

    def track_augmentation_accuracy_gain(self, s: Summaries) -> float:
        accuracy = s["augmentation"]["test_accuracy"]
        return median(accuracy["shift by up to 1 pixel"]) - median(accuracy["no augmentation"])

    track_augmentation_accuracy_gain.unit = "test accuracy, with - without"  # type: ignore[attr-defined]

    def track_transfer_accuracy_gain(self, s: Summaries) -> float:
        accuracy = s["transfer"]["test_accuracy"]
        return median(accuracy["transfer"]) - median(accuracy["scratch"])

    track_transfer_accuracy_gain.unit = "test accuracy, transfer - scratch"  # type: ignore[attr-defined]


class Optimizers:
    params = [list(PRESETS)]
    param_names = ["optimizer"]
    timeout = 600.0

    def setup_cache(self) -> Summaries:
        return summaries(["optimizers"])

    def track_final_test_accuracy(self, s: Summaries, optimizer: str) -> float:
        return median(s["optimizers"]["optimizer_accuracy"][optimizer])

    track_final_test_accuracy.unit = "test accuracy"  # type: ignore[attr-defined]

    def track_final_training_loss(self, s: Summaries, optimizer: str) -> float:
        return finite(median(s["optimizers"]["optimizer_final_loss"][optimizer]))

    track_final_training_loss.unit = "last-epoch training loss"  # type: ignore[attr-defined]
