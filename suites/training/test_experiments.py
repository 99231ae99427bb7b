"""``cnnbench experiments``: the fast mode of every experiment end to end (report, JSON, plots,
regeneration commands), the verdict functions on measurements that support and that contradict
each claim (the negative controls), the margin rule (a difference within the seeds' spread is
inconclusive), censored and unmeasured runs, the experiments' random streams, and the CLI's
``--seeds`` check.

The end-to-end run is the fast mode with one seed (about 25 s on 2 cores); the CLI's default is two.
"""

from __future__ import annotations

import json
import math
import re
import shlex

import numpy as np
import pytest

from cnnbench import cli
from cnnbench.experiments import transfer
from cnnbench.experiments.common import STREAMS, TAGS, first_at_most, stream, validation_split
from cnnbench.experiments.registry import EXPERIMENTS
from cnnbench.experiments.report import plain
from cnnbench.experiments.verdicts import (
    NOT_SUPPORTED,
    PARTLY,
    SUPPORTED,
    WITHIN_SPREAD,
    each,
    every,
    exceeds,
    ratio,
    spread,
    verdict_parts,
)
from cnnbench.training.data import synthetic
from cnnbench.training.network import Architecture, initial_parameters

PNG = b"\x89PNG\r\n\x1a\n"
WORDS = re.compile(r": (supported|not supported|partly supported|inconclusive|not measured) \(")

INF = math.inf
# per experiment: (a summary that supports the claim, one that contradicts every part of it)
SUMMARIES = {
    "full_batch": (
        {"examples_ratio": [5.0, 7.0], "seconds_ratio": [2.0, 3.0]},
        {"examples_ratio": [0.5, 0.9], "seconds_ratio": [0.2, 0.4]},
    ),
    "activations": (
        {
            "error": 0.02,
            "epochs": 30,
            "epochs_to_error": {"relu": [4, 5], "tanh": [25, 30], "sigmoid": [None, None]},
            "factor": {"tanh": [6.25, 6.0], "sigmoid": [INF, INF]},
        },
        {
            "error": 0.02,
            "epochs": 30,
            "epochs_to_error": {"relu": [10, 12], "tanh": [8, 12], "sigmoid": [None, None]},
            "factor": {"tanh": [0.8, 1.0], "sigmoid": [INF, INF]},
        },
    ),
    "initialisation": (
        {
            "last_over_first_std": {
                "tanh small": [1e-6],
                "relu small": [1e-8],
                "tanh xavier": [0.4],
                "relu he": [0.9],
                "relu xavier": [0.04],
            },
            "tanh_large_saturated": [0.9],
            "tanh_large_derivative": [0.03],
            "tanh_large_grad": [1e-4],
            "tanh_xavier_grad": [1.0],
        },
        {
            "last_over_first_std": {
                "tanh small": [0.5],
                "relu small": [0.9],
                "tanh xavier": [1e-3],
                "relu he": [50.0],
                "relu xavier": [1.0],
            },
            "tanh_large_saturated": [0.1],
            "tanh_large_derivative": [0.6],
            "tanh_large_grad": [2.0],
            "tanh_xavier_grad": [1.0],
        },
    ),
    "batch_norm": (
        {
            "max_stable_lr": {"BatchNorm": [3.0, 3.0], "no BatchNorm": [0.3, 1.0]},
            "init_spread": {"BatchNorm": [0.01, 0.02], "no BatchNorm": [0.5, 0.6]},
            "sgd_lr": 0.1,
        },
        {
            "max_stable_lr": {"BatchNorm": [0.3, 0.3], "no BatchNorm": [1.0, 1.0]},
            "init_spread": {"BatchNorm": [0.4, 0.5], "no BatchNorm": [0.1, 0.1]},
            "sgd_lr": 0.1,
        },
    ),
    "learning_rate": (
        {
            "rates": {"too low": 1e-5, "preset": 0.1, "too high": 1e4},
            "change": {"too low": [0.001], "preset": [0.8]},
            "blow_up": {"too high": [1e30]},
            "diverged_at": {"too high": [None]},
            "float32_too_high_diverged_at": [3],
        },
        {
            "rates": {"too low": 1e-5, "preset": 0.1, "too high": 1e4},
            "change": {"too low": [0.3], "preset": [0.8]},
            "blow_up": {"too high": [1.2]},
            "diverged_at": {"too high": [None]},
            "float32_too_high_diverged_at": [],
        },
    ),
    "search": (
        {
            "coarse_median": [0.3, 0.4],
            "fine_median": [0.8, 0.9],
            "chosen_validation": [0.95, 0.96],
            "chosen_test": [0.94, 0.95],
            "chosen_lr": [0.02, 0.03],
            "chosen_l2": [1e-4, 1e-3],
        },
        {
            "coarse_median": [0.8, 0.9],
            "fine_median": [0.3, 0.4],
            "chosen_validation": [0.5, 0.6],
            "chosen_test": [0.5, 0.6],
            "chosen_lr": [0.5, 0.9],
            "chosen_l2": [1e-2, 1e-2],
        },
    ),
    "optimizers": (
        {
            "optimizer_final_loss": {
                "sgd": [1.0],
                "momentum": [0.5],
                "nesterov": [0.4],
                "adagrad": [0.6],
                "rmsprop": [0.7],
                "adam": [0.3],
            },
            "optimizer_accuracy": {
                name: [0.9] for name in ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")
            },
            "schedule_final_loss": {
                "constant": [0.5],
                "step": [0.3],
                "exponential": [0.2],
                "inverse": [0.4],
                "cosine": [0.1],
            },
        },
        {
            "optimizer_final_loss": {
                "sgd": [0.1],
                "momentum": [0.5],
                "nesterov": [0.4],
                "adagrad": [0.6],
                "rmsprop": [0.7],
                "adam": [0.3],
            },
            "optimizer_accuracy": {
                name: [0.9] for name in ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")
            },
            "schedule_final_loss": {
                "constant": [0.1],
                "step": [0.3],
                "exponential": [0.2],
                "inverse": [0.4],
                "cosine": [0.15],
            },
        },
    ),
    "regularisation": (
        {
            "train_examples": 200,
            "epochs": 40,
            "gap": {"none": [0.3], "L2": [0.1], "dropout": [0.15], "L2 + dropout": [0.05]},
            "best_epoch": {"none": [12]},
            "test_at_best": {"none": [0.85], "L2": [0.9], "dropout": [0.9]},
            "test_at_last": {"none": [0.8]},
        },
        {
            "train_examples": 200,
            "epochs": 40,
            "gap": {"none": [0.05], "L2": [0.3], "dropout": [0.2], "L2 + dropout": [0.3]},
            "best_epoch": {"none": [3]},
            "test_at_best": {"none": [0.6], "L2": [0.5], "dropout": [0.5]},
            "test_at_last": {"none": [0.8]},
        },
    ),
    "augmentation": (
        {
            "train_examples": 300,
            "test_accuracy": {"no augmentation": [0.8], "shift by up to 1 pixel": [0.9]},
            "gap": {"no augmentation": [0.2], "shift by up to 1 pixel": [0.05]},
        },
        {
            "train_examples": 300,
            "test_accuracy": {"no augmentation": [0.9], "shift by up to 1 pixel": [0.8]},
            "gap": {"no augmentation": [0.05], "shift by up to 1 pixel": [0.2]},
        },
    ),
    "transfer": (
        {
            "train_examples": 50,
            "epochs": 10,
            "test_accuracy": {"transfer": [0.9], "scratch": [0.6]},
            "source_accuracy": [0.98],
        },
        {
            "train_examples": 50,
            "epochs": 10,
            "test_accuracy": {"transfer": [0.5], "scratch": [0.7]},
            "source_accuracy": [0.98],
        },
    ),
}


def test_every_experiment_has_verdict_controls():
    assert set(SUMMARIES) == set(EXPERIMENTS)


@pytest.mark.parametrize("name", list(SUMMARIES))
def test_verdict_says_supported_for_measurements_that_support_the_claim(name):
    verdict = EXPERIMENTS[name].verdict(SUMMARIES[name][0])
    assert [WORDS.search(part).group(1) for part in verdict_parts(verdict)] == ["supported"] * len(
        verdict_parts(verdict)
    ), verdict


@pytest.mark.parametrize("name", list(SUMMARIES))
def test_verdict_says_not_supported_for_measurements_that_contradict_the_claim(name):
    verdict = EXPERIMENTS[name].verdict(SUMMARIES[name][1])
    assert [WORDS.search(part).group(1) for part in verdict_parts(verdict)] == ["not supported"] * len(
        verdict_parts(verdict)
    ), verdict


def words(name, summary):
    """The word of each part of ``name``'s verdict on ``summary``."""
    return [WORDS.search(part).group(1) for part in verdict_parts(EXPERIMENTS[name].verdict(summary))]


def with_numbers(name, **changes):
    """The supporting summary of ``name`` with some numbers changed."""
    return {**SUMMARIES[name][0], **changes}


def test_margin_rule_counts_a_difference_only_beyond_the_minimum_and_the_seeds_spread():
    assert exceeds([0.9, 0.91], [0.6, 0.62], minimum=0.02) == SUPPORTED
    assert exceeds([0.6, 0.62], [0.9, 0.91], minimum=0.02) == NOT_SUPPORTED
    assert exceeds([0.801, 0.70, 0.90], [0.800, 0.72, 0.88], minimum=0.01) == WITHIN_SPREAD  # ±10 % seeds
    assert exceeds([0.80, 0.65, 0.95], [0.70, 0.69, 0.71], minimum=0.01) == WITHIN_SPREAD  # 10 points, spread 30
    assert exceeds([0.805], [0.800], minimum=0.01) == WITHIN_SPREAD  # below the minimum, no spread
    assert exceeds([0.9, float("nan")], [0.6], minimum=0.01) == SUPPORTED  # the unmeasured seed is left out
    assert exceeds([float("nan")], [0.6], minimum=0.01).word == "not measured"


def test_threshold_and_several_part_rules():
    assert every([True, True], "x") == SUPPORTED and every([False, False], "x") == NOT_SUPPORTED
    assert every([True, False], "x").word == "inconclusive"
    assert each([SUPPORTED, SUPPORTED]) == SUPPORTED
    assert each([SUPPORTED, NOT_SUPPORTED]) == PARTLY and each([SUPPORTED, WITHIN_SPREAD]) == PARTLY
    assert each([NOT_SUPPORTED, NOT_SUPPORTED]) == NOT_SUPPORTED
    assert each([NOT_SUPPORTED, WITHIN_SPREAD]).word == "inconclusive"


@pytest.mark.parametrize(
    ("name", "changes"),
    [
        ("augmentation", {"test_accuracy": {"no augmentation": [0.80, 0.70, 0.90],
                                            "shift by up to 1 pixel": [0.801, 0.72, 0.88]}}),
        ("transfer", {"test_accuracy": {"transfer": [0.70, 0.5, 0.9], "scratch": [0.65, 0.6, 0.7]}}),
        ("search", {"fine_median": [0.85, 0.9], "coarse_median": [0.84, 0.7]}),
        ("regularisation", {"gap": {"none": [0.2, 0.1, 0.3], "L2": [0.19, 0.1, 0.3], "dropout": [0.18, 0.1, 0.3]},
                            "test_at_best": {"none": [0.80, 0.7, 0.9], "L2": [0.8], "dropout": [0.8]},
                            "test_at_last": {"none": [0.79, 0.7, 0.9]}, "best_epoch": {"none": [10, 12, 14]}}),
        ("batch_norm", {"max_stable_lr": {"BatchNorm": [3.0, 0.3], "no BatchNorm": [1.0, 1.0]},
                        "init_spread": {"BatchNorm": [0.1, 0.3], "no BatchNorm": [0.15, 0.2]}}),
        ("optimizers", {"optimizer_final_loss": {"sgd": [0.5, 0.3, 0.7], "momentum": [0.49, 0.3, 0.7],
                                                 "nesterov": [0.48, 0.3, 0.7], "adagrad": [0.5], "rmsprop": [0.5],
                                                 "adam": [0.5, 0.2, 0.6]},
                        "schedule_final_loss": {"constant": [0.5, 0.3, 0.7], "step": [0.49, 0.3, 0.7],
                                                "exponential": [0.5, 0.3, 0.7], "inverse": [0.5, 0.3, 0.7],
                                                "cosine": [0.45, 0.3, 0.7]}}),
    ],
)  # fmt: skip
def test_a_difference_within_the_seeds_spread_is_inconclusive(name, changes):
    summary = with_numbers(name, **changes)
    if name == "optimizers":
        summary["optimizer_accuracy"] = {k: [0.9] for k in summary["optimizer_final_loss"]}
    assert set(words(name, summary)) == {"inconclusive"}, EXPERIMENTS[name].verdict(summary)


def test_early_stopping_at_the_last_epoch_is_not_measured():
    for best in ([40], [40, 12]):  # validation loss still falling at the end (in one seed of two)
        n = len(best)
        summary = with_numbers(
            "regularisation",
            best_epoch={"none": best},
            test_at_best={"none": [0.8] * n, "L2": [0.9], "dropout": [0.9]},
            test_at_last={"none": [0.8] * n},
            gap={"none": [0.3] * n, "L2": [0.1], "dropout": [0.15], "L2 + dropout": [0.05]},
        )
        verdict = EXPERIMENTS["regularisation"].verdict(summary)
        assert words("regularisation", summary) == ["supported", "supported", "not measured"], verdict
        assert f"last epoch in 1 of {n} seeds" in verdict and "80.0%" in verdict


@pytest.mark.parametrize(
    ("reached", "factor"),
    [({"relu": [4, 5], "tanh": [None, 30]}, [INF, 6.0]), ({"relu": [None, 5], "tanh": [None, 30]}, [math.nan, 6.0])],
)
def test_a_run_censored_by_the_epoch_budget_makes_the_activation_factor_inconclusive(reached, factor):
    summary = with_numbers(
        "activations",
        epochs_to_error={**reached, "sigmoid": [None, None]},
        factor={"tanh": factor, "sigmoid": [INF, INF]},
    )
    verdict = EXPERIMENTS["activations"].verdict(summary)
    assert words("activations", summary) == ["inconclusive"] and "censored at 30 epochs in 1 of 2 seeds" in verdict


@pytest.mark.parametrize(
    ("factor", "word"),
    [([1.5, 1.5], "partly supported"), ([1.5, 6.0], "partly supported"), ([0.8, 2.0], "inconclusive")],
)
def test_relu_faster_by_another_factor_than_quoted_is_partly_supported(factor, word):
    summary = with_numbers("activations", factor={"tanh": factor, "sigmoid": [INF, INF]})
    assert words("activations", summary) == [word], EXPERIMENTS["activations"].verdict(summary)


def test_full_batch_needs_the_stated_factor_for_far_fewer_examples():
    assert words("full_batch", with_numbers("full_batch", examples_ratio=[2.0, 3.0]))[0] == "not supported"
    assert words("full_batch", with_numbers("full_batch", examples_ratio=[2.0, 5.0]))[0] == "inconclusive"


def test_some_optimizers_faster_is_partly_supported():
    loss = {**SUMMARIES["optimizers"][0]["optimizer_final_loss"], "adam": [1.5]}
    assert words("optimizers", with_numbers("optimizers", optimizer_final_loss=loss))[0] == "partly supported"


def test_batch_norm_stable_at_the_grids_top_is_censored():
    both_top = {"BatchNorm": [10.0, 10.0], "no BatchNorm": [10.0, 10.0]}
    verdict = EXPERIMENTS["batch_norm"].verdict(with_numbers("batch_norm", max_stable_lr=both_top))
    assert verdict.startswith("BatchNorm allows higher learning rates: inconclusive (censored at the grid's top")
    only_bn = {"BatchNorm": [10.0, 10.0], "no BatchNorm": [0.3, 0.3]}
    assert words("batch_norm", with_numbers("batch_norm", max_stable_lr=only_bn))[0] == "supported"


def test_an_augmentation_gap_not_measured_is_said_so():
    gap = {"no augmentation": [0.2, math.nan], "shift by up to 1 pixel": [math.nan]}
    verdict = EXPERIMENTS["augmentation"].verdict(with_numbers("augmentation", gap=gap))
    assert "nan" not in verdict.lower()
    assert "20.0% (1 of 2 not measured) without" in verdict and "not measured with," in verdict


def test_verdict_parts_split_outside_parentheses_only():
    assert verdict_parts("a: supported (x 1; y 2); b: not supported (3)") == [
        "a: supported (x 1; y 2)",
        "b: not supported (3)",
    ]
    assert verdict_parts("a: supported (1)") == ["a: supported (1)"]


def test_spread_ratio_and_threshold_helpers():
    assert spread([3.0]) == "3"
    assert spread([1.0, 2.0, 10.0]) == "2 [1, 10]"
    assert spread([1.0, None, None]) == "inf [1, inf]"  # a run that never reached counts as inf
    assert spread([1.0, 3.0, math.nan]) == "2 [1, 3] (1 of 3 not measured)" and spread([math.nan]) == "not measured"
    assert ratio(6.0, 2.0) == 3.0 and ratio(None, 2.0) == INF and math.isnan(ratio(None, None))
    assert first_at_most([3.0, 2.0, 1.0], [10, 20, 30], 2.0) == 20
    assert first_at_most([3.0, 2.5], [10, 20], 2.0) is None


def draws(rng):
    return tuple(rng.integers(0, 2**62, size=4))


def test_the_experiments_random_streams_differ_from_the_training_loops():
    loop = {draws(np.random.default_rng([seed, e])) for seed in range(4) for e in range(200)}
    loop |= {draws(np.random.default_rng([seed, t, 1])) for seed in range(4) for t in range(200)}
    ours = {draws(stream(seed, use)) for seed in range(4) for use in TAGS}
    assert len(ours) == 4 * len(TAGS) and ours.isdisjoint(loop)
    assert draws(np.random.default_rng([STREAMS, 0, TAGS["validation split"]])) in ours
    old = {draws(np.random.default_rng([seed, tag])) for seed in range(4) for tag in (3, 7, 11)}  # the former keys
    assert old <= loop  # what the check catches


def test_transfer_starts_scratch_from_an_initialisation_no_pretraining_seed_uses():
    arch = Architecture(channels=(4, 8), classes=5)
    weights = lambda seed: initial_parameters(arch, seed)["conv1.w"].tobytes()  # noqa: E731
    pretraining = {weights(seed) for seed in range(40)}
    assert pretraining.isdisjoint({weights(seed + transfer.SCRATCH_SEED) for seed in range(40)})
    assert not pretraining.isdisjoint({weights(seed + 1) for seed in range(40)})  # the former offset


@pytest.mark.parametrize("value", ["0", "-1", "two"])
def test_seeds_must_be_a_positive_integer(value, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.parser().parse_args(["experiments", "--seeds", value])
    assert exit_.value.code == 2 and "--seeds" in capsys.readouterr().err
    assert cli.parser().parse_args(["experiments", "--seeds", "1"]).seeds == 1


def test_validation_split_is_carved_from_training_data_only():
    data = synthetic(0, n_train=100, n_test=40)
    split = validation_split(data, 30, seed=1)
    assert len(split.x_train) == 70 and len(split.x_test) == 30
    rows = lambda x: {a.tobytes() for a in x}  # noqa: E731
    assert rows(split.x_train).isdisjoint(rows(split.x_test))
    assert rows(split.x_train) | rows(split.x_test) == rows(data.x_train)
    assert rows(split.x_test).isdisjoint(rows(data.x_test))


def test_plain_json_has_no_bare_non_finite_numbers():
    text = json.dumps(plain({"a": [INF, -INF, float("nan"), 1.5], "b": (np.float64(2.0),)}))
    assert json.loads(text, parse_constant=lambda c: pytest.fail(f"bare {c}")) == {
        "a": ["inf", "-inf", "nan", 1.5],
        "b": [2.0],
    }


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("experiments")
    assert cli.main(["experiments", "--fast", "--seeds", "1", "--out", str(out)]) == 0
    return out


def test_fast_mode_writes_the_report_plots_and_raw_measurements(report):
    document = json.loads((report / "experiments.json").read_text(), parse_constant=lambda c: pytest.fail(c))
    entries = document["experiments"]
    assert list(entries) == list(EXPERIMENTS)
    markdown = (report / "experiments.md").read_text()
    assert document["run"]["commit"] in markdown and document["run"]["mode"] == "fast"
    rows = [line for line in markdown.splitlines() if line.startswith("| [")]
    assert len(rows) == len(EXPERIMENTS)
    assert all(len(re.findall(r"(?<!\\)\|", row)) == 3 for row in rows), rows  # "|tanh|" escaped in the cells
    for name, entry in entries.items():
        assert (report / entry["plot"]).read_bytes()[:8] == PNG
        assert f"## {name}" in markdown and f"![{name}]({entry['plot']})" in markdown
        assert entry["verdict"] in markdown and entry["command"] in markdown
        assert entry["seeds"] == [0] and "summary" in entry["measurements"]
        for part in verdict_parts(entry["verdict"]):
            assert WORDS.search(part), part
            assert re.search(r"\d", part.split(" (", 1)[1]), f"{name}: no number in {part!r}"


def test_each_command_regenerates_its_experiment_in_place(report):
    entries = json.loads((report / "experiments.json").read_text())["experiments"]
    command = shlex.split(entries["learning_rate"]["command"])
    args = cli.parser().parse_args(command[1:])
    assert (command[0], args.fast, args.only, args.seeds, args.out, args.backend) == (
        "cnnbench", True, ["learning_rate"], 1, str(report), "numpy"
    )  # fmt: skip
    assert cli.main(command[1:]) == 0
    after = json.loads((report / "experiments.json").read_text())["experiments"]
    assert list(after) == list(EXPERIMENTS)
    assert all(after[name] == entry for name, entry in entries.items() if name != "learning_rate")  # kept
    assert after["learning_rate"]["seconds"] != entries["learning_rate"]["seconds"]  # run again
    assert after["learning_rate"]["measurements"]["summary"] == entries["learning_rate"]["measurements"]["summary"]
