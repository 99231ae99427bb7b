"""Where runs live: one directory per run, never overwritten.

    <out>/<YYYYmmdd-HHMMSS>[-n]/results.jsonl     streamed while the run goes on
    <out>/<YYYYmmdd-HHMMSS>[-n]/conformance.{json,md,html}   written (atomically) at its end
    <out>/latest -> <the newest run>

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
    """A fresh run directory under ``out`` (created), with ``out/latest`` pointing at it."""
    if not out.strip():
        raise RunDirectoryError("--out: expected a directory, got an empty path")
    root = Path(out)
    try:
        root.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d-%H%M%S")
        for n in range(1000):
            run = root / (stamp if n == 0 else f"{stamp}-{n}")
            try:
                run.mkdir()
                break
            except FileExistsError:
                continue
        (run / RESULTS).touch()
    except OSError as exc:
        raise RunDirectoryError(f"--out: cannot write runs under {root}: {exc.strerror or exc}") from None
    latest = root / "latest"
    temporary = root / f".latest-{os.getpid()}"
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(run.name, target_is_directory=True)
    os.replace(temporary, latest)
    return run


def existing_run_directory(path: str, argument: str) -> Path:
    """A run directory (or its results.jsonl) given to ``argument``, checked to hold a run."""
    given = Path(path)
    directory = given.parent if given.name == RESULTS else given
    if not (directory / RESULTS).is_file():
        raise RunDirectoryError(f"{argument}: {path} is not a run directory (no {RESULTS} in it)")
    return directory


def load_run(path: str) -> Run:
    """A stored run: a run directory, its results.jsonl, or a conformance.json."""
    given = Path(path)
    try:
        if given.suffix == ".json":
            return Run.from_json(json.loads(given.read_text(encoding="utf-8")))
        return Run.from_records(read_records(existing_run_directory(path, "--from") / RESULTS))
    except OSError as exc:
        raise RunDirectoryError(f"--from: cannot read {path}: {exc.strerror or exc}") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise RunDirectoryError(f"--from: {path} does not hold a cnnbench run: {exc}") from None
