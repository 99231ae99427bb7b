"""The asv benchmarks of benchmarks/: one class per op (times) and per family (ratios), each ratio
class with its own setup_cache, and ratios computed from the interleaved table as documented.

Importing benchmarks.common loads every backend in one process (torch first), as asv's forkserver
does: that happens in a fresh interpreter here, never in the test process, where TensorFlow and
Triton may already be loaded in another order.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cnnbench.reference.catalog import OPS

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import functools, json
from asv_runner.benchmarks._base import get_setup_cache_key
from benchmarks import bench_ratio, bench_time, common

# the mechanism, not the precision: 2 rounds of short samples
common.interleaved = functools.partial(common.interleaved, rounds=2, warmup=1, min_sample=0.001)

def public_classes(module, attribute):
    return [c for n, c in vars(module).items() if isinstance(c, type) and hasattr(c, attribute) and n[0] != "_"]

ratio_classes = public_classes(bench_ratio, "family")

class Borrowing(bench_ratio._FamilyRatio):  # the negative control: no setup_cache of its own
    family = "conv"
Borrowing.setup_cache = bench_ratio.Conv.setup_cache
conv = bench_ratio.Conv()

out = {
    "time_ops": sorted(cls.op for cls in public_classes(bench_time, "op")),
    "families": sorted(cls.family for cls in ratio_classes),
    "keys": sorted(get_setup_cache_key(cls.setup_cache) for cls in ratio_classes),
    "borrowed_key_equal": get_setup_cache_key(Borrowing.setup_cache) == get_setup_cache_key(conv.setup_cache),
    "threads": bench_time.Threads().track_threads(),
}
table = conv.setup_cache()
out["conv_keys"] = sorted(table)
out["conv_float32"] = table["conv2d forward+backward float32"]
conv.setup(table, "conv2d", "numpy", "forward+backward", "float32", "small")
out["to_torch"] = conv.track_to_torch(table, "conv2d", "numpy", "forward+backward", "float32", "small")
out["to_fastest"] = conv.track_to_fastest(table, "conv2d", "numpy", "forward+backward", "float32", "small")
try:
    conv.setup(table, "conv2d", "numpy", "forward", "float16", "small")
except NotImplementedError as exc:
    out["numpy_float16"] = str(exc)
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def probe() -> dict:
    env = {**os.environ, "CNNBENCH_SIZE": "small"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_every_op_has_a_time_class_and_every_family_a_ratio_class(probe):
    assert probe["time_ops"] == sorted(op.name for op in OPS)
    assert probe["families"] == sorted({op.family for op in OPS})


def test_each_ratio_class_has_a_setup_cache_of_its_own(probe):
    """asv keys setup_cache by module and line: one shared function would give every family one table."""
    assert len(set(probe["keys"])) == len(probe["keys"])
    assert probe["borrowed_key_equal"]  # the check can fail: a borrowed setup_cache shares its key


def test_a_family_table_covers_its_ops_directions_and_dtypes(probe):
    dtypes = ("float64", "float32", "float16", "bfloat16")
    assert probe["conv_keys"] == sorted(f"conv2d {d} {t}" for d in ("forward", "forward+backward") for t in dtypes)
    timed = {name: v for name, v in probe["conv_float32"].items() if isinstance(v, float)}
    assert {"numpy", "torch"} <= set(timed) and all(v > 0 for v in timed.values())


def test_ratios_are_read_from_the_interleaved_table(probe):
    best = {name: v for name, v in probe["conv_float32"].items() if isinstance(v, float)}
    assert probe["to_torch"] == pytest.approx(best["numpy"] / best["torch"])
    assert probe["to_fastest"] == pytest.approx(best["numpy"] / min(best.values()))
    assert probe["to_fastest"] >= 1.0


def test_what_a_backend_cannot_run_is_an_asv_skip(probe):
    assert probe["numpy_float16"] == "numpy runs float64, float32"


def test_threads_are_pinned_to_one_by_default(probe):
    assert probe["threads"] == 1
