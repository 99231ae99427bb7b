"""``cnnbench train`` and ``cnnbench parity``: train the small CNN with backends' own ops.

cnnbench train [--backend B ...] [--optimizer O] [--lr LR] [--dtype D] [--epochs N] [--seed S ... | --seeds N]
               [--data digits|synthetic] [--out DIR]
    every backend x seed, one after the other, with a progress bar; writes DIR/training.json
    (per-step loss, per-epoch train/test accuracy, test loss, seconds), DIR/training.md (mean and
    spread over seeds, steps and seconds to the target accuracy, time / torch's, verdicts) and
    DIR/loss.png, DIR/accuracy.png
cnnbench parity [--backend B ...] [--dtype D ...] [--steps N] [--data synthetic|digits]
    each backend's per-step training and probe loss against the reference's float64 run; where
    one leaves its bound, the first step and the first op outside its own bound
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

from cnnbench.backends.base import OpNotSupported
from cnnbench.backends.registry import LoadedBackend, discover

from .atomic import replace_atomically
from .results_file import finite_json
from .runner import environment
from .timed_call import pinned_threads
from .training import data as datasets
from .training import parity
from .training.loop import RunConfig, train
from .training.network import Architecture
from .training.optimizers import PRESETS, OptimizerConfig
from .training.plots import accuracy_chart, loss_chart
from .training.summary import TIME_TARGET, markdown, summarise

TRAINING_DTYPES = ("float32", "float64")
DEFAULT_OUT = "reports/runs/training"  # git ignores runs/; the committed copy is made with --out reports/training


class TrainingUsageError(ValueError):
    """A bad argument of ``train`` or ``parity``: the message names it."""


def _loaded(names: list[str] | None, dtypes: tuple[str, ...]) -> list[LoadedBackend]:
    """The named backends (default: numpy, the reference), each able to run one of ``dtypes``."""
    loaded = discover(names or ["numpy"])
    for lb in loaded:
        if not lb.ok:
            raise TrainingUsageError(f"--backend: {lb.name} cannot run here: {lb.reason}")
        if not set(dtypes) & set(lb.backend.dtypes):
            raise TrainingUsageError(f"--dtype: {lb.name} runs {', '.join(lb.backend.dtypes)}, not {', '.join(dtypes)}")
    return loaded


def cmd_train(args: argparse.Namespace) -> int:
    seeds = list(range(args.seeds)) if args.seeds else (args.seed or [0])
    loaded = _loaded(args.backend, (args.dtype,))
    data = datasets.load(args.data)
    optimizer = OptimizerConfig(args.optimizer, lr=args.lr)
    target = TIME_TARGET[args.data]
    env = environment(args.numerics)  # the commit the runs start from
    histories = []
    with pinned_threads([lb.backend for lb in loaded]) as threads:
        for lb in loaded:
            for seed in seeds:
                config = RunConfig(
                    Architecture(), optimizer, args.epochs, args.batch_size, seed, target_accuracy=target
                )
                try:
                    history, _ = train(lb.backend, args.dtype, data, config, progress=True)
                except OpNotSupported as exc:
                    print(f"{lb.name}: not trained: {exc}", file=sys.stderr)
                    break
                histories.append(history)
                if history.diverged_at is not None:
                    print(f"{lb.name} seed {seed}: loss not finite at step {history.diverged_at}", file=sys.stderr)
    if not histories:
        raise TrainingUsageError("--backend: none of the backends could train (see above)")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    command = "cnnbench " + shlex.join(args.argv)
    env["threads"] = ", ".join(f"{k}={v}" for k, v in threads.items())
    versions = {lb.name: lb.backend.versions() for lb in loaded}
    summaries = summarise(histories)
    record = {"environment": env, "versions": versions, "command": command, "data": data.name,
              "summaries": [s.to_json() for s in summaries], "runs": [h.to_json() for h in histories]}  # fmt: skip
    title = f"{data.name}, {args.optimizer}, {args.dtype}, seeds {seeds[0]}..{seeds[-1]}"
    files = {
        "training.json": json.dumps(finite_json(record), indent=1).encode(),
        "training.md": markdown(summaries, data.name, target, env, command).encode(),
        "loss.png": loss_chart(histories, title),
        "accuracy.png": accuracy_chart(histories, title),
    }
    for name, content in files.items():
        replace_atomically(out / name, content)
    for s in summaries:
        print(f"{s.backend} {s.dtype} {s.optimizer}: test accuracy {s.accuracy_mean:.4f} ± {s.accuracy_std:.4f} "
              f"over {len(s.seeds)} seeds")  # fmt: skip
    print(f"wrote {', '.join(files)} in {out}")
    return 1 if any(h.diverged_at is not None for h in histories) else 0


def cmd_parity(args: argparse.Namespace) -> int:
    dtypes = tuple(args.dtype or TRAINING_DTYPES)
    loaded = _loaded(args.backend, dtypes)
    references = parity.References(datasets.load(args.data), RunConfig(), args.steps)
    failed = False
    with pinned_threads([lb.backend for lb in loaded]):
        for lb in loaded:
            for dtype in dtypes:
                if dtype not in lb.backend.dtypes:
                    print(f"{lb.name} {dtype}: not run (the backend runs {', '.join(lb.backend.dtypes)})")
                    continue
                try:
                    result = references.parity(lb.backend, dtype)
                except OpNotSupported as exc:
                    print(f"{lb.name} {dtype}: not run: {exc}")
                    continue
                print(parity.describe(result, references.locate(result, lb.backend)), flush=True)
                failed |= not result.ok
    return 1 if failed else 0


def _seed(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text}")
    return value


def add_parsers(sub: argparse._SubParsersAction, backend_help: str, positive_int, positive_float) -> None:
    tr = sub.add_parser("train", help="train the small CNN with backends' ops; curves and a summary over seeds")
    tr.add_argument("--backend", action="append", help=backend_help.replace("every known backend", "numpy"))
    tr.add_argument("--optimizer", choices=sorted(PRESETS), default="momentum", help="(%(default)s)")
    tr.add_argument("--lr", type=positive_float, help="learning rate (default: the optimizer's preset)")
    tr.add_argument("--dtype", choices=TRAINING_DTYPES, default="float32", help="(%(default)s)")
    tr.add_argument("--epochs", type=positive_int, default=30, help="(%(default)s)")
    tr.add_argument("--batch-size", type=positive_int, default=32, help="(%(default)s)")
    seeds = tr.add_mutually_exclusive_group()
    seeds.add_argument("--seed", type=_seed, action="append", help="a seed; repeat for several (default 0)")
    seeds.add_argument("--seeds", type=positive_int, help="seeds 0 .. N-1")
    tr.add_argument("--data", choices=("digits", "synthetic"), default="digits", help="(%(default)s)")
    tr.add_argument("--out", default=DEFAULT_OUT, help="directory for the results (%(default)s)")
    tr.set_defaults(func=cmd_train)

    pa = sub.add_parser("parity", help="step-by-step training parity of backends with the reference")
    pa.add_argument("--backend", action="append", help=backend_help.replace("every known backend", "numpy"))
    pa.add_argument("--dtype", action="append", choices=TRAINING_DTYPES, help="(default: both)")
    pa.add_argument("--steps", type=positive_int, default=200, help="(%(default)s)")
    pa.add_argument("--data", choices=("synthetic", "digits"), default="synthetic", help="(%(default)s)")
    pa.set_defaults(func=cmd_parity)
