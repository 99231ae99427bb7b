"""Nothing is lost or overwritten and nothing lies: a run directory per run, results streamed as
strict JSON, an interrupted run resumed, bad input one line with exit status 2, and --strict
failing a run that loaded or checked nothing."""

from __future__ import annotations

import json

import pytest

from cnnbench.cli import main
from cnnbench.results_file import read_records
from suites.harness.plugin_fixtures import write_plugin

RELU = ["--op", "relu", "--dtype", "float64"]


@pytest.fixture
def plugin_path(tmp_path, monkeypatch):
    write_plugin(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def _strict(text: str):
    def refuse(token: str):
        raise ValueError(f"not strict JSON: {token}")

    return json.loads(text, parse_constant=refuse)


def test_each_run_gets_its_own_directory_and_latest_points_at_the_newest(tmp_path):
    out = tmp_path / "runs"
    for _ in range(2):
        assert main(["run", "--backend", "numpy", *RELU, "--out", str(out)]) == 0
    runs = sorted(p for p in out.iterdir() if p.name != "latest")
    assert len(runs) == 2 and all((r / "conformance.md").is_file() for r in runs)
    assert (out / "latest").resolve() == runs[-1].resolve()


def test_results_stream_as_strict_json_with_a_schema(tmp_path):
    assert main(["run", "--backend", "numpy", "--op", "softmax", "--dtype", "float64", "--out", str(tmp_path)]) == 0
    run = tmp_path / "latest"
    records = [_strict(line) for line in (run / "results.jsonl").read_text().splitlines()]
    assert records[0]["kind"] == "run" and records[0]["schema"] == 1
    assert sum(r["kind"] == "result" for r in records) == len(
        _strict((run / "conformance.json").read_text())["results"]
    )
    sharpness = [r["sharpness"] for r in records if r["kind"] == "result"]
    assert "inf" in sharpness  # a 1x1 softmax's forward rejects nothing: infinite, written as a string


def test_an_interrupted_run_is_rebuilt_and_resumed(tmp_path, capsys):
    assert main(["run", "--backend", "numpy", *RELU, "--out", str(tmp_path)]) == 0
    run = tmp_path / "latest"
    lines = (run / "results.jsonl").read_text().splitlines(keepends=True)
    results = [i for i, line in enumerate(lines) if '"kind": "result"' in line]
    kept = [*lines[: results[2]], lines[results[2]][:25]]  # two results done, the third torn mid-write
    (run / "results.jsonl").write_text("".join(kept))
    assert len([r for r in read_records(run / "results.jsonl") if r["kind"] == "result"]) == 2

    assert main(["report", "--from", str(run)]) == 0  # what finished can be reported
    assert main(["run", "--resume", str(run)]) == 0  # with the run's own selection
    records = read_records(run / "results.jsonl")
    assert len([r for r in records if r["kind"] == "result"]) == len(results)  # only the missing ones ran again
    assert f"{len(results)} checks" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["run", "--backend", "numpy", "--out", ""], "--out: expected a directory, got an empty path"),
        (["run", "--backend", "numpy", "--out", "{file}/runs"], "--out: cannot write runs under"),
        (["run", "--resume", "{tmp}"], "--resume: "),
        (["run", "--resume", "{tmp}", "--op", "relu"], "--resume continues the run's own selection"),
        (["report", "--from", "{tmp}/missing.json"], "--from: cannot read"),
        (["report", "--from", "{file}.json"], "does not hold a cnnbench run"),
        (["report", "--from", "{tmp}/wrong.json"], "does not hold a cnnbench run: not a cnnbench run of schema 1"),
        (
            [
                "check",
                "--backend",
                "numpy",
                "--op",
                "he_normal",
                "--case",
                "x",
                "--dtype",
                "float32",
                "--direction",
                "backward",
            ],
            "--direction: he_normal is checked forward only",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_status_2(argv, message, tmp_path, capsys):
    (tmp_path / "a_file").write_text("not a directory")
    (tmp_path / "a_file.json").write_text("{not json")
    (tmp_path / "wrong.json").write_text('{"results": []}')
    argv = [a.format(tmp=tmp_path, file=tmp_path / "a_file") for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_a_report_is_not_replaced_without_force(tmp_path, capsys):
    assert main(["run", "--backend", "numpy", *RELU, "--out", str(tmp_path / "runs")]) == 0
    target = tmp_path / "snapshot"
    source = str(tmp_path / "runs" / "latest")
    assert main(["report", "--from", source, "--out", str(target)]) == 0
    assert main(["report", "--from", source, "--out", str(target)]) == 2
    assert "already holds a report; add --force" in capsys.readouterr().err
    assert main(["report", "--from", source, "--out", str(target), "--force"]) == 0


def test_strict_fails_a_run_whose_named_backend_did_not_load(plugin_path, tmp_path, capsys):
    args = ["run", "--backend", "brokenplug:Backend", *RELU, "--out", str(tmp_path)]
    assert main(args) == 0  # reported, not fatal
    assert "no check ran" in capsys.readouterr().err
    assert main([*args, "--strict"]) == 1
    assert main(["run", "--backend", "numpy", "--backend", "brokenplug:Backend", *RELU, "--out", str(tmp_path),
                 "--strict"]) == 1  # fmt: skip
    assert main(["run", "--backend", "numpy", *RELU, "--out", str(tmp_path), "--strict"]) == 0


@pytest.mark.parametrize("command", [["list"], ["run", "--op", "relu"], ["check", "--backend", "numpy", "--op", "relu",
                                     "--case", "x", "--dtype", "float64"]])  # fmt: skip
def test_an_entry_point_that_takes_a_builtin_name_is_refused(plugin_path, command, tmp_path, capsys):
    dist = plugin_path / "impostor-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: impostor\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[cnnbench.backends]\ntorch = tinyplug:TinyBackend\n")
    assert main([*command, *(["--out", str(tmp_path / "runs")] if command[0] == "run" else [])]) == 2
    err = capsys.readouterr().err
    assert "the entry point 'torch' (tinyplug:TinyBackend) takes the name of the built-in 'torch'" in err
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())
