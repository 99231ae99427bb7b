"""``cnnbench bench``: a speed run survives its backends, takes its samples round-robin, computes
its ratios right, and writes strict JSON, valid PNGs and one HTML page with both halves.

The end-to-end run times the NumPy reference beside ``unruly:Unruly`` (a plug-in whose
step_decay segfaults and exponential_decay hangs, in float32, the only dtype it declares), at
size small, into a directory that holds a conformance run of the reference."""

from __future__ import annotations

import itertools
import json
import re
import time

import matplotlib.image
import pytest

from cnnbench import report
from cnnbench.backends.base import Backend
from cnnbench.backends.registry import LoadedBackend, load
from cnnbench.bench import Speed, run_bench, with_ratios
from cnnbench.cli import main
from cnnbench.conformance import Result
from cnnbench.reference.catalog import CATALOG
from cnnbench.reference.workloads import workload
from cnnbench.runner import Run, run_conformance
from cnnbench.speed_report import worst_errors
from suites.harness.plugin_fixtures import write_plugin, write_unruly
from suites.harness.test_report_html import CHROMIUM, chromium

OPS = ["relu", "softmax", "step_decay", "exponential_decay"]
DTYPES = ["float64", "float32"]


@pytest.fixture(scope="module")
def bench_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("bench")
    write_unruly(write_plugin(root))
    out = root / "out"
    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(root))  # spawned workers inherit sys.path
        report.write(run_conformance([load("numpy")], [CATALOG["relu"], CATALOG["softmax"]], DTYPES), out)
        argv = ["bench", "--backend", "numpy", "--backend", "unruly:Unruly", *(a for op in OPS for a in ("--op", op))]
        argv += ["--dtype", "float64", "--dtype", "float32", "--size", "small", "--rounds", "2", "--timeout", "5"]
        assert main([*argv, "--out", str(out)]) == 0
    return out


def _rows(bench_dir) -> dict[tuple[str, str, str, str], dict]:
    data = json.loads((bench_dir / "speed.json").read_text())
    return {(r["backend"], r["op"], r["direction"], r["dtype"]): r for r in data["rows"]}


def test_every_selected_combination_has_a_row(bench_dir):
    expected = {("numpy", op, d, t) for op in OPS for d in workload(op, "small").directions for t in DTYPES}
    expected |= {("unruly", op, d, "float32") for op in OPS for d in workload(op, "small").directions}
    assert set(_rows(bench_dir)) == expected


def test_a_crash_a_hang_and_a_missing_op_cost_only_their_own_rows(bench_dir):
    rows = _rows(bench_dir)
    unruly = {k[1:3]: (r["status"], r["reason"]) for k, r in rows.items() if k[0] == "unruly"}
    assert unruly[("step_decay", "forward")] == ("error", "preparing the timed call: crashed: signal 11")
    assert unruly[("exponential_decay", "forward")] == ("error", "preparing the timed call: timed out after 5 s")
    assert unruly[("softmax", "forward")][0] == "not implemented"
    assert unruly[("relu", "forward+backward")][0] == "not implemented"  # it has no relu_backward
    assert unruly[("relu", "forward")][0] == "timed"  # after its worker crashed and was replaced
    numpy = [r for k, r in rows.items() if k[0] == "numpy"]
    assert numpy and all(r["status"] == "timed" and r["best"] > 0 and r["rounds"] == 2 for r in numpy)


def test_speed_json_is_strict_and_schemad(bench_dir):
    def refuse(token):
        raise ValueError(f"non-standard JSON token {token}")

    data = json.loads((bench_dir / "speed.json").read_text(), parse_constant=refuse)
    assert data["schema"] == 1 and data["kind"] == "speed"
    assert {"size", "rounds", "commit", "machine", "numerics"} <= set(data["environment"])
    numpy = next(b for b in data["backends"] if b["name"] == "numpy")
    assert numpy["threads"]["requested"] >= 1 and "numpy" in numpy["versions"]
    assert Speed.from_json(data).rows == data["rows"]
    with pytest.raises(ValueError, match="schema"):
        Speed.from_json(data | {"schema": 0})


def test_rates_follow_the_workloads_measure(bench_dir):
    r = _rows(bench_dir)[("numpy", "relu", "forward", "float32")]
    elements = workload("relu", "small").elements("forward")
    assert r["bytes"] == 4 * elements and r["rate_unit"] == "GB/s"
    assert r["rate"] == pytest.approx(4 * elements / r["best"] / 1e9)


def test_plots_are_valid_pngs(bench_dir):
    names = [f"speed-{op}.png" for op in OPS] + ["accuracy-speed.png"]
    for name in names:
        data = (bench_dir / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n", name
        assert matplotlib.image.imread(bench_dir / name).shape[0] > 100, name


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
def test_one_page_holds_both_halves_and_every_image_loads(bench_dir, tmp_path):
    page = (bench_dir / "report.html").read_text()
    probe = (
        "<script>addEventListener('load', () => document.body.setAttribute('data-widths',"
        " [...document.images].map(i => i.src.split('/').pop() + '=' + i.naturalWidth).join(' ')))</script>"
    )
    probed = bench_dir / "probed.html"  # beside the page, so its relative images resolve alike
    probed.write_text(page.replace("</body>", probe + "</body>"))
    dom = chromium(probed, tmp_path, "--dump-dom", "--virtual-time-budget=5000")
    assert '<table id="matrix">' in dom  # the conformance half
    speed = re.search(r'<table id="speed-table">(.*?)</table>', dom, re.S).group(1)
    assert len(re.findall(r"<tr>", speed)) == 1 + len(_rows(bench_dir))
    widths = dict(w.split("=") for w in re.search(r'data-widths="([^"]*)"', dom).group(1).split())
    assert set(widths) == {f"speed-{op}.png" for op in OPS} | {"accuracy-speed.png"}
    assert all(int(w) > 0 for w in widths.values()), widths


def test_the_probe_sees_a_broken_image(tmp_path):
    """Negative control of the page check: a missing image has naturalWidth 0."""
    if CHROMIUM is None:
        pytest.skip("chromium is not installed")
    page = tmp_path / "broken.html"
    page.write_text(
        "<html><body><img src='missing.png'><script>addEventListener('load', () => document.body"
        ".setAttribute('data-widths', [...document.images].map(i => i.naturalWidth).join(' ')))</script></body></html>"
    )
    assert 'data-widths="0"' in chromium(page, tmp_path, "--dump-dom", "--virtual-time-budget=5000")


class Recorder(Backend):
    """ReLU that logs who ran it."""

    dtypes = ("float64",)

    def __init__(self, name: str, log: list[str]) -> None:
        self.name, self.log = name, log

    def relu(self, x):
        self.log.append(self.name)
        return x


class Sleeper(Backend):
    """ReLU that keeps the CPU busy for ``seconds`` of this process's CPU time (the clock of a
    one-thread run: ``timed_call.clock_for``), however loaded the machine."""

    dtypes = ("float64",)

    def __init__(self, name: str, seconds: float) -> None:
        self.name, self.seconds = name, seconds

    def relu(self, x):
        start = time.process_time()
        while time.process_time() - start < self.seconds:
            pass
        return x


def _in_process(*backends: Backend) -> list[LoadedBackend]:
    return [LoadedBackend(b.name, b.name, "test", b) for b in backends]


def test_samples_are_taken_round_robin():
    log: list[str] = []
    speed = run_bench(
        _in_process(Recorder("a", log), Recorder("b", log)), ["relu"], ["float64"], ["forward"], "small", 3
    )
    runs = [(name, len(list(calls))) for name, calls in itertools.groupby(log)]
    assert [name for name, _ in runs] == ["a", "b"] * 4  # each prepared (warm-up, calibration), then 3 rounds
    numbers = {r["backend"]: r["number"] for r in speed.rows}
    assert all(count == numbers[name] for name, count in runs[2:])  # one sample = number back-to-back calls


@pytest.mark.parametrize(("a", "b"), [(0.01, 0.02), (0.02, 0.01)])
def test_a_backend_twice_as_slow_is_twice_the_fastest(a, b):
    """CPU-bound calls of 10 and 20 ms of CPU time, best of 5 rounds."""
    speed = run_bench(_in_process(Sleeper("a", a), Sleeper("b", b)), ["relu"], ["float64"], ["forward"], "small", 5)
    ratio = {r["backend"]: r["vs_fastest"] for r in speed.rows}
    slow, fast = ("a", "b") if a > b else ("b", "a")
    assert ratio[fast] == 1.0 and 1.7 < ratio[slow] < 2.3, ratio


def test_ratios_to_the_fastest_and_to_torch():
    def row(backend, best, op="relu", status="timed"):
        return {
            "backend": backend,
            "op": op,
            "direction": "forward",
            "dtype": "float32",
            "status": status,
            "best": best,
        }

    rows = with_ratios([row("numpy", 3.0), row("torch", 1.5), row("tf", 6.0), row("x", 0.5, "tanh"),
                        row("y", None, status="error")])  # fmt: skip
    ratios = {r["backend"]: (r.get("vs_fastest"), r.get("vs_torch")) for r in rows}
    assert ratios == {"numpy": (2.0, 2.0), "torch": (1.0, 1.0), "tf": (4.0, 4.0), "x": (1.0, None), "y": (None, None)}


def test_worst_error_of_a_row_spans_the_directions_it_times():
    def result(direction, error):
        return Result("numpy", "relu", "c", "float32", direction, "pass", error=error)

    run = Run([result("forward", 0.25), result("forward", 0.5), result("backward", 0.75)], [], {})
    worst = worst_errors(run)
    assert worst[("numpy", "relu", "float32", "forward")] == 0.5  # the backward's 0.75 is not the forward's
    assert worst[("numpy", "relu", "float32", "forward+backward")] == 0.75


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--run", "/nonexistent/run"], "--run: /nonexistent/run is not a run directory"),
        (["--out", " "], "--out: expected a directory"),
        (["--backend", "nosuch"], "--backend: unknown backend 'nosuch'"),
    ],
)
def test_bad_arguments_get_a_clear_message(argv, message, capsys):
    assert main(["bench", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("cnnbench bench: ") and message in err and "\n" not in err


@pytest.mark.parametrize("argv", [["--rounds", "0"], ["--size", "huge"], ["--direction", "backward"]])
def test_the_parser_refuses_bad_values(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["bench", *argv])
    assert exc.value.code == 2 and argv[0] in capsys.readouterr().err


def test_an_interpreted_backend_is_timed_at_small_only():
    class Interpreted(Sleeper):
        interpreted = True

    loaded = _in_process(Interpreted("interp", 0.0))
    standard = run_bench(loaded, ["relu"], ["float64"], ["forward"], "standard", 1).rows
    assert [(r["status"], r["reason"]) for r in standard] == [
        ("not timed", "interp runs on an interpreter here: timed at size small only")
    ]
    small = run_bench(loaded, ["relu"], ["float64"], ["forward"], "small", 1).rows[0]
    assert small["status"] == "timed" and small["best"] > 0


def test_report_rebuilds_both_halves_of_a_benched_run(bench_dir, tmp_path):
    out = tmp_path / "copy"
    assert main(["report", "--from", str(bench_dir), "--out", str(out)]) == 0
    page = (out / "report.html").read_text()
    assert '<table id="matrix">' in page and '<table id="speed-table">' in page
    assert json.loads((out / "speed.json").read_text()) == json.loads((bench_dir / "speed.json").read_text())
    assert all((out / f"speed-{op}.png").read_bytes()[:4] == b"\x89PNG" for op in OPS)
