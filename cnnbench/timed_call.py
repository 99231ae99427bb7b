"""What a benchmark times: one workload of the table (``cnnbench.reference.workloads``) called
through a backend in one dtype and direction, with its inputs already native, returning only
once the backend's device work is done.

    forward           out = op(*inputs, **params)
    forward+backward  out = op(*inputs, **params); grads = op_backward(dy, *inputs, **params)
    step              param, state = op(param, grad, state=state, **hyper)   (carried over calls)

dy is seeded (``conformance.cotangent``) and shaped like the forward's first output. An optimizer
is timed from a warm state, that of one step taken beforehand, so a lazily allocated state is
not counted. Threads are pinned with ``pinned_threads`` before any timing.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from threadpoolctl import threadpool_info, threadpool_limits

from cnnbench.backends.base import Backend
from cnnbench.conformance import HandedInputs, cotangent, declared_op
from cnnbench.reference.workloads import FORWARD, STEP, Workload
from cnnbench.timing import Clock

THREADS_VARIABLE = "CNNBENCH_THREADS"
INTERPRETER_SIZE = "small"  # the only size a backend running on an interpreter is timed at


def not_timed(backend: Backend, size: str) -> str | None:
    """Why ``backend`` is not timed at ``size``, or None: a backend whose kernels run on an
    interpreter (Triton without a GPU) is timed at the small size only."""
    if getattr(backend, "interpreted", False) and size != INTERPRETER_SIZE:
        return f"{backend.name} runs on an interpreter here: timed at size {INTERPRETER_SIZE} only"
    return None


def timed_call(backend: Backend, workload: Workload, dtype: str, direction: str) -> Callable[[], None]:
    """A call of ``workload`` through ``backend`` to time (module docstring), made once here, so that
    ``OpNotSupported`` (the backend lacks the op, does not declare it in ``dtype``, or calls the
    error it raised unsupported) comes before any timing."""
    if direction not in workload.directions:
        timed = " or ".join(workload.directions)
        raise ValueError(f"direction: {workload.op.name} is timed {timed}, not {direction!r}")
    call = _call(backend, workload, dtype, direction)
    call()
    return call


def _call(backend: Backend, workload: Workload, dtype: str, direction: str) -> Callable[[], None]:
    op, case = workload.op, workload.case
    forward = declared_op(backend, op.name, dtype)
    hand = HandedInputs(backend, dtype).hand
    params = {k: hand(v, k, watch=False) for k, v in case.params.items()}
    sync = backend.synchronize
    if direction == STEP:
        grad = params.pop("grad")
        carried = forward(hand(case.inputs[0], "param", watch=False), grad, state=None, **params)

        def step() -> None:
            nonlocal carried
            carried = forward(carried[0], grad, state=carried[1], **params)
            sync()

        return step
    inputs = [hand(x, f"inputs[{i}]", watch=False) for i, x in enumerate(case.inputs)]
    if direction == FORWARD:

        def call() -> None:
            forward(*inputs, **params)
            sync()

        return call
    backward = declared_op(backend, f"{op.name}_backward", dtype)
    out = forward(*inputs, **params)
    first = out[0] if isinstance(out, tuple) else out
    dy = hand(cotangent(op, case, backend.to_numpy(first).shape), "dy", watch=False)

    def call_both() -> None:
        forward(*inputs, **params)
        backward(dy, *inputs, **params)
        sync()

    return call_both


def clock_for(backends: Sequence[Backend]) -> Clock:
    """The clock to time ``backends`` on: this process's CPU time (``time.process_time``) where it
    is the time a quiet machine's wall clock would show, that is with one thread (``thread_count()
    == 1``) and every backend on the host (no ``device`` but ``cpu``); else the wall clock. On a
    loaded machine the wall clock also counts the time other processes hold the core, which moves
    from one sample to the next; this process's CPU time does not."""
    on_host = all(getattr(backend, "device", "cpu") == "cpu" for backend in backends)
    return time.process_time if thread_count() == 1 and on_host else time.perf_counter


def thread_count() -> int:
    """Threads a timing run pins every pool to: ``$CNNBENCH_THREADS``, else 1.

    One thread by default: per-core speed is what compares across backends on a shared machine.
    A multithreaded runtime waiting at its barriers for a thread the machine's load has
    descheduled slows by far more than a single thread does (torch's cross-entropy, 0.9 ms alone,
    took 47 ms on 2 busy cores), so its ratios would measure the load, not the implementation."""
    value = os.environ.get(THREADS_VARIABLE, "1")
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{THREADS_VARIABLE}: expected an integer >= 1, got {value!r}")
    return int(value)


@contextmanager
def pinned_threads(backends: Sequence[Backend], count: int | None = None) -> Iterator[dict[str, Any]]:
    """Pin every BLAS / OpenMP pool (threadpoolctl) and each backend's own pools to ``count``
    threads (default ``thread_count()``); yields the record of what is in effect."""
    count = thread_count() if count is None else count
    with threadpool_limits(limits=count):
        record: dict[str, Any] = {"requested": count}
        for backend in backends:
            record.update(backend.set_threads(count))
        record.update({f"{pool['internal_api']} ({pool['prefix']})": pool["num_threads"] for pool in threadpool_info()})
        yield record
