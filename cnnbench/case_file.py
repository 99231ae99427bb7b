"""A case saved to a file with its exact values, so that a failing generated case replays.

    path = save_case(case, op_name)      # .cnnbench/cases/<op>-<digest>.npz
    case = load_case(path)               # cnnbench check --case-file PATH ...

The ``.npz`` holds every array bit for bit (``input_<i>``, ``param_<name>``) and a
JSON ``meta`` entry with the op's name, the case's name, reduction, smoothness,
dtypes and its non-array params (JSON keeps floats exactly; lists come back as tuples).
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

import numpy as np

from cnnbench.reference.cases import Case

from .atomic import replace_atomically

CASE_DIR = Path(".cnnbench") / "cases"


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def _tuples(value: Any) -> Any:
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def case_bytes(case: Case, op: str) -> bytes:
    """The ``.npz`` file's contents for ``case`` of ``op``."""
    arrays = {f"input_{i}": np.asarray(x) for i, x in enumerate(case.inputs)}
    arrays |= {f"param_{k}": v for k, v in case.params.items() if isinstance(v, np.ndarray)}
    meta = {
        "op": op,
        "name": case.name,
        "inputs": len(case.inputs),
        "params": {k: _plain(v) for k, v in case.params.items() if not isinstance(v, np.ndarray)},
        "reduction": case.reduction,
        "smooth": case.smooth,
        "dtypes": case.dtypes,
    }
    buffer = io.BytesIO()
    np.savez(buffer, meta=np.array(json.dumps(meta, sort_keys=True)), **arrays)
    return buffer.getvalue()


def save_case(case: Case, op: str, directory: Path = CASE_DIR) -> Path:
    """Write ``case`` to ``directory/<op>-<digest>.npz`` (same case, same file); return the path."""
    data = case_bytes(case, op)
    path = Path(directory) / f"{op}-{hashlib.sha256(data).hexdigest()[:12]}.npz"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        replace_atomically(path, data)
    return path


def load_case(path: str | Path) -> tuple[str, Case]:
    """(op name, case) from a file written by ``save_case``; ValueError naming the file if it is not one."""
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            inputs = tuple(data[f"input_{i}"] for i in range(meta["inputs"]))
            arrays = {k.removeprefix("param_"): data[k] for k in data.files if k.startswith("param_")}
    except (OSError, KeyError, ValueError) as exc:
        raise ValueError(f"case file: {path} is not a case written by cnnbench ({exc})") from exc
    params = {k: _tuples(v) for k, v in meta["params"].items()} | arrays
    dtypes = tuple(meta["dtypes"]) if meta["dtypes"] is not None else None
    case = Case(meta["name"], inputs, params, meta["reduction"], meta["smooth"], dtypes)
    return meta["op"], case
