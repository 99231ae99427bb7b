"""How every backend's training converges, tracked over commits beside its speed (asv).

One ``setup_cache`` trains each known backend once, float32, at ``$CNNBENCH_SIZE``
(``convergence``: small = the synthetic set for 10 epochs, standard = the digits for 30), and the
benchmarks read that table:

    Convergence.track_test_accuracy      test accuracy after the last epoch        (fraction)
    Convergence.track_steps_to_target    steps until test accuracy >= the target   (steps)
    Convergence.track_seconds_to_target  training seconds until then               (seconds)
    TrainingLoss.track_loss(step)        mean loss of the 10 steps before step s   (cross-entropy)

Both classes inherit the one ``setup_cache`` function: asv keys a cache by the function's module
and line, so they share one table and each backend trains once. A diverged run tracks NaN (asv:
n/a); a backend that cannot train here (an op missing, no float32, kernels on an interpreter) is
skipped (NotImplementedError in setup), one whose run raised fails alone. Backends are loaded by
``common`` (torch first). The cache costs, per backend on one CPU thread: small 1-2 s (numpy,
torch), 19 s (TensorFlow); standard 7-9 s (numpy, torch), 105 s (TensorFlow).
"""

from __future__ import annotations

from .common import BACKENDS, bench_size
from .convergence import LOSS_STEPS, NotRun, Tracked, measure

Table = dict[str, Tracked | NotRun]  # backend -> its run's numbers, or why it has none


class _Trained:
    """The shared run of every backend (asv skips the underscore class itself)."""

    timeout = 600.0

    def setup_cache(self) -> Table:
        return {name: measure(backend, bench_size()) for name, backend in BACKENDS.items()}

    setup_cache.timeout = 3600.0  # type: ignore[attr-defined]

    def setup(self, table: Table, backend: str, *params: object) -> None:
        run = table[backend]
        if isinstance(run, NotRun):
            raise (RuntimeError if run.failed else NotImplementedError)(run.reason)
        self.run = run


class Convergence(_Trained):
    params = [list(BACKENDS), [bench_size()]]
    param_names = ["backend", "size"]

    def track_test_accuracy(self, table: Table, *params: str) -> float:
        return self.run.test_accuracy

    track_test_accuracy.unit = "fraction of test images"  # type: ignore[attr-defined]

    def track_steps_to_target(self, table: Table, *params: str) -> float:
        return self.run.steps_to_target

    track_steps_to_target.unit = "steps"  # type: ignore[attr-defined]

    def track_seconds_to_target(self, table: Table, *params: str) -> float:
        return self.run.seconds_to_target

    track_seconds_to_target.unit = "seconds"  # type: ignore[attr-defined]


class TrainingLoss(_Trained):
    params = [list(BACKENDS), [bench_size()], list(LOSS_STEPS)]
    param_names = ["backend", "size", "step"]

    def track_loss(self, table: Table, backend: str, size: str, step: int) -> float:
        return self.run.loss_at[step]

    track_loss.unit = "cross-entropy"  # type: ignore[attr-defined]
