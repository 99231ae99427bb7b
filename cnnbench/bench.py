"""The speed run: every selected backend x op x direction x dtype of the workload table
(``cnnbench.reference.workloads``) at one size, timed interleaved across the backends' workers.

Each backend runs in a worker process of its own (``cnnbench.worker``), its threads pinned
(``pinned_threads``, recorded). For each (op, direction, dtype) every backend's worker first
prepares the call (warm-up, ``number`` calibrated); then the main process asks each worker in
turn for one sample, ``rounds`` times round-robin, so a burst of load hits every backend alike,
and only one worker runs at a time:

    round 1: a b c   round 2: a b c   ...      best = min over rounds, median kept for the spread

A sample is timed inside the worker, on ``timed_call.clock_for`` its backend: the worker's CPU
time with one thread on the host (the time a quiet machine's wall clock would show), else the
wall clock.

A backend that lacks the op in the dtype is "not implemented"; one whose call raises, crashes or
hangs is an "error" row with the reason (its worker is replaced), and the other backends go on.
A backend that runs on an interpreter (Triton without a GPU) is timed at size ``small`` only: at
``standard`` its rows are "not timed" with the reason.

Per row, from the best time t (seconds per call):

    rate          flops / t / 1e9 GFLOP/s (measure "flops"), bytes / t / 1e9 GB/s (measure "bytes")
    vs_fastest    t / min t over the backends timed for the same (op, direction, dtype)   (>= 1)
    vs_torch      t / t_torch, where torch was timed for it
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from tqdm import tqdm

from cnnbench.backends.registry import LoadedBackend
from cnnbench.reference.workloads import FORWARD, FORWARD_BACKWARD, STEP, Workload, workload

from . import bench_tasks
from .conformance import numpy_dtype
from .runner import BackendClash, describe_in, environment, name_clashes, worker_for
from .timing import MIN_SAMPLE, ROUNDS, WARMUP, Timing
from .worker import DEFAULT_TIMEOUT, LOAD_TIMEOUT, InProcess, Isolated, TaskFailed

SCHEMA = 1
TIMED_DIRECTIONS = (FORWARD, FORWARD_BACKWARD, STEP)


@dataclass
class Speed:
    """A speed run: one row per (backend, op, direction, dtype), the backends, the environment."""

    rows: list[dict]
    backends: list[dict]
    environment: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        """The run as speed.json holds it: schema, kind "speed", environment, backends, rows."""
        return {"schema": SCHEMA, "kind": "speed", "environment": self.environment, "backends": self.backends,
                "rows": self.rows}  # fmt: skip

    @classmethod
    def from_json(cls, data: dict) -> Speed:
        """Raises ValueError when ``data`` is not a speed run of this schema."""
        if not isinstance(data, dict) or data.get("kind") != "speed" or data.get("schema") != SCHEMA:
            raise ValueError(f"not a cnnbench speed run of schema {SCHEMA}")
        return cls(data["rows"], data["backends"], data["environment"])


def _row(info: dict, w: Workload, direction: str, dtype: str, status: str, reason: str = "") -> dict:
    return {"backend": info["name"], "op": w.op.name, "direction": direction, "dtype": dtype, "status": status,
            "reason": reason, "measure": w.measure}  # fmt: skip


def _timed(row: dict, w: Workload, timing: Timing) -> dict:
    itemsize = numpy_dtype(row["dtype"]).itemsize
    work, rate = w.work(row["direction"], itemsize), w.rate(row["direction"], itemsize, timing.best)
    return row | {"best": timing.best, "median": timing.median, "number": timing.number, "rounds": timing.rounds,
                  **work, "rate": rate, "rate_unit": w.rate_unit}  # fmt: skip


def with_ratios(rows: list[dict]) -> list[dict]:
    """Each timed row with ``vs_fastest`` and (where torch was timed for the same op, direction
    and dtype) ``vs_torch`` (module docstring)."""
    best: dict[tuple[str, str, str], dict[str, float]] = {}
    for r in rows:
        if r["status"] == "timed":
            best.setdefault((r["op"], r["direction"], r["dtype"]), {})[r["backend"]] = r["best"]
    out = []
    for r in rows:
        if r["status"] == "timed":
            peers = best[(r["op"], r["direction"], r["dtype"])]
            r = r | {"vs_fastest": r["best"] / min(peers.values())}
            if "torch" in peers:
                r["vs_torch"] = r["best"] / peers["torch"]
        out.append(r)
    return out


Worker = InProcess | Isolated


def _time_workload(
    w: Workload, direction: str, dtype: str, entrants: list[tuple[Worker, dict]], rounds: int, bar: tqdm
) -> list[dict]:
    """One (op, direction, dtype): prepare on each backend, then ``rounds`` samples round-robin."""
    key = (w.op.name, w.size, dtype, direction)
    rows: dict[str, dict] = {}
    active: list[tuple[Worker, dict, int]] = []
    for worker, info in entrants:
        bar.set_postfix_str(f"{w.op.name} {direction} {dtype}: {info['name']}", refresh=False)
        try:
            prepared = worker.call(bench_tasks.prepare, *key)
        except TaskFailed as exc:
            prepared = {"status": "error", "reason": f"preparing the timed call: {exc}"}
        bar.update()
        if "status" in prepared:
            rows[info["name"]] = _row(info, w, direction, dtype, prepared["status"], prepared["reason"])
            bar.update(rounds)
            continue
        info.setdefault("threads", prepared["threads"])
        active.append((worker, info, prepared["number"]))
    samples: dict[str, list[float]] = {info["name"]: [] for _, info, _ in active}
    for _ in range(rounds):
        for worker, info, _number in list(active):
            try:
                samples[info["name"]].append(worker.call(bench_tasks.sample, key))
            except Exception as exc:  # the call raised in the worker, or crashed or hung it
                reason = f"timing: {exc}" if isinstance(exc, TaskFailed) else f"timing raised {exc!r}"[:4000]
                rows[info["name"]] = _row(info, w, direction, dtype, "error", reason)
                active = [a for a in active if a[1] is not info]
                bar.update(rounds - len(samples[info["name"]]))
                continue
            bar.update()
    for _, info, number in active:
        timing = Timing.of(samples[info["name"]], number)
        rows[info["name"]] = _timed(_row(info, w, direction, dtype, "timed"), w, timing)
    return [rows[info["name"]] for _, info in entrants]


def run_bench(
    backends: Iterable[LoadedBackend | str],
    ops: Sequence[str],
    dtypes: Sequence[str],
    directions: Sequence[str] = TIMED_DIRECTIONS,
    size: str = "standard",
    rounds: int = ROUNDS,
    env: dict | None = None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    load_timeout: float = LOAD_TIMEOUT,
    progress: bool = False,
) -> Speed:
    """Time ``ops`` at ``size`` on each backend (module docstring). ``backends``: selectors (each
    in a worker process, every call under ``timeout`` seconds) or loaded backends (run in this
    process). On KeyboardInterrupt the run stops and returns the workloads it finished, with
    ``environment["interrupted"]``."""
    backends = list(backends)
    selectors = [b.selector if isinstance(b, LoadedBackend) else b for b in backends]
    env = dict(env) if env is not None else environment({})
    env |= {"size": size, "rounds": rounds, "warmup": WARMUP, "min_sample": MIN_SAMPLE}
    workers = [worker_for(b, timeout, load_timeout) for b in backends]
    plan = [(workload(op, size), d, t) for op in ops for d in directions if d in workload(op, size).directions
            for t in dtypes]  # fmt: skip
    rows: list[dict] = []
    infos: list[dict] = []
    bar = tqdm(unit="sample", disable=None if progress else True, leave=False)
    try:
        infos = [describe_in(w, s) for w, s in zip(workers, selectors, strict=True)]
        if clashes := name_clashes(infos):
            raise BackendClash("; ".join(clashes))
        loaded = [(w, info) for w, info in zip(workers, infos, strict=True) if info["ok"]]
        bar.reset(total=sum((rounds + 1) * sum(t in i["dtypes"] for _, i in loaded) for _, _, t in plan))
        for w, direction, dtype in plan:
            entrants = [(worker, info) for worker, info in loaded if dtype in info["dtypes"]]
            rows += _time_workload(w, direction, dtype, entrants, rounds, bar)
    except KeyboardInterrupt:
        env["interrupted"] = "yes: the rows are those of the workloads finished before the interrupt"
    finally:
        bar.close()
        for w in reversed(workers):  # last pinned, first restored
            if isinstance(w, InProcess):  # a worker process ends with everything it held
                w.call(bench_tasks.release)
            w.close()
    return Speed(with_ratios(rows), infos, env)
