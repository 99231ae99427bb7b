"""What ``cnnbench bench`` asks of a backend's worker (``cnnbench.worker``): tasks that take the
``LoadedBackend`` first and return plain data.

    prepare(loaded, op, size, dtype, direction)   pin the threads (once per process), build the
                                                  timed call (``timed_call``), warm it up, calibrate
                                                  ``number`` (``timing.calls_per_sample``); on an
                                                  interpreter, only at size ``small``
    sample(loaded, key)                           one sample of the prepared call: seconds per call
                                                  over ``number`` back-to-back calls (perf_counter)
    release(loaded)                               drop the prepared call, unpin the threads

The prepared call stays in the worker, one per backend: the main process asks for one sample at a
time, in turn across the backends' workers, so no two backends run at once while timed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cnnbench.backends.base import OpNotSupported
from cnnbench.backends.registry import LoadedBackend
from cnnbench.reference.workloads import workload

from .tasks import raised
from .timed_call import clock_for, not_timed, pinned_threads, timed_call
from .timing import MIN_SAMPLE, WARMUP, calls_per_sample, sample_seconds

Key = tuple[str, str, str, str]  # op, size, dtype, direction


@dataclass
class _Pinned:
    threads: dict[str, Any]
    stack: contextlib.ExitStack
    prepared: dict[Key, tuple[Callable[[], None], int]] = field(default_factory=dict)


_STATE: dict[str, _Pinned] = {}  # by backend name: in a worker one entry, in-process one per backend


def _pinned(loaded: LoadedBackend) -> _Pinned:
    if loaded.name not in _STATE:
        stack = contextlib.ExitStack()
        threads = stack.enter_context(pinned_threads([loaded.backend]))
        _STATE[loaded.name] = _Pinned(threads, stack)
    return _STATE[loaded.name]


def prepare(loaded: LoadedBackend, op: str, size: str, dtype: str, direction: str) -> dict[str, Any]:
    """Build, warm up and calibrate one timed call; ``{"number", "threads"}``, or ``{"status",
    "reason"}`` where the backend lacks the op in ``dtype`` ("not implemented"), raises ("error"),
    or runs on an interpreter and ``size`` is not ``small`` ("not timed")."""
    if reason := not_timed(loaded.backend, size):
        return {"status": "not timed", "reason": reason}
    state = _pinned(loaded)
    state.prepared.clear()  # the previous workload's arrays go before this one's are made
    try:
        fn = timed_call(loaded.backend, workload(op, size), dtype, direction)
        for _ in range(WARMUP):
            fn()
        number = calls_per_sample(fn, MIN_SAMPLE, clock_for([loaded.backend]))
    except OpNotSupported as exc:
        return {"status": "not implemented", "reason": exc.reason}
    except BaseException as exc:  # the backend's fault, even SystemExit, is a row's error
        return {"status": "error", "reason": raised("preparing the timed call", exc)}
    state.prepared[(op, size, dtype, direction)] = (fn, number)
    return {"number": number, "threads": state.threads}


def sample(loaded: LoadedBackend, key: Key) -> float:
    """Seconds per call of the prepared call ``key``, over its calibrated ``number`` of calls, on
    ``clock_for`` the backend (this process's CPU time with one thread on the host)."""
    fn, number = _STATE[loaded.name].prepared[key]
    return sample_seconds(fn, number, clock_for([loaded.backend]))


def release(loaded: LoadedBackend) -> None:
    """Drop what ``prepare`` kept and restore the thread pools."""
    state = _STATE.pop(loaded.name, None)
    if state is not None:
        state.stack.close()
