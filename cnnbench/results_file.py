"""A run on disk as it happens: JSON Lines, one record per line, appended and flushed.

    {"kind": "run", "schema": 1, "environment": {...}, "selection": {...}}    first line
    {"kind": "result", ...Result fields...}                 one per check, as it finishes
    {"kind": "backend", ...describe + conventions...}       one per backend, when it is done

Every line is strict JSON: a non-finite float is written as the string "inf", "-inf"
or "nan" and read back as the float. An interrupted run leaves whole lines (and at
worst one torn last line, which reading ignores): ``Run.from_records`` rebuilds the run from
them and ``cnnbench run --resume`` continues it. (A backend is recorded when it loads
and again when it is done; readers keep the last.)
"""

from __future__ import annotations

import json
import math
import os
import threading
from dataclasses import fields
from pathlib import Path
from typing import Any

from .conformance import Result

SCHEMA = 1
FLOAT_FIELDS = ("error", "sharpness", "ratio")


def finite_json(value: Any) -> Any:
    """``value`` with every non-finite float replaced by its name ("inf", "-inf", "nan")."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: finite_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_json(v) for v in value]
    return value


def dumps(value: Any, **kwargs: Any) -> str:
    """Strict JSON (no NaN or Infinity tokens)."""
    return json.dumps(finite_json(value), allow_nan=False, ensure_ascii=False, **kwargs)


def result_from_json(data: dict) -> Result:
    known = {f.name for f in fields(Result)}
    values = {k: v for k, v in data.items() if k in known}
    for name in FLOAT_FIELDS:
        if isinstance(values.get(name), str):
            values[name] = float(values[name])
    return Result(**values)


class ResultsFile:
    """Appends records to ``path``, one line each, flushed as written; safe across threads.
    A torn last line left by an interrupted write is cut off first, so appending goes on
    from the last whole record."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        data = path.read_bytes() if path.exists() else b""
        if data and not data.endswith(b"\n"):
            os.truncate(path, data.rfind(b"\n") + 1)

    def append(self, kind: str, record: dict) -> None:
        line = dumps({"kind": kind, **record}) + "\n"
        with self._lock, self.path.open("a", encoding="utf-8") as f:
            f.write(line)
            f.flush()


def read_records(path: Path) -> list[dict]:
    """Every whole record of a results file; a torn last line (an interrupted write) is dropped.
    Raises ValueError naming the file when it is not a cnnbench results file of this schema."""
    lines = path.read_text(encoding="utf-8").removesuffix("\n").split("\n")  # records may hold U+2028
    records = []
    for number, line in enumerate(lines, 1):
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            if number == len(lines):
                break
            raise ValueError(f"{path}: line {number} is not JSON") from None
    head = records[0] if records else {}
    if head.get("kind") != "run" or head.get("schema") != SCHEMA:
        raise ValueError(f"{path}: not a cnnbench results file of schema {SCHEMA} (first line {str(head)[:80]!r})")
    return records
