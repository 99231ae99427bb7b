"""Where a backend's code runs during a conformance run.

``Isolated(selector)`` loads the backend in a process of its own (a one-worker
``pebble.ProcessPool`` started with spawn, inside ``pinned_numerics``), so native
libraries that clash (TensorFlow's and Triton's LLVMs) never share a process, and
every call has a timeout: a call that crashes the process or outlives its timeout
raises ``TaskFailed`` ("crashed: signal 11", "timed out after 60 s"), the worker is
replaced, and the next call runs on a fresh one. The backend loads in the worker's first
call, under the same guard: a plug-in that hangs or crashes on import costs only itself. ``InProcess(loaded)`` runs an
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
LOAD_TIMEOUT = 120.0  # seconds to start a worker and load its backend (importing a framework takes a few)


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


_LOADED: LoadedBackend | None = None  # the backend of this worker process, loaded by its first call
_PINNED = contextlib.ExitStack()  # the worker's numerics, pinned for its whole life


def _load(selector: str) -> None:
    """In the worker: pin the numerics for its life, then load the backend (once)."""
    global _LOADED
    if _LOADED is None:
        _PINNED.enter_context(pinned_numerics())
        _LOADED = load(selector)


def _run(task: Callable[..., T], *args: Any) -> T:
    return task(_LOADED, *args)


class Isolated:
    """The backend named by ``selector`` in a worker process of its own."""

    def __init__(self, selector: str, timeout: float = DEFAULT_TIMEOUT, load_timeout: float = LOAD_TIMEOUT) -> None:
        self.selector, self.timeout, self.load_timeout = selector, timeout, load_timeout
        self._running: concurrent.futures.Future | None = None
        self._closed = False
        self._loaded = False  # whether the current worker process has loaded the backend
        self._pool = pebble.ProcessPool(max_workers=1, context=multiprocessing.get_context("spawn"))

    def call(self, task: Callable[..., T], *args: Any, timeout: float | None = None) -> T:
        """``task(loaded_backend, *args)`` in the worker; its exceptions come back as they are.
        A fresh worker (the first, or one replacing a crashed or hung one) loads the backend
        first, under ``load_timeout``; the call itself runs under ``timeout``."""
        if not self._loaded:
            self._wait(_load, self.load_timeout, self.selector)
            self._loaded = True
        try:
            return self._wait(_run, self.timeout if timeout is None else timeout, task, *args)
        except TaskFailed:
            self._loaded = False
            raise

    def _wait(self, function: Callable[..., T], limit: float, *args: Any) -> T:
        try:
            if self._closed:
                raise RuntimeError("closed")
            future = self._running = self._pool.submit(function, limit, *args)
        except RuntimeError:  # closed by another thread (an interrupted run)
            raise TaskFailed("stopped") from None
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
        self._closed = True
        if self._running is not None:
            self._running.cancel()
        self._pool.stop()
        self._pool.join()
