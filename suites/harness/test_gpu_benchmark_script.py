"""The GPU benchmark script runs end to end (smoke mode: tiny shapes, wall clock,
the CPU interpreter when there is no GPU), so a GPU session only has to run it."""

from __future__ import annotations

import pytest

pytest.importorskip("triton")


def test_smoke_run_reports_every_workload():
    from benchmarks.triton_gpu import run, to_markdown

    result = run(smoke=True)
    ops = [r["op"] for r in result["rows"]]
    assert {"softmax forward", "adam step", "conv2d 3x3 forward", "matmul"} <= set(ops)
    assert all(r["triton_ms"] > 0 and r["torch_ms"] > 0 for r in result["rows"])
    memory_bound = [r for r in result["rows"] if r["bytes_moved"]]
    assert memory_bound and all(r["copy_fraction"] > 0 for r in memory_bound)
    assert "| softmax forward |" in to_markdown(result) and result["meta"]["smoke"] is True
