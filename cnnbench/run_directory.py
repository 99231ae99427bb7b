"""Where runs live: one directory per run, never overwritten.

    <out>/<YYYYmmdd-HHMMSS>[-n]/results.jsonl     streamed while the run goes on
    <out>/<YYYYmmdd-HHMMSS>[-n]/conformance.{json,md,html}   written (atomically) at its end
    <out>/latest -> the newest run that has written its reports

``--out`` is checked (a directory that can be written) before any backend loads.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from .results_file import read_records
from .runner import Run

RESULTS = "results.jsonl"


class RunDirectoryError(ValueError):
    """A bad --out, --resume or --from: the message names the argument and the path."""


def new_run_directory(out: str) -> Path:
    """A fresh run directory under ``out`` (created, with an empty results file)."""
    if not out.strip():
        raise RunDirectoryError("--out: expected a directory, got an empty path")
    root = Path(out)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d-%H%M%S")
    try:
        root.mkdir(parents=True, exist_ok=True)
        for n in range(100):
            run = root / (stamp if n == 0 else f"{stamp}-{n}")
            try:
                run.mkdir()
                break
            except FileExistsError:
                continue
        else:
            raise RunDirectoryError(f"--out: {root} already holds 100 runs started at {stamp}")
        (run / RESULTS).touch()
    except OSError as exc:
        raise RunDirectoryError(f"--out: cannot write runs under {root}: {exc.strerror or exc}") from None
    return run


def point_latest(run: Path) -> None:
    """Point ``<out>/latest`` at ``run``, replacing the link atomically (skipped where links cannot be made)."""
    run = run.resolve()  # a resumed run may be given as .../latest itself
    temporary = run.parent / f".latest-{os.getpid()}"
    try:
        temporary.unlink(missing_ok=True)
        temporary.symlink_to(run.name, target_is_directory=True)
        os.replace(temporary, run.parent / "latest")
    except OSError:
        temporary.unlink(missing_ok=True)


def existing_run_directory(path: str, argument: str) -> Path:
    """A run directory (or its results.jsonl) given to ``argument``, checked to hold a run."""
    given = Path(path)
    directory = given.parent if given.name == RESULTS else given
    if not (directory / RESULTS).is_file():
        raise RunDirectoryError(f"{argument}: {path} is not a run directory (no {RESULTS} in it)")
    return directory


def load_run(path: str) -> Run:
    """A stored run: a conformance.json, a run directory (its conformance.json when the run
    finished, which carries the cross-check's verdicts, else its results.jsonl), or a results.jsonl."""
    given = Path(path)
    if given.is_dir() and (given / "conformance.json").is_file():
        given = given / "conformance.json"
    try:
        if given.suffix == ".json":
            return Run.from_json(json.loads(given.read_text(encoding="utf-8")))
        return Run.from_records(read_records(existing_run_directory(path, "--from") / RESULTS))
    except OSError as exc:
        raise RunDirectoryError(f"--from: cannot read {path}: {exc.strerror or exc}") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise RunDirectoryError(f"--from: {path} does not hold a cnnbench run: {exc}") from None
