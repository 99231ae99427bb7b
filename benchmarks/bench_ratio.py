"""Every backend's time as a ratio, measured interleaved in one process, so that load on the
machine cancels out (asv).

One class per op (``bench_ratio.Conv2d``), parameterised like ``bench_time``. ``setup_cache``
runs once per op: for each direction and dtype it times every backend that can run it in turns
(``common.best_times``: warm-up, samples of >= 20 ms, 15 rounds, best of each, on this
process's CPU time where that is what a quiet machine's wall clock shows: ``common.ratio_clock``),
and the benchmarks read the table:

    track_to_torch    best time / torch's best time (1 for torch; skipped where torch did not run)
    track_to_fastest  best time / the fastest backend's best time (1 for the fastest)
"""

from __future__ import annotations

from cnnbench.reference.catalog import OPS
from cnnbench.reference.workloads import workload

from .common import DTYPES, PARAM_NAMES, bench_size, best_times, class_name, op_params

Table = dict[str, dict[str, float | str]]  # "direction dtype" -> backend -> best seconds, or why not run


class _OpRatio:
    """The ratios of one op (``op`` set by the subclasses below; asv skips the underscore)."""

    op: str
    param_names = PARAM_NAMES
    timeout = 1800.0

    def setup_cache(self) -> Table:
        size = bench_size()
        return {
            f"{direction} {dtype}": best_times(self.op, direction, dtype, size)
            for direction in workload(self.op, size).directions
            for dtype in DTYPES
        }

    def setup(self, table: Table, backend: str, direction: str, dtype: str, size: str) -> None:
        self.best = table[f"{direction} {dtype}"]
        for name in (backend, "torch"):  # torch (a dependency of the bench extra) is the yardstick
            if isinstance(self.best.get(name, "not installed"), str):
                raise NotImplementedError(f"{name}: {self.best.get(name, 'not installed')}")

    def track_to_torch(self, table: Table, backend: str, *params: str) -> float:
        return self.best[backend] / self.best["torch"]

    track_to_torch.unit = "x torch's time"  # type: ignore[attr-defined]

    def track_to_fastest(self, table: Table, backend: str, *params: str) -> float:
        return self.best[backend] / min(v for v in self.best.values() if isinstance(v, float))

    track_to_fastest.unit = "x the fastest backend's time"  # type: ignore[attr-defined]


for _op in OPS:
    globals()[class_name(_op.name)] = type(
        class_name(_op.name),
        (_OpRatio,),
        {"op": _op.name, "params": op_params(_op.name), "__doc__": f"{_op.name} ({_op.family})"},
    )
