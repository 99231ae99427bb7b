"""What the asv benchmarks share: every known backend loaded once in the benchmark process,
the timed call of a workload, and interleaved best times.

asv.conf.json sets ``"launch_method": "forkserver"``: asv imports the benchmark modules once in
a server process and forks one process per benchmark and parameter set. Importing this module
loads every known backend (built-ins and plug-ins, ``cnnbench.backends.registry``) in the
server, torch first (once torch has loaded its LLVM, TensorFlow and Triton can share the
process), with numerics pinned (``pinned_numerics``) and every thread pool pinned to
``thread_count()`` (``$CNNBENCH_THREADS``, else 1): each fork
finds them ready, and a benchmark costs its own time only. Nothing runs an op in the server
(runtimes start their thread pools on first use, in the fork).

The size is ``$CNNBENCH_SIZE`` (default ``standard``), a one-valued asv parameter so that it
is recorded with every result. A combination a backend cannot run (not installed, op or
dtype not implemented, a size beyond its interpreter) raises NotImplementedError: asv's skip.
"""

from __future__ import annotations

import atexit
import os
from collections.abc import Callable
from contextlib import ExitStack

from threadpoolctl import threadpool_limits

from cnnbench.backends.base import Backend, OpNotSupported
from cnnbench.backends.registry import known_specs, load
from cnnbench.numerics import pinned_numerics
from cnnbench.reference.workloads import SIZES, workload
from cnnbench.timed_call import clock_for, not_timed, thread_count, timed_call
from cnnbench.timing import interleaved
from cnnbench.tolerance import DTYPES

LOAD_ORDER = ("torch", "numpy", "triton", "tensorflow")
SIZE_VARIABLE = "CNNBENCH_SIZE"


def bench_size() -> str:
    size = os.environ.get(SIZE_VARIABLE, "standard")
    if size not in SIZES:
        raise ValueError(f"{SIZE_VARIABLE}: expected one of {', '.join(SIZES)}, got {size!r}")
    return size


def class_name(op: str) -> str:
    """``batch_norm_train`` -> ``BatchNormTrain``: the asv class of an op."""
    return "".join(part.capitalize() for part in op.split("_"))


def op_params(op: str) -> list[list[str]]:
    """asv parameters of an op's benchmarks: backend x direction x dtype x size (one value)."""
    return [list(BACKENDS), list(workload(op, bench_size()).directions), list(DTYPES), [bench_size()]]


PARAM_NAMES = ["backend", "direction", "dtype", "size"]


def _load_all() -> tuple[int, dict[str, Backend | str]]:
    """Pin numerics and threads for the life of the process, then load every known backend in
    load order: ``(threads, {name: backend or why it did not load})``."""
    stack = ExitStack()
    atexit.register(stack.close)  # restored while the interpreter can still run the restoring code
    stack.enter_context(pinned_numerics())
    count = thread_count()
    names = sorted(known_specs(), key=lambda n: (LOAD_ORDER.index(n) if n in LOAD_ORDER else len(LOAD_ORDER), n))
    backends: dict[str, Backend | str] = {}
    for name in names:
        result = load(name)
        if result.ok:
            result.backend.set_threads(count)
        backends[name] = result.backend if result.ok else result.reason
    threadpool_limits(limits=count)  # the BLAS / OpenMP pools the backends loaded
    return count, backends


THREADS, BACKENDS = _load_all()


def call_of(name: str, op: str, direction: str, dtype: str, size: str) -> Callable[[], None]:
    """The timed call, or NotImplementedError (asv's skip) saying why there is none."""
    backend = BACKENDS[name]
    if isinstance(backend, str):
        raise NotImplementedError(f"{name}: {backend}")
    if dtype not in backend.dtypes:
        raise NotImplementedError(f"{name} runs {', '.join(backend.dtypes)}")
    if reason := not_timed(backend, size):
        raise NotImplementedError(reason)
    try:
        return timed_call(backend, workload(op, size), dtype, direction)
    except OpNotSupported as exc:
        raise NotImplementedError(str(exc)) from None


def best_times(op: str, direction: str, dtype: str, size: str) -> dict[str, float | str]:
    """Every backend's best seconds per call of one combination, interleaved in this process
    (``cnnbench.timing.interleaved``) on ``clock_for`` them; for a backend that cannot run it, why not."""
    calls: dict[str, Callable[[], None]] = {}
    skipped: dict[str, float | str] = {}
    for name in BACKENDS:
        try:
            calls[name] = call_of(name, op, direction, dtype, size)
        except NotImplementedError as exc:
            skipped[name] = str(exc)
    clock = clock_for([b for name, b in BACKENDS.items() if name in calls and not isinstance(b, str)])
    timings = interleaved(calls, clock=clock) if calls else {}
    return {**skipped, **{name: timing.best for name, timing in timings.items()}}

