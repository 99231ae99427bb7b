"""``pytest benchmarks/ --benchmark-only``: one benchmark per supported backend x op x direction x
dtype of the workload table, grouped by op so backends sit side by side, work and rates in
``extra_info``; unsupported combinations skip with the reason; bad options are usage errors; and
asv, which imports every module of benchmarks/, finds nothing of it even without pytest installed."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import textwrap

import pytest

from suites.harness.plugin_fixtures import REPO, run_pytest, write_plugin

SMALL = ("--size", "small", "--op", "relu", "--op", "conv2d")
QUICK = ("--benchmark-max-time=0.01", "--benchmark-min-rounds=2", "-rs")  # a few rounds: these runs check wiring

# conv2d at size small: x (N=4, C=8, 8x8), 8 kernels 3x3, padding 1: 2 FLOPs per multiply-add of N K H W x C 3 3
CONV_FORWARD_FLOPS = 2 * (4 * 8 * 8 * 8) * (8 * 3 * 3)
RELU_ELEMENTS = 4 * 8 * 8 * 8


@pytest.fixture
def plugin_path(tmp_path):
    (tmp_path / "plugins").mkdir()
    return write_plugin(tmp_path / "plugins")


def _benchmark(*args: str, plugin_root, json_path) -> tuple[subprocess.CompletedProcess, list[dict]]:
    json_option = f"--benchmark-json={json_path}"
    done = run_pytest("benchmarks/", "--benchmark-only", *args, json_option, plugin_root=plugin_root)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done, json.loads(json_path.read_text())["benchmarks"]


def _skips(stdout: str) -> dict[str, int]:
    """The -rs summary: reason -> count ("SKIPPED [2] benchmarks/test_speed.py:10: reason")."""
    found = re.findall(r"^SKIPPED \[(\d+)\] [^:]+:\d+: (.*)$", stdout, flags=re.MULTILINE)
    return {reason: int(count) for count, reason in found}


def _key(bench: dict) -> tuple[str, str, str, str]:
    p = bench["params"]
    return p["backend"], p["op"], p["direction"], p["dtype"]


def test_one_benchmark_per_supported_combination_grouped_by_op_with_work_and_rates(plugin_path, tmp_path):
    """tinyplug:PartialBackend declares relu's backward in float64 only and has no conv2d (and raises if
    its float64-only methods are called in float32): those combinations skip with the reason."""
    args = ("--backend", "numpy", "--backend", "tinyplug:PartialBackend", *SMALL, *QUICK)
    done, benches = _benchmark(*args, plugin_root=plugin_path, json_path=tmp_path / "speed.json")
    numpy = {
        ("numpy", op, direction, dtype)
        for op in ("relu", "conv2d")
        for direction in ("forward", "forward+backward")
        for dtype in ("float64", "float32")
    }
    partial = {
        ("partial", "relu", "forward", "float64"),
        ("partial", "relu", "forward", "float32"),
        ("partial", "relu", "forward+backward", "float64"),
    }
    assert sorted(map(_key, benches)) == sorted(numpy | partial)
    assert _skips(done.stdout) == {
        "partial: relu_backward: relu_backward is declared only in float64 (op_dtypes)": 1,
        "partial: conv2d: not implemented": 4,  # forward and forward+backward, float64 and float32
    }

    by_key = {_key(b): b for b in benches}
    side_by_side = [b["params"]["backend"] for b in benches if b["group"] == "relu[small] forward float32"]
    assert sorted(side_by_side) == ["numpy", "partial"]
    conv = by_key["numpy", "conv2d", "forward+backward", "float32"]
    assert conv["group"] == "conv2d[small] forward+backward float32"
    info = conv["extra_info"]
    assert info["flops"] == 3 * CONV_FORWARD_FLOPS and info["rate_unit"] == "GFLOP/s" and info["size"] == "small"
    assert info["rate_at_min"] == pytest.approx(info["flops"] / conv["stats"]["min"] / 1e9)
    assert info["rate_at_median"] == pytest.approx(info["flops"] / conv["stats"]["median"] / 1e9)
    assert by_key["numpy", "conv2d", "forward", "float64"]["extra_info"]["flops"] == CONV_FORWARD_FLOPS

    relu = by_key["partial", "relu", "forward", "float32"]["extra_info"]
    assert relu["measure"] == "bytes" and relu["flops"] == 0 and relu["rate_unit"] == "GB/s"
    assert relu["bytes"] == 2 * RELU_ELEMENTS * 4  # x read, y written, 4 bytes each
    backward = by_key["numpy", "relu", "forward+backward", "float64"]["extra_info"]
    assert backward["bytes"] == 5 * RELU_ELEMENTS * 8  # the forward's x and y; dy, x and dx
    assert relu["threads"]["requested"] >= 1 and relu["versions"]["numpy"]
    assert all(b["options"]["warmup"] for b in benches)  # warm-up on by default


def test_interpreter_skips_standard_size_and_dtype_and_warmup_options_hold(plugin_path, tmp_path):
    args = ("--backend", "numpy", "--backend", "tinyplug:InterpretedBackend", "--size", "standard", "--op", "relu")
    options = ("--dtype", "float32", "--benchmark-warmup=off", *QUICK)
    done, benches = _benchmark(*args, *options, plugin_root=plugin_path, json_path=tmp_path / "speed.json")
    assert sorted(map(_key, benches)) == [
        ("numpy", "relu", "forward", "float32"),
        ("numpy", "relu", "forward+backward", "float32"),
    ]
    assert _skips(done.stdout) == {"interp runs on an interpreter here: timed at size small only": 2}
    assert benches[0]["group"] == "relu[standard] forward float32"
    assert benches[0]["extra_info"]["bytes"] == 2 * (32 * 64 * 32 * 32) * 4
    assert not any(b["options"]["warmup"] for b in benches)


ONE = ("--backend", "numpy", "--size", "small", "--op", "relu", "--dtype", "float32", *QUICK)


def test_a_saved_run_is_compared_side_by_side(plugin_path, tmp_path):
    storage = f"--benchmark-storage=file://{tmp_path / 'saved'}"
    _benchmark(*ONE, "--benchmark-autosave", storage, plugin_root=plugin_path, json_path=tmp_path / "1.json")
    assert len(list((tmp_path / "saved").glob("*/0001_*.json"))) == 1  # per machine, numbered
    again, _ = _benchmark(*ONE, "--benchmark-compare", storage, plugin_root=plugin_path, json_path=tmp_path / "2.json")
    assert "benchmark 'relu[small] forward float32': 2 tests" in again.stdout
    for row in ("test_speed[relu-forward-numpy-float32] (NOW)", "test_speed[relu-forward-numpy-float32] (0001_"):
        assert row in again.stdout


def test_a_histogram_is_drawn_per_group(plugin_path, tmp_path):
    pytest.importorskip("pygal", reason="--benchmark-histogram needs pytest-benchmark[histogram] (pygal, pygaljs)")
    histogram = f"--benchmark-histogram={tmp_path / 'plots' / 'speed'}"
    _benchmark(*ONE, histogram, plugin_root=plugin_path, json_path=tmp_path / "speed.json")
    drawn = sorted(p.name for p in (tmp_path / "plots").iterdir())
    assert drawn == ["speed-relu[small]_forward+backward_float32.svg", "speed-relu[small]_forward_float32.svg"]


@pytest.mark.parametrize(
    "args,message",
    [
        (("--size", "huge"), "argument --size: invalid choice: 'huge' (choose from 'small', 'standard')"),
        (("--op", "relu", "--op", "rleu"), "argument --op: invalid choice: 'rleu'"),
        (("--dtype", "float8"), "argument --dtype: invalid choice: 'float8'"),
        (("--backend", "nonsense"), "--backend: unknown backend 'nonsense'; known: "),  # the suites' option
    ],
)
def test_a_bad_option_is_one_usage_error(plugin_path, args, message):
    done = run_pytest("benchmarks/", "--benchmark-only", *args, plugin_root=plugin_path)
    assert done.returncode == 4 and message in done.stderr
    assert done.stderr.count("ERROR") == 1 and "passed" not in done.stdout


ASV_DISCOVERY = textwrap.dedent("""
    import sys
    for name in ("pytest", "_pytest", "pytest_benchmark"):
        sys.modules[name] = None  # as in an environment asv builds: not installed
    sys.path.insert(0, sys.argv[1])
    from asv_runner.discovery import disc_benchmarks
    print(sorted(b.name for b in disc_benchmarks(sys.argv[1] + "/benchmarks")))
""")


@pytest.mark.parametrize(
    "extra,found",
    [
        ({}, "[]"),
        ({"bench_negative_control.py": "def time_it():\n    pass\n"}, "['bench_negative_control.time_it']"),
    ],
)
def test_asv_discovery_finds_no_benchmark_in_the_pytest_files_without_pytest(tmp_path, extra, found):
    """The pytest files beside asv's, discovered as asv does in an environment without pytest:
    they import, and asv finds nothing to run in them (the control: a time_ function it finds)."""
    (tmp_path / "benchmarks").mkdir()
    for name in ("__init__.py", "test_speed.py"):
        shutil.copy(REPO / "benchmarks" / name, tmp_path / "benchmarks" / name)
    for name, source in extra.items():
        (tmp_path / "benchmarks" / name).write_text(source)
    done = subprocess.run(
        [sys.executable, "-c", ASV_DISCOVERY, str(tmp_path)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == found


def test_asv_discovery_fails_on_a_module_that_imports_pytest(tmp_path):
    """Negative control for the test above: pytest is really blocked there."""
    (tmp_path / "benchmarks").mkdir()
    (tmp_path / "benchmarks" / "__init__.py").write_text("")
    (tmp_path / "benchmarks" / "conftest.py").write_text("import pytest\n")
    done = subprocess.run(
        [sys.executable, "-c", ASV_DISCOVERY, str(tmp_path)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1 and "import of pytest halted" in done.stderr
