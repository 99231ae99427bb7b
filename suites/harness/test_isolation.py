"""A run survives its backends: each runs in a worker process of its own, so a crash, a hang,
an exit or a vandalised reference costs that backend's check and nothing else, and backends
load in any order (TensorFlow's and Triton's LLVMs never share a process)."""

from __future__ import annotations

import pytest

from cnnbench.backends.registry import load
from cnnbench.reference.catalog import CATALOG
from cnnbench.runner import BackendClash, run_conformance
from cnnbench.worker import Isolated
from suites.harness.plugin_fixtures import write_plugin, write_unruly

SCHEDULES = [CATALOG[name] for name in ("exponential_decay", "step_decay", "inverse_time_decay", "cosine_decay")]


@pytest.fixture
def plugin_path(tmp_path, monkeypatch):
    write_unruly(write_plugin(tmp_path))
    monkeypatch.syspath_prepend(str(tmp_path))  # spawned workers inherit sys.path
    return tmp_path


def _details(run, backend: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for r in run.results:
        if r.backend == backend:
            out.setdefault(r.op, []).append(f"{r.status}: {r.detail.splitlines()[0]}")
    return out


def test_a_crash_a_hang_and_an_exit_each_cost_one_check(plugin_path):
    ops = [*SCHEDULES, CATALOG["subtract_mean_image"]]
    run = run_conformance(["unruly:Unruly", "numpy"], ops, ["float32"], timeout=3)
    seen = _details(run, "unruly")
    assert seen["exponential_decay"] == ["error: timed out after 3 s"]
    assert seen["step_decay"] == ["error: crashed: signal 11"]
    assert seen["inverse_time_decay"] == ["error: crashed: exit code 4"]
    assert set(seen["cosine_decay"]) == {"error: the check raised SystemExit: 3"}
    huge = [r.detail for r in run.results if r.backend == "unruly" and r.op == "subtract_mean_image"]
    assert huge and all(len(d) < 5000 and "truncated: 5,000," in d for d in huge)
    numpy = [r for r in run.results if r.backend == "numpy"]
    assert len(numpy) == len(_details(run, "unruly")["cosine_decay"]) + 5 and all(r.passed for r in numpy)


def test_a_backend_that_vandalises_the_reference_harms_only_itself(plugin_path):
    run = run_conformance(["vandal:Vandal", "numpy"], [CATALOG["relu"]], ["float32"], timeout=60)
    numpy = [r for r in run.results if r.backend == "numpy"]
    assert numpy and all(r.passed for r in numpy)
    assert "fail" in {r.status for r in run.results if r.backend == "vandal"}  # judged by its own broken reference
    assert load("numpy").backend.relu(-1.0) == 0.0  # and this process never imported it


@pytest.mark.parametrize("order", [["tensorflow", "torch", "triton"], ["triton", "tensorflow", "numpy"]])
def test_backends_load_in_any_order(order):
    run = run_conformance(order, [CATALOG["relu"]], ["float32"], timeout=120)
    assert [b["name"] for b in run.backends] == order
    assert all(b["ok"] for b in run.backends), [b["reason"] for b in run.backends]
    assert {r.backend for r in run.results} == set(order) and all(r.passed for r in run.results)


def test_backends_in_parallel_give_the_serial_run(plugin_path):
    ops = [CATALOG["relu"], CATALOG["softmax"]]
    serial = run_conformance(["tinyplug:SloppyBackend", "numpy", "tinyplug:TinyBackend"], ops, ["float64"], jobs=1)
    parallel = run_conformance(["tinyplug:SloppyBackend", "numpy", "tinyplug:TinyBackend"], ops, ["float64"], jobs=3)
    assert parallel.results == serial.results
    assert [r.status for r in serial.results].count("fail") > 0  # the sloppy backend's ReLU'(0)


def test_a_backend_lying_about_its_dtypes_or_versions_is_reported_not_fatal(plugin_path):
    run = run_conformance(["unruly:LyingDtypes", "unruly:BrokenVersions", "numpy"], [CATALOG["relu"]], ["float32"])
    lying, broken, _ = run.backends
    assert not lying["ok"] and "dtypes: expected a non-empty tuple" in lying["reason"]
    assert broken["ok"] and "RuntimeError: no versions here" in broken["versions"]["versions()"]
    assert {r.backend for r in run.results} == {"brokenversions", "numpy"}


def test_two_backends_with_one_name_are_refused(plugin_path):
    both = r"two backends are named 'tiny': tinyplug:TinyBackend and tiny-ep \(tinyplug:TinyBackend\)"
    with pytest.raises(BackendClash, match=both):
        run_conformance(["tinyplug:TinyBackend", "tiny-ep"], [CATALOG["relu"]], ["float64"])


def test_a_plugin_that_takes_a_builtin_name_does_not_load(plugin_path):
    lb = load("unruly:Nameless")
    assert not lb.ok and "reports the name 'numpy' of the built-in" in lb.reason


def test_a_backend_that_crashes_or_hangs_on_import_costs_only_itself(plugin_path):
    run = run_conformance(
        ["crashonimport:B", "hangonimport:B", "numpy"], [CATALOG["relu"]], ["float64"], load_timeout=30
    )
    crash, hang, numpy = run.backends
    assert not crash["ok"] and crash["reason"] == "failed to load: crashed: exit code 5"
    assert not hang["ok"] and hang["reason"] == "failed to load: timed out after 30 s"
    assert numpy["ok"] and {r.backend for r in run.results} == {"numpy"} and all(r.passed for r in run.results)


def _torch_numerics(loaded) -> list[bool]:
    import torch

    return [torch.backends.cudnn.allow_tf32, torch.are_deterministic_algorithms_enabled()]


def test_a_worker_runs_with_the_numerics_pinned():
    worker = Isolated("numpy")
    try:
        assert worker.call(_torch_numerics) == [False, True]
    finally:
        worker.close()
