"""pytest-benchmark timings of the workload table (``cnnbench.reference.workloads``) on the
selected backends: the repository's root ``conftest.py`` loads it, ``benchmarks/test_speed.py`` times.

    pytest benchmarks/ --benchmark-only [--backend B ...] [--size small|standard] [--op O ...] [--dtype D ...]

One benchmark per backend x op x direction x dtype: the call ``cnnbench.timed_call.timed_call``
builds (device work synchronised), run by the ``benchmark`` fixture. pytest-benchmark calibrates
the iterations of a round so that it lasts well above the timer's resolution, then runs rounds
for ``--benchmark-max-time`` (at least ``--benchmark-min-rounds``); warm-up is on unless
``--benchmark-warmup`` is given. Benchmarks are grouped "op[size] direction dtype", so each table
holds the backends side by side, fastest first. A combination the backend does not support
(op or dtype not declared; a backend on an interpreter, like Triton without a GPU, at
``standard`` size) is skipped with the reason.

Each benchmark's ``extra_info`` (in ``--benchmark-json`` and saved runs):

    size, measure          the workload size; what its rate counts, "flops" or "bytes"
    flops, bytes           work of one call (Workload.work)
    rate_unit              "GFLOP/s" for products (conv2d, fully connected), else "GB/s"
    rate_at_min, rate_at_median   flops or bytes / time / 1e9, at the fastest and the median round
    versions               what the backend runs on (Backend.versions)
    threads                the thread counts pinned for the session (``pinned_threads``)

(``params`` holds op, direction, backend and dtype.)

PYTEST_DONT_REWRITE: it asserts nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from cnnbench.backends.base import OpNotSupported
from cnnbench.conformance import numpy_dtype
from cnnbench.pytest_backends import loaded_backends, unloaded_skip
from cnnbench.reference import workloads as table
from cnnbench.reference.catalog import CATALOG
from cnnbench.timed_call import not_timed, pinned_threads, timed_call
from cnnbench.tolerance import DTYPES


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("cnnbench speed", "the workload table timed with pytest-benchmark")
    group.addoption("--size", choices=table.SIZES, default="standard", help="workload size (default: %(default)s)")
    group.addoption(
        "--op", action="append", default=[], choices=sorted(CATALOG), metavar="OP", help="time only these ops"
    )
    group.addoption("--dtype", action="append", default=[], choices=DTYPES, help="time only these dtypes")


def pytest_configure(config: pytest.Config) -> None:
    """Warm-up on by default: the first calls of a framework allocate, pick kernels and fill caches."""
    args = config.invocation_params.args
    if not any(a == "--benchmark-warmup" or a.startswith("--benchmark-warmup=") for a in args):
        config.option.benchmark_warmup = True


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``op, direction`` over the table (``--size``, ``--op``), then ``backend, dtype`` over the selected
    backends and their dtypes (``--dtype``); plain strings, so ``--benchmark-group-by=param:backend`` works
    and the JSON's ``params`` read as they are."""
    if "timed" not in metafunc.fixturenames:
        return
    config = metafunc.config
    ops, dtypes = config.getoption("--op"), config.getoption("--dtype")
    cases = [
        (w.op.name, direction)
        for w in table.workloads(config.getoption("--size"))
        if not ops or w.op.name in ops
        for direction in w.directions
    ]
    backends = []
    for lb in loaded_backends(config):
        if lb.backend is None:
            backends.append(pytest.param(lb.name, None, id=lb.name, marks=unloaded_skip(lb)))
        else:
            backends += [(lb.name, d) for d in lb.backend.dtypes if not dtypes or d in dtypes]
    metafunc.parametrize("op,direction", cases)
    metafunc.parametrize("backend,dtype", backends)


@pytest.fixture(scope="session")
def thread_record(pytestconfig: pytest.Config) -> Iterator[dict[str, Any]]:
    """Every thread pool pinned (``pinned_threads``) for the session; the counts in effect."""
    with pinned_threads([lb.backend for lb in loaded_backends(pytestconfig) if lb.backend is not None]) as record:
        yield record


@pytest.fixture
def timed(
    benchmark: Any,
    pytestconfig: pytest.Config,
    op: str,
    direction: str,
    backend: str,
    dtype: str,
    thread_record: dict[str, Any],
) -> Iterator[Callable[[], None]]:
    """The call to time, with the benchmark's group and extra_info set; the rates are added once it ran."""
    loaded = next(lb for lb in loaded_backends(pytestconfig) if lb.name == backend)  # loaded: else a skip mark
    workload = table.workload(op, pytestconfig.getoption("--size"))
    if reason := not_timed(loaded.backend, workload.size):
        pytest.skip(reason)
    try:
        call = timed_call(loaded.backend, workload, dtype, direction)
    except OpNotSupported as exc:
        pytest.skip(str(exc))
    benchmark.group = f"{workload.name} {direction} {dtype}"
    work = workload.work(direction, numpy_dtype(dtype).itemsize)
    benchmark.extra_info.update(
        size=workload.size, measure=workload.measure, **work, versions=loaded.backend.versions(), threads=thread_record
    )
    yield call
    if benchmark.stats:  # None under --benchmark-disable
        seconds = {"min": benchmark.stats.stats.min, "median": benchmark.stats.stats.median}
        benchmark.extra_info["rate_unit"] = workload.rate_unit
        itemsize = numpy_dtype(dtype).itemsize
        benchmark.extra_info.update({f"rate_at_{k}": workload.rate(direction, itemsize, t) for k, t in seconds.items()})
