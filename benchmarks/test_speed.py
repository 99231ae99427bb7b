"""One benchmark per backend x op x direction x dtype of the workload table (``cnnbench.pytest_speed``
parametrizes it, builds the call, skips what a backend does not support and fills ``extra_info``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def test_speed(benchmark: Any, timed: Callable[[], None]) -> None:
    benchmark(timed)
