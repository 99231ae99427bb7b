"""The conformance run: every selected backend x op x case x dtype x direction, and
each backend's declared conventions observed on the selected ops.

Each backend named by a selector runs in a worker process of its own (``cnnbench.worker``),
``jobs`` backends at a time; a check that crashes or hangs its worker is an ``error``
result and the run goes on. Results stream to a ``ResultsFile`` as they finish, and the
run is assembled in a fixed order, so a parallel run equals a serial one."""

from __future__ import annotations

import concurrent.futures
import dataclasses
import datetime as dt
import functools
import os
import platform
import subprocess
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from cnnbench import __version__
from cnnbench.backends.registry import LoadedBackend
from cnnbench.reference.cases import Case
from cnnbench.reference.catalog import CATALOG, OPS, Op

from .conformance import Result, directions, reference_for_conventions
from .crosscheck import cross_check
from .observe import conventions_of
from .results_file import SCHEMA, finite_json, result_from_json
from .tasks import check_one, describe, observe_one, own_outputs, peer_outputs
from .tolerance import DTYPES
from .worker import DEFAULT_TIMEOUT, LOAD_TIMEOUT, InProcess, Isolated, TaskFailed

PACKAGE_DIR = Path(__file__).resolve().parent
OBSERVE_TIMEOUT_FACTOR = 10  # observing a convention runs up to a few dozen checks in one call
Key = tuple[str, str, str, str, str]  # backend, op, case, dtype, direction


@dataclass
class Run:
    """Everything a report needs: results, backends (with load failures), environment."""

    results: list[Result]
    backends: list[dict]  # name, spec, ok, reason, dtypes, conventions, versions
    environment: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict:
        """Strict-JSON-ready: non-finite floats as "inf", "-inf", "nan" (``results_file``)."""
        return finite_json(
            {
                "schema": SCHEMA,
                "environment": self.environment,
                "backends": self.backends,
                "results": [dataclasses.asdict(r) for r in self.results],
            }
        )

    @classmethod
    def from_json(cls, data: dict) -> Run:
        """Raises ValueError when ``data`` is not a stored run of this schema."""
        if not isinstance(data, dict) or data.get("schema") != SCHEMA:
            raise ValueError(f"not a cnnbench run of schema {SCHEMA}")
        return cls([result_from_json(r) for r in data["results"]], data["backends"], data["environment"])

    @classmethod
    def from_records(cls, records: list[dict]) -> Run:
        """The run in a results file (``results_file.read_records``): backends in the order
        they loaded, each as last recorded; results in the run's plan order for each backend."""
        latest: dict[str, dict] = {}  # a backend is recorded when it loads and again when it is done
        for r in records:
            if r["kind"] == "backend":
                latest[r["name"]] = {k: v for k, v in r.items() if k != "kind"}
        backends = list(latest.values())
        results = [result_from_json(r) for r in records if r["kind"] == "result"]
        order = {b["name"]: i for i, b in enumerate(backends)}
        results.sort(key=lambda r: order.get(r.backend, len(order)))  # stable: plan order within a backend
        return cls(results, backends, records[0]["environment"])

    def convention_failures(self) -> list[str]:
        """One message per (backend, convention) observed but not confirmed: the declared
        choice is not the one, and the only one, the backend's behaviour matches. Each names,
        for every choice ruled out, the op, case, direction and values that ruled it out."""
        failures = []
        for b in self.backends:
            for name, seen in (b.get("conventions") or {}).items():
                if "error" in seen:
                    failures.append(f"{b['name']} {name}: {seen['error']}")
                elif seen["checked"] and seen["observed"] != [seen["declared"]]:
                    behaves = ", ".join(seen["observed"]) or "no choice"
                    lines = [f"{b['name']} declares {name}={seen['declared']!r} but behaves as {behaves}"]
                    lines += [f"  {c} ruled out by {why}" for c, why in seen.get("ruled_out", {}).items()]
                    failures.append("\n".join(lines))
        return failures


def _git(*args: str) -> str:
    """git in cnnbench's own checkout (not the current directory's); "" when there is none."""
    try:
        done = subprocess.run(["git", *args], cwd=PACKAGE_DIR, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def environment(numerics: Mapping[str, str]) -> dict[str, str]:
    """Date, machine, Python, cnnbench's version and commit (with a dirty flag), and the pinned
    numeric settings (``cnnbench.numerics``)."""
    own_checkout = _git("rev-parse", "--show-toplevel") == str(PACKAGE_DIR.parent)  # not a project around a venv
    commit = _git("rev-parse", "--short", "HEAD") if own_checkout else ""
    if commit and _git("status", "--porcelain", "--untracked-files=no"):
        commit += " (dirty)"
    return {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores",
        "python": platform.python_version(),
        "cnnbench": __version__,
        "commit": commit or "unknown (not a git checkout)",
        "numerics": ", ".join(f"{k}={v}" for k, v in numerics.items()) or "not pinned",
    }


def result_key(r: Result) -> Key:
    return (r.backend, r.op, r.case, r.dtype, r.direction)


def worker_for(backend: LoadedBackend | str, timeout: float, load_timeout: float) -> InProcess | Isolated:
    """A selector's backend in a worker process of its own; a loaded backend in this process."""
    return InProcess(backend) if isinstance(backend, LoadedBackend) else Isolated(backend, timeout, load_timeout)


@dataclass
class _Plan:
    ops: list[Op]
    dtypes: list[str]
    done: Mapping[Key, Result]
    record: Callable[[str, dict], None]
    stop: threading.Event
    bar: tqdm

    def checks(self, info: dict) -> list[tuple[Op, Case, str, str]]:
        return [
            (op, case, dtype, direction)
            for op in self.ops
            for case in op.cases()
            for dtype in self.dtypes
            if dtype in info["dtypes"]
            for direction in directions(op)
        ]


class BackendClash(ValueError):
    """Two selected backends report the same name."""


def describe_in(worker: InProcess | Isolated, selector: str) -> dict:
    """``tasks.describe`` of the worker's backend; a backend that fails to load is described as not ok."""
    try:
        return worker.call(describe)
    except TaskFailed as exc:
        reason = f"failed to load: {exc}"
        return {"name": selector, "spec": selector, "selector": selector, "ok": False, "reason": reason}


def name_clashes(infos: Iterable[dict]) -> list[str]:
    """One message per name that two selected backends report, naming both sources."""
    first: dict[str, str] = {}
    clashes = []
    for info in infos:
        source = info["selector"] if info["selector"] == info["spec"] else f"{info['selector']} ({info['spec']})"
        if info["name"] in first:
            clashes.append(f"two backends are named {info['name']!r}: {first[info['name']]} and {source}")
        first.setdefault(info["name"], source)
    return clashes


def _run_backend(worker: InProcess | Isolated, info: dict, plan: _Plan, timeout: float) -> list[Result]:
    """One backend's checks, then its conventions observed (into ``info``), in plan order."""
    if not info["ok"]:
        return []
    results = []
    for op, case, dtype, direction in plan.checks(info):
        key = (info["name"], op.name, case.name, dtype, direction)
        if key in plan.done:
            results.append(plan.done[key])
            plan.bar.update()
            continue
        if plan.stop.is_set():
            return results
        plan.bar.set_postfix_str(f"{info['name']} {op.name}", refresh=False)
        try:
            result = worker.call(check_one, op.name, case, dtype, direction)
        except TaskFailed as exc:
            if plan.stop.is_set():
                return results  # the worker was stopped under this check: not its result
            result = Result(*key, "error", detail=str(exc), selector=info["selector"])
        plan.record("result", dataclasses.asdict(result))  # made strict JSON by the writer
        results.append(result)
        plan.bar.update()
    for convention in conventions_of(plan.ops):
        if plan.stop.is_set():
            return results
        sitting = [op.name for op in plan.ops if convention in op.conventions]
        try:
            seen = worker.call(observe_one, convention, sitting, timeout=OBSERVE_TIMEOUT_FACTOR * timeout)
        except TaskFailed as exc:
            if plan.stop.is_set():
                return results
            seen = {"error": f"observing {convention}: {exc}"}
        info["conventions"][convention] = info["conventions"][convention] | seen
    plan.record("backend", info)
    return results


def _with_suspects(results: list[Result], infos: dict[str, dict], workers: dict) -> list[Result]:
    """The three-way cross-check's verdict appended to each failure where it suspects the reference."""
    cases = {}
    out = []
    for r in results:
        if r.status == "fail":
            if r.op not in cases:
                cases[r.op] = {c.name: c for c in CATALOG[r.op].cases()}
            case = cases[r.op].get(r.case)
            verdict = case and _cross_check(r, case, infos, workers)
            r = dataclasses.replace(r, detail=f"{r.detail}\n{verdict}") if verdict else r
        out.append(r)
    return out


def _cross_check(r: Result, case: Case, infos: dict[str, dict], workers: dict) -> str:
    def through(worker: InProcess | Isolated, task: Callable, dy):
        try:
            return worker.call(task, r.op, case, r.dtype, r.direction, dy)
        except TaskFailed:
            return None

    declared = {name: seen["declared"] for name, seen in infos[r.backend]["conventions"].items()}
    peers = [
        (name, functools.partial(through, workers[name], peer_outputs))
        for name, info in infos.items()
        if name != r.backend and info["ok"] and not info.get("is_reference")
    ]
    ours = functools.partial(through, workers[r.backend], own_outputs)
    return cross_check(
        r.backend, ours, peers, reference_for_conventions(declared), CATALOG[r.op], case, r.dtype, r.direction
    )


def run_conformance(
    backends: Iterable[LoadedBackend | str],
    ops: Iterable[Op] = OPS,
    dtypes: Iterable[str] = DTYPES,
    env: dict[str, str] | None = None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    load_timeout: float = LOAD_TIMEOUT,
    jobs: int = 1,
    record: Callable[[str, dict], None] | None = None,
    done: Mapping[Key, Result] | None = None,
    progress: bool = False,
) -> Run:
    """Every check of ``ops`` in ``dtypes`` on each backend, and its conventions observed.

    ``backends``: selectors (each loaded in a worker process of its own under ``load_timeout``
    seconds, every call under ``timeout``) or already loaded backends (run in this process). ``jobs`` backends
    run at a time. ``record(kind, data)`` receives each result and backend as it is done;
    results in ``done`` (a resumed run) are kept, not rerun. ``env`` is the run's
    ``environment(...)`` (default: with no pinned numerics recorded). On KeyboardInterrupt
    the run stops, keeps what finished, and returns it with ``environment["interrupted"]``.
    """
    backends, ops, dtypes = list(backends), list(ops), list(dtypes)
    selectors = [b.selector if isinstance(b, LoadedBackend) else b for b in backends]
    env = dict(env) if env is not None else environment({})
    record = record or (lambda kind, data: None)
    workers = [worker_for(b, timeout, load_timeout) for b in backends]
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs))
    bar = tqdm(unit="check", disable=None if progress else True, leave=False)
    plan = _Plan(ops, dtypes, done or {}, record, threading.Event(), bar)
    infos: list[dict] = []
    futures: list[concurrent.futures.Future] = []
    results: list[Result] = []
    try:
        infos = list(pool.map(describe_in, workers, selectors))
        if clashes := name_clashes(infos):
            raise BackendClash("; ".join(clashes))
        for info in infos:
            record("backend", info)
        bar.reset(total=sum(len(plan.checks(info)) for info in infos if info["ok"]))
        futures = [pool.submit(_run_backend, w, info, plan, timeout) for w, info in zip(workers, infos, strict=True)]
        results = [r for f in futures for r in f.result()]
        by_name = {info["name"]: info for info in infos}
        results = _with_suspects(results, by_name, dict(zip(by_name, workers, strict=True)))
    except KeyboardInterrupt:
        plan.stop.set()
        for w in workers:
            w.close()  # each backend's thread then ends, keeping what it finished
        results = [r for f in futures for r in f.result()] if futures else []
        env["interrupted"] = "yes: the results are those finished before the interrupt"
    finally:
        bar.close()
        for w in workers:
            w.close()
        pool.shutdown()
    return Run(results, infos, env)
