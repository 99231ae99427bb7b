"""Where a backend's code runs during a conformance run.

``Isolated(selector)`` loads the backend in a process of its own (a one-worker
``pebble.ProcessPool`` started with spawn, inside ``pinned_numerics``), so native
libraries that clash (TensorFlow's and Triton's LLVMs) never share a process, and
every call has a timeout: a call that crashes the process or outlives its timeout
raises ``TaskFailed`` ("crashed: signal 11", "timed out after 60 s"), the worker is
replaced, and the next call runs on a fresh one. ``InProcess(loaded)`` runs an
already constructed backend (a test's, a notebook's) in this process, unguarded.

Both run the same tasks: module-level functions taking the ``LoadedBackend`` first.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import multiprocessing
from collections.abc import Callable
from typing import Any, TypeVar

import pebble

from cnnbench.backends.registry import LoadedBackend, load

from .numerics import pinned_numerics

T = TypeVar("T")
DEFAULT_TIMEOUT = 120.0  # seconds per call: the slowest check on Triton's CPU interpreter takes ~10 s


class TaskFailed(Exception):
    """The worker process died or hung while running a call; the message says which."""


class InProcess:
    """A loaded backend, run in this process: no isolation, no timeout."""

    def __init__(self, loaded: LoadedBackend) -> None:
        self.loaded = loaded

    def call(self, task: Callable[..., T], *args: Any, timeout: float | None = None) -> T:
        return task(self.loaded, *args)

    def close(self) -> None:
        pass


_LOADED: LoadedBackend | None = None  # the backend of this worker process


def _start(selector: str) -> None:
    """Worker initializer: pin the numerics for the process's life, then load the backend.
    Never raises: a backend that cannot load is a LoadedBackend with the reason."""
    global _LOADED
    contextlib.ExitStack().enter_context(pinned_numerics())
    _LOADED = load(selector)


def _run(task: Callable[..., T], *args: Any) -> T:
    return task(_LOADED, *args)


class Isolated:
    """The backend named by ``selector`` in a worker process of its own."""

    def __init__(self, selector: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.selector, self.timeout = selector, timeout
        self._running: concurrent.futures.Future | None = None
        self._pool = pebble.ProcessPool(
            max_workers=1, initializer=_start, initargs=(selector,), context=multiprocessing.get_context("spawn")
        )

    def call(self, task: Callable[..., T], *args: Any, timeout: float | None = None) -> T:
        """``task(loaded_backend, *args)`` in the worker; its exceptions come back as they are."""
        limit = self.timeout if timeout is None else timeout
        future = self._running = self._pool.submit(_run, limit, task, *args)
        try:
            return future.result()
        except concurrent.futures.CancelledError:
            raise TaskFailed("stopped") from None
        except concurrent.futures.TimeoutError:
            raise TaskFailed(f"timed out after {limit:g} s") from None
        except pebble.ProcessExpired as exc:
            code = exc.exitcode
            raise TaskFailed(f"crashed: signal {-code}" if code < 0 else f"crashed: exit code {code}") from None

    def close(self) -> None:
        """Stop the worker, ending the call it runs (which then raises TaskFailed)."""
        if self._running is not None:
            self._running.cancel()
        self._pool.stop()
        self._pool.join()
