"""A failing generated case is saved with its exact values and replays from the printed command."""

from __future__ import annotations

import numpy as np
import pytest

from cnnbench.backends.registry import LoadedBackend
from cnnbench.case_file import load_case, save_case
from cnnbench.cli import main
from cnnbench.reference.cases import Case, conv2d_case, normal
from cnnbench.reference.catalog import CATALOG
from suites.harness.mutants import MUTANTS
from suites.verdict import check_and_assert

GENERATED = conv2d_case("hypothesis", 12345, 2, 2, 5, 6, 3, 2, 3, stride=(2, 1), padding=(1, 0), dilation=(1, 2))


def test_a_saved_case_comes_back_bit_for_bit(tmp_path):
    grads = normal(1, 3, 2) * np.float64(1 / 3)  # values that no short decimal prints exactly
    case = Case("hypothesis", (normal(2, 2) + 0.1,), {"grads": grads, "lr": 0.1, "stride": (2, 1), "axis": None}, 7)
    op, back = load_case(save_case(case, "sgd", tmp_path))
    assert op == "sgd" and back.name == case.name and back.reduction == 7 and back.smooth and back.dtypes is None
    assert back.inputs[0].tobytes() == case.inputs[0].tobytes()
    assert back.params["grads"].tobytes() == grads.tobytes()
    assert back.params["lr"] == 0.1 and back.params["stride"] == (2, 1) and back.params["axis"] is None


def test_the_same_case_is_one_file(tmp_path):
    assert save_case(GENERATED, "conv2d", tmp_path) == save_case(GENERATED, "conv2d", tmp_path)
    assert len(list(tmp_path.iterdir())) == 1


def test_check_replays_a_case_file(tmp_path, capsys):
    path = save_case(GENERATED, "conv2d", tmp_path)
    argv = ["check", "--backend", "numpy", "--op", "conv2d", "--case-file", str(path), "--dtype", "float32"]
    assert main([*argv, "--direction", "backward"]) == 0
    out = capsys.readouterr().out
    assert "numpy conv2d[hypothesis] float32 backward: pass" in out
    assert f"--case-file {path} --dtype float32" in out


@pytest.mark.parametrize(
    "contents,op,message",
    [
        (None, "relu", "holds a case of conv2d"),
        (b"not an npz", "conv2d", "is not a case written by cnnbench"),
    ],
)
def test_a_wrong_case_file_gets_a_clear_message(tmp_path, capsys, contents, op, message):
    path = save_case(GENERATED, "conv2d", tmp_path)
    if contents is not None:
        path.write_bytes(contents)
    argv = ["check", "--backend", "numpy", "--op", op, "--case-file", str(path), "--dtype", "float32"]
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_a_failing_generated_case_prints_a_reproducer_that_replays_it(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    mutant = next(m for m in MUTANTS if m.op == "conv2d")
    loaded = LoadedBackend("numpy", "numpy", "cnnbench.backends.numpy_backend:NumpyBackend", mutant.backend())
    with pytest.raises(AssertionError) as failure:
        check_and_assert(loaded, CATALOG["conv2d"], GENERATED, "float64", "forward", [])
    reproducer = next(line for line in str(failure.value).splitlines() if line.startswith("reproduce: "))
    path = reproducer.split("--case-file ")[1].split()[0]
    assert (tmp_path / path).is_file()
    op, saved = load_case(tmp_path / path)
    assert op == "conv2d" and all(
        a.tobytes() == b.tobytes() for a, b in zip(saved.inputs, GENERATED.inputs, strict=True)
    )
    assert main(reproducer.removeprefix("reproduce: cnnbench ").split()) == 0  # the unchanged numpy backend passes
    assert "numpy conv2d[hypothesis] float64 forward: pass" in capsys.readouterr().out
