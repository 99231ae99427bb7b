"""The command line as a user runs it: list, list --json, run, check, report."""

from __future__ import annotations

import json

import pytest

from cnnbench.cli import main
from cnnbench.reference.catalog import CATALOG, OPS
from suites.harness.plugin_fixtures import write_plugin


@pytest.fixture
def plugin_path(tmp_path, monkeypatch):
    write_plugin(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_list_json_has_one_object_per_op(capsys):
    assert main(["list", "--json", "--backend", "numpy"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == [op.name for op in OPS]
    conv = next(r for r in rows if r["name"] == "conv2d")
    assert conv["family"] == "conv" and conv["differentiable"] is True and conv["backends"] == ["numpy"]
    assert conv["forward"] == conv["backward"] == {"numpy": ["float64", "float32"]}
    he_normal = next(r for r in rows if r["name"] == "he_normal")
    assert he_normal["differentiable"] is False and he_normal["backward"] is None
    assert he_normal["forward"] == {"numpy": ["float64", "float32"]}


def test_list_json_gives_each_direction_its_declared_dtypes(plugin_path, capsys):
    assert main(["list", "--json", "--backend", "tinyplug:PartialBackend"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["relu"]["forward"] == {"partial": ["float64", "float32"]}
    assert rows["relu"]["backward"] == {"partial": ["float64"]}  # op_dtypes limits the backward only
    assert rows["flatten"]["forward"] == rows["flatten"]["backward"] == {"partial": ["float64"]}
    assert rows["tanh"]["backends"] == ["partial"] and rows["tanh"]["backward"] == {"partial": []}  # no tanh_backward
    assert rows["conv2d"]["backends"] == [] and rows["conv2d"]["forward"] == {"partial": []}
    assert rows["step"]["forward"] == {"partial": []} and rows["step"]["backward"] is None


def test_list_shows_which_backend_implements_what(plugin_path, capsys):
    assert main(["list", "--backend", "numpy", "--backend", "tinyplug:TinyBackend"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[-2:] == ["numpy", "tiny"]
    assert lines[1].split() == ["forward", "backward", "forward", "backward"]
    assert next(line for line in lines if line.startswith("relu ")).split()[-4:] == ["yes", "yes", "yes", "yes"]
    assert next(line for line in lines if line.startswith("conv2d ")).split()[-4:] == ["yes", "yes", "-", "-"]
    assert next(line for line in lines if line.startswith("step ")).split()[-4:] == ["yes", "n/a", "-", "n/a"]


def test_list_shows_forward_and_backward_dtypes_separately(plugin_path, capsys):
    assert main(["list", "--backend", "numpy", "--backend", "tinyplug:PartialBackend"]) == 0
    lines = capsys.readouterr().out.splitlines()
    marks = {line.split()[0]: line.split()[-4:] for line in lines[2:] if line}
    assert marks["relu"] == ["yes", "yes", "yes", "float64"]
    assert marks["flatten"] == ["yes", "yes", "float64", "float64"]
    assert marks["tanh"] == ["yes", "yes", "yes", "-"]
    assert "partial: float64, float32" in lines[-1]


def test_run_writes_the_reports_and_goes_on_past_a_broken_backend(plugin_path, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(
        [
            "run",
            "--backend",
            "numpy",
            "--backend",
            "brokenplug:Backend",
            "--backend",
            "tinyplug:TinyBackend",
            "--op",
            "relu",
            "--op",
            "conv2d",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    captured = capsys.readouterr()
    assert "failed to load brokenplug:Backend" in captured.err
    md = (out / "latest" / "conformance.md").read_text()
    for op in ("relu", "conv2d"):
        n = 2 * len(CATALOG[op].cases())  # forward and backward of every case
        assert f"| {op} | ✓ {n}/{n}" in md
    assert "not run (failed to load brokenplug:Backend" in md
    assert "| grad_at_kink | left | left ✓ | left ✓ |" in md
    # a relu + conv2d run observes only the conventions those ops use
    assert "| bn_momentum | old | old (no op) | old (no op) |" in md
    stored = json.loads((out / "latest" / "conformance.json").read_text())
    assert {r["backend"] for r in stored["results"]} == {"numpy", "tiny"}
    assert "TF_DETERMINISTIC_OPS=1" in stored["environment"]["numerics"]
    assert f"- numerics: {stored['environment']['numerics']}" in md
    assert '<table id="matrix">' in (out / "latest" / "conformance.html").read_text()


def test_run_strict_fails_on_a_failing_backend(plugin_path, tmp_path):
    args = ["run", "--backend", "tinyplug:SloppyBackend", "--op", "relu", "--out", str(tmp_path)]
    assert main(args) == 0
    assert main([*args, "--strict"]) == 1
    assert (
        "Reproduce: `cnnbench check --backend tinyplug:SloppyBackend --op relu --case zeros_at_kink"
        in (tmp_path / "latest" / "conformance.md").read_text()
    )


def test_report_rebuilds_from_stored_results(tmp_path):
    assert main(["run", "--backend", "numpy", "--op", "softmax", "--out", str(tmp_path / "a")]) == 0
    run = tmp_path / "a" / "latest"
    first = (run / "conformance.md").read_text()
    for source in (run, run / "conformance.json", run / "results.jsonl"):
        assert main(["report", "--from", str(source), "--out", str(tmp_path / "b"), "--force"]) == 0
        assert first == (tmp_path / "b" / "conformance.md").read_text()


def test_check_is_the_reproducer(plugin_path, capsys):
    assert (
        main(
            [
                "check",
                "--backend",
                "numpy",
                "--op",
                "conv2d",
                "--case",
                "groups2",
                "--dtype",
                "float32",
                "--direction",
                "backward",
            ]
        )
        == 0
    )
    assert "numpy conv2d[groups2] float32 backward: pass" in capsys.readouterr().out
    assert (
        main(
            [
                "check",
                "--backend",
                "tinyplug:SloppyBackend",
                "--op",
                "relu",
                "--case",
                "zeros_at_kink",
                "--dtype",
                "float64",
                "--direction",
                "backward",
            ]
        )
        == 1
    )
    assert "grad x: MISMATCH" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv,message",
    [
        (
            ["check", "--backend", "numpy", "--op", "relu", "--case", "nope", "--dtype", "float32"],
            "case: unknown case 'nope'",
        ),
        (
            ["check", "--backend", "nonsense", "--op", "relu", "--case", "x", "--dtype", "float32"],
            "unknown backend 'nonsense'",
        ),
        (["run", "--backend", "nonsense"], "unknown backend 'nonsense'"),
    ],
)
def test_bad_arguments_get_a_clear_message(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_unknown_op_is_rejected_by_the_parser(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--op", "conv3d"])
    assert "invalid choice: 'conv3d'" in capsys.readouterr().err
