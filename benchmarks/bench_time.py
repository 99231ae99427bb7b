"""Time and peak memory of every op of the workload table on every backend (asv).

One class per op (``bench_time.Conv2d``), parameterised by backend x direction x dtype x size:

    time_call     asv's timing of one call (``cnnbench.timed_call``: inputs native, device synchronised)
    peakmem_call  peak resident memory of the benchmark process around the call (asv's peakmem;
                  it includes the interpreter and the loaded frameworks, alike for every op)

A time compares across commits on one quiet machine; across backends and machines compare the
ratios of ``bench_ratio``. Setup and skipping: ``benchmarks/common.py``.
"""

from __future__ import annotations

from cnnbench.reference.catalog import OPS

from .common import PARAM_NAMES, THREADS, call_of, class_name, op_params


class _OpTime:
    """The benchmarks of one op (``op`` set by the subclasses below; asv skips the underscore)."""

    op: str
    param_names = PARAM_NAMES
    timeout = 600.0

    def setup(self, backend: str, direction: str, dtype: str, size: str) -> None:
        self.call = call_of(backend, self.op, direction, dtype, size)

    def time_call(self, *params: str) -> None:
        self.call()

    def peakmem_call(self, *params: str) -> None:
        self.call()


for _op in OPS:
    globals()[class_name(_op.name)] = type(
        class_name(_op.name),
        (_OpTime,),
        {"op": _op.name, "params": op_params(_op.name), "__doc__": f"{_op.name} ({_op.family})"},
    )


class Threads:
    """The thread count every pool is pinned to, tracked so that a change of it shows."""

    def track_threads(self) -> int:
        return THREADS

    track_threads.unit = "threads"  # type: ignore[attr-defined]
