"""The convergence benchmarks of benchmarks/bench_training.py and what they read
(benchmarks/convergence.py): the tracked numbers of a hand-made history, those of the NumPy
reference's small run beside planted backends that must track worse, NaN, a skip or a failure,
and the file as asv's own runner discovers, checks and runs it.

The asv part runs in a fresh interpreter on a copy of the two files beside a stand-in
``common`` holding the reference, a backend that did not load and a broken one: the real
``common`` loads every framework (seconds each) and trains them all, and what is tested here is
what bench_training makes of whatever ``common`` holds.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from benchmarks.convergence import LOSS_STEPS, SETTINGS, NotRun, Tracked, measure, tracked
from cnnbench.backends.base import OpNotSupported
from cnnbench.backends.numpy_backend import NumpyBackend
from cnnbench.reference import optim
from cnnbench.timed_call import pinned_threads
from cnnbench.training.loop import History

ROOT = Path(__file__).resolve().parents[2]
CHANCE = 0.1  # ten classes


def _history(losses: list[float], accuracy: list[float], **kw) -> History:
    return History("b", "float32", "d", {}, step_loss=losses, test_accuracy=accuracy, **kw)


def test_tracked_numbers_of_a_hand_made_history():
    history = _history([float(t) for t in range(200)], [0.5, 0.8], steps_to_target=120, seconds_to_target=1.5)
    run = tracked(history)
    assert run.test_accuracy == 0.8
    assert run.loss_at == {50: 44.5, 200: 194.5}  # mean of 40..49 and of 190..199
    assert (run.steps_to_target, run.seconds_to_target) == (120.0, 1.5)


def test_what_does_not_exist_is_nan():
    """Diverged at step 100: no final accuracy, no loss at 200 (nor at 50 where the window holds
    an infinite loss); the target never reached: no steps or seconds to it."""
    losses = [1.0] * 100 + [math.inf]
    run = tracked(_history(losses, [0.5], diverged_at=100))
    assert math.isnan(run.test_accuracy) and math.isnan(run.loss_at[200]) and run.loss_at[50] == 1.0
    assert math.isnan(run.steps_to_target) and math.isnan(run.seconds_to_target)
    early = tracked(_history([1.0] * 45 + [math.inf], [], diverged_at=45))
    assert math.isnan(early.loss_at[50])


# --- planted backends: each must track clearly worse than the reference, or not run


def _zero_logits(x, w, b):
    return np.zeros((x.shape[0], w.shape[0]), dtype=x.dtype)  # (N, M)


def _exploding_step(param, grad, **kw):
    return optim.sgd_momentum(param, grad * 1e30, **kw)


def _missing(*args, **kw):
    raise OpNotSupported("numpy", "max_pool2d")


def _crash(*args, **kw):
    raise ValueError("planted crash")


def _planted(method: str, replacement) -> NumpyBackend:
    backend = NumpyBackend()
    setattr(backend, method, replacement)
    return backend


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """As benchmarks/common.py pins them: more threads than free cores make numpy's small matrix
    products several times slower on a busy machine."""
    with pinned_threads([], 1):
        yield


@pytest.fixture(scope="module")
def reference_run() -> Tracked | NotRun:
    return measure(NumpyBackend(), "small")


def test_the_reference_converges_on_the_small_size(reference_run):
    run = reference_run
    assert isinstance(run, Tracked)
    assert 0.5 < run.test_accuracy <= 1.0  # far above chance
    assert run.loss_at[200] < 0.6 * run.loss_at[50] < 0.6 * math.log(10)  # falling, below a uniform guess
    per_epoch = 640 // 32
    assert run.steps_to_target % per_epoch == 0 and 0 < run.steps_to_target <= per_epoch * SETTINGS["small"].epochs
    assert 0 < run.seconds_to_target < 60


def test_a_backend_with_zero_logits_tracks_chance(reference_run):
    run = measure(_planted("fully_connected", _zero_logits), "small")
    assert isinstance(run, Tracked)
    assert run.test_accuracy <= CHANCE + 0.05 < reference_run.test_accuracy
    assert run.loss_at[200] == pytest.approx(math.log(10), rel=1e-4)  # never below a uniform guess
    assert math.isnan(run.steps_to_target) and math.isnan(run.seconds_to_target)


def test_a_diverging_backend_tracks_nan_and_does_not_crash():
    run = measure(_planted("sgd_momentum", _exploding_step), "small")
    assert isinstance(run, Tracked)
    assert math.isnan(run.test_accuracy) and all(math.isnan(run.loss_at[s]) for s in LOSS_STEPS)
    assert math.isnan(run.steps_to_target)


@pytest.mark.parametrize(
    "backend,size,reason,failed",
    [
        (_planted("max_pool2d", _missing), "small", "numpy: max_pool2d: not implemented", False),
        (_planted("relu", _crash), "small", "numpy: training raised ValueError: planted crash", True),
        ("torch: not installed", "small", "torch: not installed", False),
    ],
    ids=["op-missing", "crash", "not-loaded"],
)
def test_what_cannot_train_is_not_run_with_its_reason(backend, size, reason, failed):
    assert measure(backend, size) == NotRun(reason, failed)


class _Interpreted(NumpyBackend):
    interpreted = True
    max_pool2d = staticmethod(_missing)


class _Compiled(_Interpreted):
    interpreted = False


class _Float64Only(NumpyBackend):
    dtypes = ("float64",)


@pytest.mark.parametrize("size", list(SETTINGS))
def test_a_backend_on_an_interpreter_is_not_trained(size):
    """The control, its compiled twin, starts training (and meets the planted missing op at once)."""
    assert "on an interpreter here" in measure(_Interpreted(), size).reason
    assert measure(_Compiled(), size) == NotRun("numpy: max_pool2d: not implemented")


def test_a_backend_without_float32_is_not_trained():
    assert measure(_Float64Only(), "small") == NotRun("numpy runs float64")


# --- asv's runner on bench_training.py

STAND_IN_COMMON = """
import os
from threadpoolctl import threadpool_limits
from cnnbench.backends.numpy_backend import NumpyBackend

threadpool_limits(limits=1)

class Broken(NumpyBackend):
    name = "broken"

    def relu(self, x):
        raise ValueError("planted crash")

BACKENDS = {"numpy": NumpyBackend(), "absent": "absent: not installed", "broken": Broken()}

def bench_size():
    return os.environ["CNNBENCH_SIZE"]
"""

PROBE = textwrap.dedent("""
    import itertools, json, os, sys
    from asv_runner.discovery import disc_benchmarks
    from asv_runner.run import _run
    from asv_runner.setup_cache import _setup_cache

    root = os.path.join(sys.argv[1], "benchmarks")
    os.chdir(sys.argv[1])  # where asv's runner keeps cache.pickle
    found = {b.name: b for b in disc_benchmarks(root)}
    out = {"benchmarks": {
        name: {"unit": b.unit, "params": b.params, "key": b.setup_cache_key, "cache_timeout": b.setup_cache_timeout,
               "checked": b.check(root)}
        for name, b in found.items()
    }}
    _setup_cache((root, next(iter(found)), "{}"))
    values = out["values"] = {}
    for name, b in found.items():
        for i, combo in enumerate(itertools.product(*b.params)):
            try:
                _run((root, f"{name}-{i}", "{}", "None", "result.json"))
                with open("result.json") as f:
                    values[f"{name} {' '.join(combo)}"] = json.load(f)
            except Exception as exc:
                values[f"{name} {' '.join(combo)}"] = f"raised {type(exc).__name__}: {exc}"
    print(json.dumps(out))
""")


@pytest.fixture(scope="module")
def probe(tmp_path_factory) -> dict:
    where = tmp_path_factory.mktemp("asv")
    (where / "benchmarks").mkdir()
    for name in ("__init__.py", "convergence.py", "bench_training.py"):
        shutil.copy(ROOT / "benchmarks" / name, where / "benchmarks" / name)
    (where / "benchmarks" / "common.py").write_text(STAND_IN_COMMON)
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(where)],
        env={**os.environ, "CNNBENCH_SIZE": "small"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_asv_finds_the_tracks_with_their_units_and_checks_their_signatures(probe):
    found = probe["benchmarks"]
    units = {name.removeprefix("bench_training."): b["unit"] for name, b in found.items()}
    assert units == {
        "Convergence.track_test_accuracy": "fraction of test images",
        "Convergence.track_steps_to_target": "steps",
        "Convergence.track_seconds_to_target": "seconds",
        "TrainingLoss.track_loss": "cross-entropy",
    }
    assert all(b["checked"] for b in found.values())
    backends = ["'numpy'", "'absent'", "'broken'"]
    assert found["bench_training.Convergence.track_test_accuracy"]["params"] == [backends, ["'small'"]]
    assert found["bench_training.TrainingLoss.track_loss"]["params"] == [backends, ["'small'"], ["50", "200"]]


def test_every_track_reads_one_cache_so_each_backend_trains_once(probe):
    keys = {b["key"] for b in probe["benchmarks"].values()}
    assert len(keys) == 1 and None not in keys
    assert {b["cache_timeout"] for b in probe["benchmarks"].values()} == {3600.0}


def test_asv_records_the_reference_run_a_skip_and_a_failure(probe, reference_run):
    values = {k.removeprefix("bench_training."): v for k, v in probe["values"].items()}
    assert values["Convergence.track_test_accuracy 'numpy' 'small'"] == pytest.approx(reference_run.test_accuracy)
    assert values["Convergence.track_steps_to_target 'numpy' 'small'"] == reference_run.steps_to_target
    assert values["Convergence.track_seconds_to_target 'numpy' 'small'"] > 0
    for step in LOSS_STEPS:
        assert values[f"TrainingLoss.track_loss 'numpy' 'small' {step}"] == pytest.approx(reference_run.loss_at[step])
    skipped = [k for k, v in values.items() if "'absent'" in k]
    assert len(skipped) == 5 and all(math.isnan(values[k]) for k in skipped)  # asv's skip: NaN
    failed = [v for k, v in values.items() if "'broken'" in k]
    assert len(failed) == 5
    assert all(v == "raised RuntimeError: broken: training raised ValueError: planted crash" for v in failed)
