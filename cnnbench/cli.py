"""Command line: ``cnnbench list | run | check | report | bench | train | parity | experiments``.

cnnbench list [--json] [--backend B ...]   the catalog: ops x backends, forward and backward, in which dtypes
cnnbench run [--backend B ...] [--op O ...] [--dtype D ...] [--out DIR | --resume RUN_DIR]
             [--timeout S] [-j N] [--strict]
                                           the conformance run, each backend in a process of its
                                           own; a new run directory under DIR (default reports/runs)
cnnbench check --backend B --op O (--case C | --case-file F) --dtype D [--direction forward|backward]
                                           one check, the reproducer printed by every failure
cnnbench report [--from RUN] [--out DIR] [--force]
                                           rebuild the reports from a stored (or interrupted) run
                                           (and its speed report, when it has been benched)
cnnbench bench [--backend B ...] [--op O ...] [--dtype D ...] [--direction D ...] [--size small|standard]
               [--rounds N] [--run RUN_DIR | --out DIR] [--timeout S]
                                           time every backend x op x direction x dtype of the workload
                                           table, interleaved; speed.{json,md,html}, plots and report.html
                                           (with the conformance half) in the latest run directory
cnnbench train [--backend B ...] [--optimizer O] [--dtype D] [--epochs N] [--seed S ... | --seeds N] [--out DIR]
                                           train the small CNN with backends' own ops (cnnbench.train_command)
cnnbench parity [--backend B ...] [--dtype D ...] [--steps N]
                                           step-by-step training parity with the reference, and where it breaks
cnnbench experiments [--fast] [--only NAME ...] [--backend B] [--seeds N] [--out DIR]
                                           the notes' claims as seeded experiments (cnnbench.experiments.command)
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from cnnbench.backends.base import Backend
from cnnbench.backends.registry import LoadedBackend, discover, known_specs, load, plugin_clashes
from cnnbench.reference.catalog import CATALOG, OPS
from cnnbench.reference.workloads import SIZES

from . import report, speed_report
from .bench import TIMED_DIRECTIONS, run_bench
from .case_file import load_case
from .conformance import DIRECTIONS, check, directions
from .experiments.command import add_parser as add_experiments_parser
from .numerics import pinned_numerics
from .results_file import SCHEMA, ResultsFile, read_records
from .run_directory import (
    RESULTS,
    RunDirectoryError,
    existing_run_directory,
    load_run,
    new_run_directory,
    point_latest,
)
from .runner import BackendClash, Run, environment, result_key, run_conformance
from .timing import ROUNDS
from .tolerance import DTYPES
from .train_command import TrainingUsageError, add_parsers
from .worker import DEFAULT_TIMEOUT

DEFAULT_OUT = Path("reports/runs")


def _refuse_plugin_clashes() -> None:
    """An installed entry point that takes a built-in's name is a usage error, in every command."""
    if clashes := plugin_clashes():
        raise UsageError("; ".join(clashes))


def _backends(names: Sequence[str] | None) -> list[LoadedBackend]:
    _refuse_plugin_clashes()
    loaded = discover(names)
    for lb in loaded:
        if not lb.ok:
            print(f"backend {lb.name}: {lb.reason}", file=sys.stderr)
    return loaded


def _runs_in(backend: Backend, name: str) -> list[str]:
    """The dtypes ``backend`` runs op ``name`` (or ``<op>_backward``) in; none when it lacks it."""
    return list(backend.dtypes_of(name)) if backend.implements(name) else []


def _mark(dtypes: list[str] | None, every: Sequence[str]) -> str:
    """A ``list`` cell: yes (in every dtype the backend runs), the dtypes, - (not implemented), n/a (no backward)."""
    if dtypes is None:
        return "n/a"
    if not dtypes:
        return "-"
    return "yes" if set(dtypes) == set(every) else ",".join(dtypes)


def cmd_list(args: argparse.Namespace) -> int:
    loaded = [lb for lb in _backends(args.backend) if lb.ok]
    rows = []
    for op in OPS:
        forward = {lb.name: _runs_in(lb.backend, op.name) for lb in loaded}
        has_backward = "backward" in directions(op)
        backward = {lb.name: _runs_in(lb.backend, f"{op.name}_backward") for lb in loaded} if has_backward else None
        rows.append(
            {
                "name": op.name,
                "family": op.family,
                "kind": op.kind,
                "differentiable": op.differentiable,
                "conventions": list(op.conventions),
                "backends": [name for name, dtypes in forward.items() if dtypes],
                "forward": forward,
                "backward": backward,
            }
        )
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    table = [
        ["op", "family", *(heading for lb in loaded for heading in (lb.name, ""))],
        ["", "", *(DIRECTIONS * len(loaded))],
    ]
    for row in rows:
        marks = (
            _mark(None if row[d] is None else row[d][lb.name], lb.backend.dtypes) for lb in loaded for d in DIRECTIONS
        )
        table.append([row["name"], row["family"], *marks])
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    for line in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())
    every = "; ".join(f"{lb.name}: {', '.join(lb.backend.dtypes)}" for lb in loaded)
    print(f"\nyes: in every dtype the backend runs ({every}); -: not implemented; n/a: the op has no backward")
    return 0


class UsageError(Exception):
    """Bad command-line input: printed as one line, exit status 2."""


def _selectors(names: Sequence[str] | None) -> list[str]:
    """The backends to run: those named (checked to be known or module:attr), else every known one."""
    specs = known_specs()
    _refuse_plugin_clashes()
    if not names:
        return list(specs)
    unknown = [n for n in names if n not in specs and ":" not in n]
    if unknown:
        named = ", ".join(f"unknown backend {n!r}" for n in unknown)
        raise UsageError(f"--backend: {named}; known: {', '.join(specs)}")
    return list(dict.fromkeys(names))


def _resumed(path: str) -> tuple[Path, dict, dict]:
    """An interrupted run's directory, its recorded selection, and its results by key."""
    directory = existing_run_directory(path, "--resume")
    records = read_records(directory / RESULTS)
    selection = records[0].get("selection")
    if not selection:
        raise ValueError(f"--resume: {path} records no selection to continue")
    return directory, selection, {result_key(r): r for r in Run.from_records(records).results}


def cmd_run(args: argparse.Namespace) -> int:
    try:
        if args.resume:
            if args.backend or args.op or args.dtype:
                raise UsageError("--resume continues the run's own selection: give no --backend, --op or --dtype")
            directory, selection, done = _resumed(args.resume)
        else:
            selection = {"backends": _selectors(args.backend), "ops": args.op or [], "dtypes": args.dtype or []}
            directory, done = new_run_directory(args.out), {}
    except (RunDirectoryError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(str(exc)) from None
    ops = [CATALOG[name] for name in selection["ops"]] or OPS
    env = environment(args.numerics)
    results = ResultsFile(directory / RESULTS)
    if not args.resume:
        results.append("run", {"schema": SCHEMA, "environment": env, "selection": selection})
    try:
        run = run_conformance(
            selection["backends"], ops, selection["dtypes"] or DTYPES, env,
            timeout=args.timeout, jobs=args.jobs, record=results.append, done=done, progress=True,
        )  # fmt: skip
    except BackendClash as exc:
        if not args.resume:
            shutil.rmtree(directory)  # nothing ran: leave no empty run behind
        raise UsageError(f"--backend: {exc}") from None
    paths = report.write(run, directory)
    point_latest(directory)
    counts = {s: sum(r.status == s for r in run.results) for s in ("pass", "fail", "error", "not implemented")}
    print(f"{len(run.results)} checks: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    for b in run.backends:
        if not b["ok"]:
            print(f"backend {b['name']}: {b['reason']}", file=sys.stderr)
    print("wrote " + ", ".join(str(p) for p in paths))
    if "interrupted" in run.environment:
        print(f"interrupted; continue with: cnnbench run --resume {directory}", file=sys.stderr)
        return 130
    not_loaded = args.backend is not None and any(not b["ok"] for b in run.backends)
    if not run.results:
        print("no check ran", file=sys.stderr)
    problems = counts["fail"] or counts["error"] or run.convention_failures() or not_loaded or not run.results
    return 1 if args.strict and problems else 0


def cmd_check(args: argparse.Namespace) -> int:
    _refuse_plugin_clashes()
    lb = load(args.backend)
    if not lb.ok:
        print(f"backend {args.backend}: {lb.reason}", file=sys.stderr)
        return 2
    op = CATALOG[args.op]
    if args.direction not in directions(op):
        raise UsageError(f"--direction: {op.name} is checked forward only (it has no backward)")
    if args.case_file:
        try:
            saved_op, case = load_case(args.case_file)
        except ValueError as exc:
            print(exc, file=sys.stderr)
            return 2
        if saved_op != op.name:
            print(f"--op: {op.name}, but {args.case_file} holds a case of {saved_op}", file=sys.stderr)
            return 2
    else:
        cases = {c.name: c for c in op.cases()}
        if args.case not in cases:
            print(f"case: unknown case {args.case!r} of {op.name}; known: {', '.join(cases)}", file=sys.stderr)
            return 2
        case = cases[args.case]
    result = check(lb.backend, op, case, args.dtype, args.direction, args.backend)
    if args.case_file:
        result = dataclasses.replace(result, case_file=args.case_file)
    print(result.describe())
    return 0 if result.passed else 1


def cmd_report(args: argparse.Namespace) -> int:
    try:
        run = load_run(args.source)
    except RunDirectoryError as exc:
        raise UsageError(str(exc)) from None
    if args.out is not None and not args.out.strip():
        raise UsageError("--out: expected a directory, got an empty path")
    source = Path(args.source)
    run_directory = source.parent if source.is_file() else source
    out = Path(args.out) if args.out is not None else run_directory
    if (out / "conformance.md").exists() and out.resolve() != run_directory.resolve() and not args.force:
        raise UsageError(f"--out: {out} already holds a report; add --force to replace it")
    speed_file = run_directory / "speed.json"
    try:
        speed = speed_report.read(speed_file) if speed_file.is_file() else None
    except ValueError as exc:
        raise UsageError(f"--from: {exc}") from None
    try:
        paths = report.write(run, out)
        if speed is not None:  # the run has been benched: its speed half and report.html too
            paths += speed_report.write(speed, out, run)
    except OSError as exc:
        raise UsageError(f"--out: cannot write {out}: {exc.strerror or exc}") from None
    print("wrote " + ", ".join(str(p) for p in paths))
    return 0


def _bench_directory(args: argparse.Namespace) -> tuple[Path, bool]:
    """Where ``bench`` writes, checked before anything is timed, and whether it is a new run directory."""
    if args.out is not None:
        if not args.out.strip():
            raise UsageError("--out: expected a directory, got an empty path")
        out = Path(args.out)
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"--out: cannot write {out}: {exc.strerror or exc}") from None
        return out, False
    try:
        if args.run is not None:
            return existing_run_directory(args.run, "--run"), False
        latest = DEFAULT_OUT / "latest"
        if (latest / RESULTS).is_file():
            return latest, False
        return new_run_directory(str(DEFAULT_OUT)), True
    except RunDirectoryError as exc:
        raise UsageError(str(exc)) from None


def cmd_bench(args: argparse.Namespace) -> int:
    selectors = _selectors(args.backend)
    directory, new = _bench_directory(args)
    try:
        conformance = load_run(str(directory)) if (directory / "conformance.json").is_file() else None
    except RunDirectoryError as exc:
        raise UsageError(str(exc).replace("--from", "--out" if args.out else "--run", 1)) from None
    try:
        speed = run_bench(
            selectors, args.op or list(CATALOG), args.dtype or DTYPES, args.direction or TIMED_DIRECTIONS,
            args.size, args.rounds, environment(args.numerics), timeout=args.timeout, progress=True,
        )  # fmt: skip
    except BackendClash as exc:
        raise UsageError(f"--backend: {exc}") from None
    paths = speed_report.write(speed, directory, conformance)
    if new:
        point_latest(directory)
    counts = {s: sum(r["status"] == s for r in speed.rows) for s in ("timed", "not implemented", "not timed", "error")}
    print(f"{len(speed.rows)} rows: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    for b in speed.backends:
        if not b["ok"]:
            print(f"backend {b['name']}: {b['reason']}", file=sys.stderr)
    if conformance is None:
        print(f"no conformance run in {directory}: the accuracy-against-speed figure is left out", file=sys.stderr)
    print(f"wrote {', '.join(p.name for p in paths)} in {directory}")
    return 130 if "interrupted" in speed.environment else 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="cnnbench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = p.add_subparsers(dest="command", required=True)
    backend_help = "backend name or package.module:attr; repeat for several (default: every known backend)"

    ls = sub.add_parser("list", help="the catalog of ops and which backends implement them")
    ls.add_argument("--json", action="store_true", help="a JSON array, one object per op")
    ls.add_argument("--backend", action="append", help=backend_help)
    ls.set_defaults(func=cmd_list)

    rn = sub.add_parser("run", help="conformance run over the backends; writes the reports")
    rn.add_argument("--backend", action="append", help=backend_help)
    rn.add_argument("--op", action="append", choices=sorted(CATALOG), metavar="OP", help="restrict to these ops")
    rn.add_argument("--dtype", action="append", choices=DTYPES, help="restrict to these dtypes")
    where = rn.add_mutually_exclusive_group()
    where.add_argument("--out", default=str(DEFAULT_OUT), help="runs go in a new directory under it (and OUT/latest)")
    where.add_argument("--resume", metavar="RUN_DIR", help="continue an interrupted run, with its own selection")
    rn.add_argument("--timeout", type=_positive_float, default=DEFAULT_TIMEOUT, help="seconds per check (%(default)s)")
    rn.add_argument(
        "-j", "--jobs", type=_positive_int, default=os.cpu_count() or 1, help="backends run at once (%(default)s)"
    )
    rn.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 when a check fails or errs, a named backend does not load, or nothing was checked",
    )
    rn.set_defaults(func=cmd_run)

    ck = sub.add_parser("check", help="run one check (the reproducer of a failure)")
    ck.add_argument("--backend", required=True)
    ck.add_argument("--op", required=True, choices=sorted(CATALOG), metavar="OP")
    which = ck.add_mutually_exclusive_group(required=True)
    which.add_argument("--case", help="a catalog case of the op")
    which.add_argument("--case-file", help="a case saved by a failing generated test (.cnnbench/cases/*.npz)")
    ck.add_argument("--dtype", required=True, choices=DTYPES)
    ck.add_argument("--direction", default="forward", choices=DIRECTIONS)
    ck.set_defaults(func=cmd_check)

    rp = sub.add_parser("report", help="rebuild the Markdown and HTML report from stored JSON results")
    rp.add_argument(
        "--from", dest="source", default=str(DEFAULT_OUT / "latest"), help="a run directory or conformance.json"
    )
    rp.add_argument("--out", help="directory for the reports (default: the run's own directory)")
    rp.add_argument("--force", action="store_true", help="replace the reports already in --out")
    rp.set_defaults(func=cmd_report)

    bn = sub.add_parser("bench", help="time every backend x op x direction x dtype; the speed report")
    bn.add_argument("--backend", action="append", help=backend_help)
    bn.add_argument("--op", action="append", choices=sorted(CATALOG), metavar="OP", help="restrict to these ops")
    bn.add_argument("--dtype", action="append", choices=DTYPES, help="restrict to these dtypes")
    bn.add_argument("--direction", action="append", choices=TIMED_DIRECTIONS, help="restrict to these directions")
    bn.add_argument(
        "--size", choices=SIZES, default="standard", help="workload size (%(default)s; interpreters run small only)"
    )
    bn.add_argument("--rounds", type=_positive_int, default=ROUNDS, help="samples each, round-robin (%(default)s)")
    into = bn.add_mutually_exclusive_group()
    into.add_argument("--run", metavar="RUN_DIR", help="write into this run directory (default: reports/runs/latest)")
    into.add_argument("--out", help="write into this directory instead of a run directory")
    bn.add_argument("--timeout", type=_positive_float, default=DEFAULT_TIMEOUT, help="seconds per call (%(default)s)")
    bn.set_defaults(func=cmd_bench)
    add_parsers(sub, backend_help, _positive_int, _positive_float)
    add_experiments_parser(sub)
    return p


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text}")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # recorded by the commands that write reports
    with pinned_numerics() as args.numerics:  # before any backend loads; recorded by `run`
        try:
            return args.func(args)
        except (UsageError, TrainingUsageError) as exc:
            print(f"cnnbench {args.command}: {exc}", file=sys.stderr)
            return 2


if __name__ == "__main__":
    sys.exit(main())
