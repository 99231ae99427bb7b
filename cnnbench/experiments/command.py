"""``cnnbench experiments``: the notes' claims as seeded experiments, judged and plotted.

    cnnbench experiments [--fast] [--only NAME ...] [--backend B] [--dtype D] [--seeds N] [--out DIR]

writes DIR/experiments.md, DIR/experiments.json and DIR/experiments/<name>.png (DIR: reports).
Fast mode: synthetic data, a smaller network and shorter runs (seconds per experiment); full
mode: the digits.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from cnnbench.backends.registry import load
from cnnbench.runner import environment

from .common import Setting
from .registry import EXPERIMENTS
from .report import write_report
from .runner import run_experiments

DEFAULT_SEEDS = {True: 2, False: 3}  # fast, full


def positive_int(text: str) -> int:
    """An argparse type: an integer of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """The ``experiments`` subcommand on the CLI's subparsers."""
    p = subparsers.add_parser("experiments", help="the notes' claims as seeded experiments: verdicts and plots")
    p.add_argument("--fast", action="store_true", help="synthetic data, small network, short runs")
    p.add_argument("--only", nargs="+", choices=list(EXPERIMENTS), metavar="NAME", help="run these experiments only")
    p.add_argument("--backend", default="numpy", help="backend name or package.module:attr (%(default)s)")
    p.add_argument("--dtype", help="default: float64 where the backend has it, else float32")
    p.add_argument(
        "--seeds",
        type=positive_int,
        help=f"seeds 0..N-1 (default {DEFAULT_SEEDS[True]} fast, {DEFAULT_SEEDS[False]} full)",
    )
    p.add_argument(
        "--out",
        default="reports/runs/experiments",
        help="directory for experiments.md/.json and the plots (%(default)s)",
    )
    p.set_defaults(func=cmd_experiments)
    return p


def cmd_experiments(args: argparse.Namespace) -> int:
    loaded = load(args.backend)
    if not loaded.ok:
        print(f"cnnbench experiments: backend {args.backend}: {loaded.reason}", file=sys.stderr)
        return 2
    backend = loaded.backend
    dtype = args.dtype or ("float64" if "float64" in backend.dtypes else "float32")
    if dtype not in backend.dtypes:
        print(f"cnnbench experiments: {backend.name} runs {', '.join(backend.dtypes)}, not {dtype}", file=sys.stderr)
        return 2
    seeds = DEFAULT_SEEDS[args.fast] if args.seeds is None else args.seeds
    out = Path(args.out)
    setting = Setting(backend, dtype, args.fast, tuple(range(seeds)))
    fast = " --fast" if args.fast else ""

    def command(name: str) -> str:
        where = f"--backend {args.backend} --dtype {dtype} --seeds {seeds} --out {out}"
        return f"cnnbench experiments{fast} --only {name} {where}"

    run = {  # recorded before the runs: the commit they ran
        **environment(getattr(args, "numerics", {}) or {}),
        "backend": backend.name,
        "dtype": dtype,
        "mode": "fast" if args.fast else "full",
        "versions": backend.versions(),
    }
    names = args.only or list(EXPERIMENTS)
    outcomes = run_experiments(names, setting, out, command)
    paths = write_report(out, outcomes, run)
    for outcome in outcomes:
        print(f"{outcome.name}: {outcome.verdict}")
    print(f"wrote {', '.join(str(p) for p in paths)} and the plots in {out / 'experiments'}")
    return 0
