"""Running experiments: each one measured, judged and plotted, with its seconds and the command
that regenerates it; BLAS/OpenMP and the backend's own pools pinned to ``thread_count()``
threads (``$CNNBENCH_THREADS``, else 1) so that the wall-time measurements mean the same on a
shared machine."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from cnnbench.timed_call import thread_count

from .common import Setting
from .registry import EXPERIMENTS

PLOTS = "experiments"  # the plots' folder, beside experiments.md


@dataclass
class Outcome:
    """What one experiment gave: its verdict line, raw measurements and plot (relative to the report)."""

    name: str
    claim: str
    verdict: str
    seeds: list[int]
    seconds: float
    plot: str
    command: str
    measurements: dict[str, Any]


def run_experiments(
    names: Sequence[str], setting: Setting, out: Path, command: Callable[[str], str], progress: bool = True
) -> list[Outcome]:
    """Measure, judge and plot each experiment of ``names``; the plots go to ``out/experiments/``."""
    (out / PLOTS).mkdir(parents=True, exist_ok=True)
    outcomes = []
    count = thread_count()
    with threadpool_limits(limits=count):
        setting.backend.set_threads(count)
        for name in tqdm(names, desc="experiments", unit="experiment", disable=not progress):
            experiment = EXPERIMENTS[name]
            started = time.perf_counter()
            measurements = experiment.measure(setting)
            seconds = time.perf_counter() - started
            plot = f"{PLOTS}/{name}.png"
            experiment.plot(measurements).savefig(out / plot, dpi=90)
            verdict = experiment.verdict(measurements["summary"])
            outcomes.append(
                Outcome(
                    name, experiment.claim, verdict, list(setting.seeds), seconds, plot, command(name), measurements
                )
            )
    return outcomes
