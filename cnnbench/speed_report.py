"""Speed report: speed.json (strict JSON), speed.md, speed.html, the PNG figures (``speed_plots``),
and report.html, the run's one page with both halves: conformance (when the directory holds a
conformance run) and speed.

    speed-<op>.png       per op: every backend x direction x dtype, time and ratio to the fastest
    accuracy-speed.png   per op: worst error / bound in the conformance run against time

The worst error of a speed row is the conformance run's worst ``error`` (a fraction of the bound)
over the cases of the same backend, op and dtype, in the directions the row times: forward for
"forward" and "step", forward and backward for "forward+backward".
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from pathlib import Path

from cnnbench.reference.workloads import FORWARD_BACKWARD

from . import report, speed_plots
from .atomic import replace_atomically
from .bench import Speed
from .results_file import dumps
from .runner import Run

ACCURACY_FIGURE = "accuracy-speed.png"
Worst = Mapping[tuple[str, str, str, str], float]  # (backend, op, dtype, speed direction) -> error / bound


def worst_errors(run: Run) -> dict[tuple[str, str, str, str], float]:
    """The conformance run's worst error / bound per (backend, op, dtype, speed direction) (module docstring)."""
    worst: dict[tuple[str, str, str, str], float] = {}
    for r in run.results:
        if r.error is None:
            continue
        speed_directions = ("forward", "step", FORWARD_BACKWARD) if r.direction == "forward" else (FORWARD_BACKWARD,)
        for direction in speed_directions:
            key = (r.backend, r.op, r.dtype, direction)
            worst[key] = max(worst.get(key, r.error), r.error)
    return worst


def seconds(value: float) -> str:
    """A duration with its unit: ``12.3 µs``, ``4.56 ms``, ``1.23 s``."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if value >= scale:
            return f"{value / scale:.3g} {unit}"
    return f"{value / 1e-9:.3g} ns"


def _cells(r: dict, worst: Worst) -> list[str]:
    """backend, direction, dtype, best, median, calls/sample, rate, × fastest, × torch, worst error / bound."""
    head = [r["backend"], r["direction"], r["dtype"]]
    if r["status"] != "timed":
        return [*head, f"{r['status']}: {r['reason']}", *[""] * 6]
    error = worst.get((r["backend"], r["op"], r["dtype"], r["direction"]))
    return [
        *head,
        seconds(r["best"]),
        seconds(r["median"]),
        str(r["number"]),
        f"{r['rate']:.3g} {r['rate_unit']}",
        f"{r['vs_fastest']:.2f}",
        f"{r['vs_torch']:.2f}" if "vs_torch" in r else "",
        "" if error is None else f"{error:.2g}",
    ]


HEADERS = ["backend", "direction", "dtype", "best", "median", "calls/sample", "rate", "× fastest", "× torch",
           "worst error / bound"]  # fmt: skip


def _ops(speed: Speed) -> list[str]:
    return list(dict.fromkeys(r["op"] for r in speed.rows))


def _backend_lines(speed: Speed) -> list[str]:
    lines = []
    for b in speed.backends:
        if not b["ok"]:
            lines.append(f"{b['name']}: not run ({b['reason']})")
            continue
        versions = ", ".join(f"{k} {v}" for k, v in b.get("versions", {}).items())
        threads = ", ".join(f"{k} {v}" for k, v in b.get("threads", {}).items())
        lines.append(f"{b['name']}: {versions}; threads: {threads or 'not pinned (nothing timed)'}")
    return lines


def _summary(speed: Speed, accuracy_source: str) -> list[str]:
    env = speed.environment
    lines = [
        f"date: {env.get('date', '?')}; machine: {env.get('machine', '?')}",
        f"python {env.get('python', '?')}, cnnbench {env.get('cnnbench', '?')}, commit {env.get('commit', '?')}",
        f"numerics: {env.get('numerics', '?')}",
        f"size {env['size']}; {env['rounds']} rounds round-robin across the backends after {env['warmup']} "
        f"warm-up calls; each sample at least {env['min_sample']} s of back-to-back calls; best = fastest sample",
        f"accuracy: {accuracy_source}",
    ]
    if "interrupted" in env:
        lines.append(f"interrupted: {env['interrupted']}")
    return lines + [f"backend {line}" for line in _backend_lines(speed)]


def to_markdown(speed: Speed, worst: Worst, accuracy_source: str) -> str:
    """speed.md: the summary, then per op a table of every row (the columns of ``HEADERS``)."""
    out = ["# cnnbench speed report", "", *(f"- {line}" for line in _summary(speed, accuracy_source)), ""]
    for op in _ops(speed):
        rows = [_cells(r, worst) for r in speed.rows if r["op"] == op]
        out += [f"## {op}", "", f"![{op}](speed-{op}.png)", "", *report.md_table(HEADERS, rows), ""]
    if worst:
        out += ["## Accuracy against speed", "", f"![accuracy against speed]({ACCURACY_FIGURE})", ""]
    return "\n".join(out)


def html_section(speed: Speed, worst: Worst, accuracy_source: str) -> str:
    """The speed half of a page: summary, one table and figure per op, the accuracy figure."""
    summary = "".join(f"<li>{html.escape(line)}</li>" for line in _summary(speed, accuracy_source))
    parts = [f"<section id='speed'><h1>cnnbench speed report</h1><ul>{summary}</ul>"]
    head = "".join(f"<th>{html.escape(h)}</th>" for h in ["op", *HEADERS])
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in [r["op"], *_cells(r, worst)]) + "</tr>"
        for r in speed.rows
    )
    parts.append(f'<table id="speed-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>')
    parts += [f'<h2>{op}</h2><img src="speed-{op}.png" alt="speed of {op}">' for op in _ops(speed)]
    if worst:
        parts.append(f'<h2>Accuracy against speed</h2><img src="{ACCURACY_FIGURE}" alt="accuracy against speed">')
    return "".join(parts) + "</section>"


def _figures(speed: Speed, worst: Worst) -> dict[str, bytes]:
    size = speed.environment["size"]
    figures = {
        f"speed-{op}.png": speed_plots.op_chart([r for r in speed.rows if r["op"] == op], f"{op} [{size}]")
        for op in _ops(speed)
    }
    if worst:
        figures[ACCURACY_FIGURE] = speed_plots.accuracy_chart(speed.rows, worst)
    return figures


def read(path: Path) -> Speed:
    """A stored speed.json; ValueError naming the file when it is not one."""
    try:
        return Speed.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError) as exc:
        raise ValueError(f"{path} does not hold a cnnbench speed run: {exc}") from None


def write(speed: Speed, directory: Path, run: Run | None) -> list[Path]:
    """Write speed.json, speed.md, speed.html, the figures and report.html (with ``run``'s
    conformance half when given) into ``directory``, each atomically; speed.json first, so that
    a failure in rendering cannot lose the measurements."""
    directory.mkdir(parents=True, exist_ok=True)
    replace_atomically(directory / "speed.json", dumps(speed.to_json(), indent=1).encode())
    worst = worst_errors(run) if run is not None else {}
    if run is None:
        source = "no conformance run in this directory: no errors to plot against time"
    else:
        source = f"worst error / bound from the conformance run of {run.environment.get('date', '?')} beside it"
    section = html_section(speed, worst, source)
    conformance = report.html_body(run) if run is not None else ""
    files = {
        "speed.md": to_markdown(speed, worst, source).encode(),
        "speed.html": report.html_page("cnnbench speed", section).encode(),
        **_figures(speed, worst),
        "report.html": report.html_page("cnnbench report", conformance + section).encode(),
    }
    for name, data in files.items():
        replace_atomically(directory / name, data)
    return [directory / "speed.json"] + [directory / name for name in files]
