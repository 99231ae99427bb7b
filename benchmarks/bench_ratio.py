"""Every backend's time as a ratio, measured interleaved in one process, so that load on the
machine cancels out (asv).

One class per op family of the catalog (``bench_ratio.Conv``, ``bench_ratio.Activation``, ...),
parameterised by op x backend x direction x dtype x size. ``setup_cache`` runs once per family:
for each op, direction and dtype it times every backend that can run it in turns
(``common.best_times``: warm-up, samples of >= 20 ms, 15 rounds, best of each, on this
process's CPU time where that is what a quiet machine's wall clock shows: ``timed_call.clock_for``),
and the benchmarks read that table:

    track_to_torch    best time / torch's best time (1 for torch; skipped where torch did not run)
    track_to_fastest  best time / the fastest backend's best time (1 for the fastest)

asv keys a ``setup_cache`` by its module and source line, so each class defines its own (one
line calling ``measure``): classes sharing one function would share one cache.
"""

from __future__ import annotations

from asv_runner.benchmarks.mark import SkipNotImplemented

from cnnbench.reference.catalog import OPS
from cnnbench.reference.workloads import workload

from .common import BACKENDS, DTYPES, PARAM_NAMES, bench_size, best_times

Table = dict[str, dict[str, float | str]]  # "op direction dtype" -> backend -> best seconds, or why not run


def family_params(family: str) -> list[list[str]]:
    """asv parameters of a family: its ops x backend x direction x dtype x size (one value)."""
    ops = [op.name for op in OPS if op.family == family]
    directions = {d: None for op in ops for d in workload(op, bench_size()).directions}
    return [ops, list(BACKENDS), list(directions), list(DTYPES), [bench_size()]]


class _FamilyRatio:
    """The ratios of one family (``family`` set by the subclasses below; asv skips the underscore)."""

    family: str
    param_names = ["op", *PARAM_NAMES]
    timeout = 3600.0

    def measure(self) -> Table:
        """Every backend's best time of each op, direction and dtype of the family, interleaved."""
        size = bench_size()
        return {
            f"{op.name} {direction} {dtype}": best_times(op.name, direction, dtype, size)
            for op in OPS
            if op.family == self.family
            for direction in workload(op.name, size).directions
            for dtype in DTYPES
        }

    def setup(self, table: Table, op: str, backend: str, direction: str, dtype: str, size: str) -> None:
        key = f"{op} {direction} {dtype}"
        if key not in table:
            raise NotImplementedError(f"{op} is timed {' or '.join(workload(op, size).directions)}")
        self.best = table[key]
        if isinstance(self.best[backend], str):
            raise NotImplementedError(self.best[backend])

    def track_to_torch(self, table: Table, op: str, backend: str, *params: str) -> float:
        torch = self.best.get("torch", "torch is not installed")
        if isinstance(torch, str):
            raise SkipNotImplemented(f"torch did not run: {torch}")
        return self.best[backend] / torch

    track_to_torch.unit = "x torch's time"  # type: ignore[attr-defined]

    def track_to_fastest(self, table: Table, op: str, backend: str, *params: str) -> float:
        return self.best[backend] / min(v for v in self.best.values() if isinstance(v, float))

    track_to_fastest.unit = "x the fastest backend's time"  # type: ignore[attr-defined]


class Softmax(_FamilyRatio):
    family, params = "softmax", family_params("softmax")

    def setup_cache(self) -> Table:
        return self.measure()


class Loss(_FamilyRatio):
    family, params = "loss", family_params("loss")

    def setup_cache(self) -> Table:
        return self.measure()


class Activation(_FamilyRatio):
    family, params = "activation", family_params("activation")

    def setup_cache(self) -> Table:
        return self.measure()


class Gate(_FamilyRatio):
    family, params = "gate", family_params("gate")

    def setup_cache(self) -> Table:
        return self.measure()


class Layer(_FamilyRatio):
    family, params = "layer", family_params("layer")

    def setup_cache(self) -> Table:
        return self.measure()


class Conv(_FamilyRatio):
    family, params = "conv", family_params("conv")

    def setup_cache(self) -> Table:
        return self.measure()


class Pool(_FamilyRatio):
    family, params = "pool", family_params("pool")

    def setup_cache(self) -> Table:
        return self.measure()


class Connection(_FamilyRatio):
    family, params = "connection", family_params("connection")

    def setup_cache(self) -> Table:
        return self.measure()


class Batchnorm(_FamilyRatio):
    family, params = "batchnorm", family_params("batchnorm")

    def setup_cache(self) -> Table:
        return self.measure()


class Dropout(_FamilyRatio):
    family, params = "dropout", family_params("dropout")

    def setup_cache(self) -> Table:
        return self.measure()


class Init(_FamilyRatio):
    family, params = "init", family_params("init")

    def setup_cache(self) -> Table:
        return self.measure()


class Regularization(_FamilyRatio):
    family, params = "regularization", family_params("regularization")

    def setup_cache(self) -> Table:
        return self.measure()


class Optimizer(_FamilyRatio):
    family, params = "optimizer", family_params("optimizer")

    def setup_cache(self) -> Table:
        return self.measure()


class Schedule(_FamilyRatio):
    family, params = "schedule", family_params("schedule")

    def setup_cache(self) -> Table:
        return self.measure()


class Preprocess(_FamilyRatio):
    family, params = "preprocess", family_params("preprocess")

    def setup_cache(self) -> Table:
        return self.measure()
