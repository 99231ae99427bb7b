"""``cnnbench train`` and ``cnnbench parity`` as a user runs them, and the summary's verdicts."""

from __future__ import annotations

import json

import pytest

from cnnbench.cli import main
from cnnbench.training.loop import History
from cnnbench.training.summary import ACCURACY_TARGET, summarise, time_ratio, verdicts


def test_train_writes_runs_summary_and_curves(tmp_path, capsys):
    out = tmp_path / "training"
    argv = ["train", "--data", "synthetic", "--epochs", "2", "--seeds", "2", "--out", str(out)]
    assert main(argv) == 0
    record = json.loads((out / "training.json").read_text())
    assert record["command"] == "cnnbench " + " ".join(argv)
    assert {"commit", "python", "threads"} <= set(record["environment"]) and "numpy" in record["versions"]["numpy"]
    runs = record["runs"]
    assert [r["config"]["seed"] for r in runs] == [0, 1]
    for run in runs:
        assert len(run["step_loss"]) == 2 * run["steps_per_epoch"] == 40
        assert len(run["test_accuracy"]) == len(run["seconds"]) == 2
        assert 0.1 < run["test_accuracy"][-1] <= 1.0 and run["step_loss"][-1] < run["step_loss"][0]
    assert runs[0]["step_loss"] != runs[1]["step_loss"]  # the seed reaches the batches, masks and weights
    table = (out / "training.md").read_text()
    assert "| numpy | float32 | momentum | 2 |" in table
    for png in ("loss.png", "accuracy.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "numpy float32 momentum: test accuracy" in capsys.readouterr().out


def test_same_seed_same_run(tmp_path):
    runs = []
    for name in ("a", "b"):
        assert main(["train", "--data", "synthetic", "--epochs", "1", "--out", str(tmp_path / name)]) == 0
        runs.append(json.loads((tmp_path / name / "training.json").read_text())["runs"][0])
    assert runs[0]["step_loss"] == runs[1]["step_loss"] and runs[0]["test_accuracy"] == runs[1]["test_accuracy"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train", "--backend", "nosuch"], "--backend: nosuch cannot run here"),
        (["parity", "--backend", "nosuch"], "--backend: nosuch cannot run here"),
    ],
)
def test_bad_arguments_are_one_line_naming_the_argument(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "argv", [["train", "--epochs", "0"], ["train", "--dtype", "float16"], ["parity", "--steps", "-1"]]
)
def test_out_of_range_arguments_are_refused(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2 and argv[1] in capsys.readouterr().err


def test_parity_passes_the_reference_and_names_a_planted_slip(capsys):
    assert main(["parity", "--steps", "5", "--dtype", "float64"]) == 0
    assert "numpy float64 keeps parity for 5 steps" in capsys.readouterr().out
    slip = "suites.training.test_parity:SlowMomentum"
    assert main(["parity", "--steps", "5", "--dtype", "float64", "--backend", slip]) == 1
    line = capsys.readouterr().out
    assert "leaves parity at step 1" in line and "first op outside its bound at that step: update" in line


def _history(backend: str, seed: int, final: float, seconds: float | None) -> History:
    h = History(backend, "float32", "digits", {"seed": seed, "optimizer": {"name": "momentum"}})
    h.test_accuracy = [0.5, final]
    h.steps_to_target, h.seconds_to_target = (None, None) if seconds is None else (43, seconds)
    return h


def test_verdicts_follow_the_measurements():
    runs = [_history("numpy", s, acc, 4.0) for s, acc in enumerate((0.99, 0.985, 0.981))]
    runs += [_history("torch", s, acc, 1.0) for s, acc in enumerate((0.979, 0.975, 0.97))]
    summaries = summarise(runs)
    numpy, torch = summaries
    assert numpy.accuracy_mean == pytest.approx(0.9853333) and numpy.accuracy_min == 0.981 and numpy.reached == 3
    assert torch.accuracy_mean < ACCURACY_TARGET
    assert time_ratio(summaries, numpy) == 4.0
    lines = verdicts(summaries, "digits")
    assert any("numpy" in v and "target >= 98% met" in v for v in lines)
    assert any("torch" in v and "NOT met" in v for v in lines)  # 97.5 % mean: below the target
    assert any("4.00x torch's" in v and "NOT met" in v for v in lines)  # 4x: outside 3x
    fast = summarise([_history("numpy", 0, 0.99, 2.5), _history("torch", 0, 0.99, 1.0)])
    assert any("2.50x torch's" in v and "<= 3x met" in v for v in verdicts(fast, "digits"))
    assert not any("target >=" in v for v in verdicts(fast, "synthetic"))  # the accuracy target is the digits'
