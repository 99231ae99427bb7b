"""The conformance run: every selected backend x op x case x dtype x direction, and
each backend's declared conventions observed on the selected ops."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import platform
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field

from cnnbench.backends.registry import LoadedBackend
from cnnbench.reference.catalog import CATALOG, OPS, Op
from cnnbench.reference.conventions import validate

from .conformance import Result, check, directions
from .crosscheck import reference_suspect
from .observe import observe_all
from .tolerance import DTYPES


@dataclass
class Run:
    """Everything a report needs: results, backends (with load failures), environment."""

    results: list[Result]
    backends: list[dict]  # name, spec, ok, reason, dtypes, conventions, versions
    environment: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {
            "environment": self.environment,
            "backends": self.backends,
            "results": [asdict(r) for r in self.results],
        }

    @classmethod
    def from_json(cls, data: dict) -> Run:
        return cls([Result(**r) for r in data["results"]], data["backends"], data["environment"])

    def convention_failures(self) -> list[str]:
        """One message per (backend, convention) observed but not confirmed: the declared
        choice is not the one, and the only one, the backend's behaviour matches. Each names,
        for every choice ruled out, the op, case, direction and values that ruled it out."""
        failures = []
        for b in self.backends:
            for name, seen in (b.get("conventions") or {}).items():
                if seen["checked"] and seen["observed"] != [seen["declared"]]:
                    behaves = ", ".join(seen["observed"]) or "no choice"
                    lines = [f"{b['name']} declares {name}={seen['declared']!r} but behaves as {behaves}"]
                    lines += [f"  {c} ruled out by {why}" for c, why in seen.get("ruled_out", {}).items()]
                    failures.append("\n".join(lines))
        return failures


def environment(numerics: Mapping[str, str]) -> dict[str, str]:
    """Date, machine, Python, commit, and the pinned numeric settings (``cnnbench.numerics``)."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores",
        "python": platform.python_version(),
        "commit": commit or "unknown",
        "numerics": ", ".join(f"{k}={v}" for k, v in numerics.items()) or "not pinned",
    }


def describe_backend(loaded: LoadedBackend, ops: Iterable[Op] = OPS) -> dict:
    """Name, versions, dtypes, and per convention the declared and the observed choices, with
    the evidence against each choice ruled out. Only the conventions ``ops`` sit on are
    observed (on those ops); the others are listed as declared, unchecked."""
    b = loaded.backend
    info = {"name": loaded.name, "spec": loaded.spec, "ok": loaded.ok, "reason": loaded.reason}
    if b is not None:
        declared = validate(dict(b.conventions), b.name)
        conventions = {
            name: {"declared": choice, "observed": [], "checked": False} for name, choice in declared.items()
        }
        for name, o in observe_all(b, ops).items():
            ruled_out = {choice: e.describe() for choice, e in o.ruled_out.items()}
            conventions[name] = {
                "declared": o.declared,
                "observed": list(o.matching),
                "checked": o.checked,
                "ruled_out": ruled_out,
            }
        info.update(dtypes=list(b.dtypes), versions=b.versions(), conventions=conventions)
    return info


def run_conformance(
    loaded: Iterable[LoadedBackend],
    ops: Iterable[Op] = OPS,
    dtypes: Iterable[str] = DTYPES,
    numerics: Mapping[str, str] | None = None,
) -> Run:
    """Every check of ``ops`` in ``dtypes`` on each loaded backend; ``numerics`` are the settings
    ``pinned_numerics`` yielded, for the report."""
    loaded, ops, dtypes = list(loaded), list(ops), list(dtypes)
    results = []
    for lb in loaded:
        if lb.backend is None:
            continue
        for op in ops:
            for case in op.cases():
                for dtype in dtypes:
                    if dtype not in lb.backend.dtypes:
                        continue
                    results += [check(lb.backend, op, case, dtype, d, lb.selector) for d in directions(op)]
    return Run(
        _with_suspects(results, loaded), [describe_backend(lb, ops) for lb in loaded], environment(numerics or {})
    )


def _with_suspects(results: list[Result], loaded: list[LoadedBackend]) -> list[Result]:
    """Append the three-way cross-check's verdict to each failure where it suspects the reference."""
    backends = {lb.name: lb.backend for lb in loaded if lb.ok}
    out = []
    for r in results:
        if r.status == "fail":
            op = CATALOG[r.op]
            case = next((c for c in op.cases() if c.name == r.case), None)
            suspect = case and reference_suspect(backends[r.backend], backends.values(), op, case, r.dtype, r.direction)
            r = dataclasses.replace(r, detail=f"{r.detail}\n{suspect}") if suspect else r
        out.append(r)
    return out
