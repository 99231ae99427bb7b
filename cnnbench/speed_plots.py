"""The speed report's figures, as PNG bytes (matplotlib, Agg: no display needed).

op_chart        one op: a bar per backend in each (direction, dtype) group, seconds per
                call on a log axis, each bar labelled with its ratio to the fastest
accuracy_chart  one panel per op: each backend's worst error / bound in the conformance run
                (y, symlog: an exact 0 shows) against its time (x, log), one point per
                (backend, dtype, direction); the line at 1 is the bound
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

MARKERS = {"float64": "o", "float32": "s", "float16": "^", "bfloat16": "D"}
PANEL_COLUMNS = 3


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def _colours(backends: list[str]) -> dict[str, str]:
    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    return {b: cycle[i % len(cycle)] for i, b in enumerate(backends)}


def op_chart(rows: list[dict], title: str) -> bytes:
    """Bars of the timed ``rows`` of one op (module docstring)."""
    timed = [r for r in rows if r["status"] == "timed"]
    groups = list(dict.fromkeys((r["direction"], r["dtype"]) for r in timed))
    backends = list(dict.fromkeys(r["backend"] for r in timed))
    colours = _colours(backends)
    width = 0.8 / max(1, len(backends))
    fig, ax = plt.subplots(figsize=(max(5.0, 1.2 * len(groups) * max(1, len(backends)) ** 0.5 + 2), 3.6))
    for i, backend in enumerate(backends):
        mine = {(r["direction"], r["dtype"]): r for r in timed if r["backend"] == backend}
        xs = [g for g, group in enumerate(groups) if group in mine]
        heights = [mine[groups[g]]["best"] for g in xs]
        positions = [g - 0.4 + width * (i + 0.5) for g in xs]
        bars = ax.bar(positions, heights, width, label=backend, color=colours[backend])
        ax.bar_label(bars, [f"×{mine[groups[g]]['vs_fastest']:.2g}" for g in xs], fontsize=7)
    ax.set_yscale("log")
    ax.set_xticks(range(len(groups)), [f"{d}\n{t}" for d, t in groups], fontsize=8)
    ax.set_ylabel("seconds per call (best)")
    ax.set_title(f"{title} (bar labels: × the fastest)", fontsize=10)
    if backends:
        ax.legend(fontsize=8)
    return _png(fig)


def accuracy_chart(rows: list[dict], worst: Mapping[tuple[str, str, str, str], float]) -> bytes:
    """Worst error / bound against time, one panel per op (module docstring). ``worst`` maps
    (backend, op, dtype, direction) to the conformance run's worst error / bound."""
    points = [(r, worst[k]) for r in rows if r["status"] == "timed"
              if (k := (r["backend"], r["op"], r["dtype"], r["direction"])) in worst]  # fmt: skip
    ops = list(dict.fromkeys(r["op"] for r, _ in points))
    colours = _colours(list(dict.fromkeys(r["backend"] for r, _ in points)))
    columns = min(PANEL_COLUMNS, max(1, len(ops)))
    lines = max(1, math.ceil(len(ops) / columns))
    fig, axes = plt.subplots(lines, columns, figsize=(4.2 * columns, 3.4 * lines), squeeze=False)
    for ax, op in zip(axes.flat, ops, strict=False):
        for r, error in points:
            if r["op"] == op:
                marker = MARKERS.get(r["dtype"], "x")
                face = colours[r["backend"]] if r["direction"] != "forward+backward" else "none"
                ax.scatter([r["best"]], [min(error, 1e6)], marker=marker, facecolors=face,
                           edgecolors=colours[r["backend"]])  # fmt: skip
        ax.axhline(1.0, color="grey", linewidth=0.8, linestyle="--")
        ax.set_xscale("log")
        ax.set_yscale("symlog", linthresh=1e-3)
        ax.set_ylim(bottom=0)
        ax.set_title(op, fontsize=10)
        ax.set_xlabel("seconds per call", fontsize=8)
        ax.set_ylabel("worst error / bound", fontsize=8)
    for ax in list(axes.flat)[len(ops) :]:
        ax.axis("off")
    handles = [plt.Line2D([], [], marker="o", linestyle="", color=c, label=b) for b, c in colours.items()]
    dtypes = dict.fromkeys(r["dtype"] for r, _ in points)
    handles += [plt.Line2D([], [], marker=MARKERS.get(d, "x"), linestyle="", color="black", label=d) for d in dtypes]
    handles += [plt.Line2D([], [], marker="o", linestyle="", markerfacecolor="none", color="black",
                           label="forward+backward (hollow)")]  # fmt: skip
    fig.tight_layout()
    fig.legend(handles=handles, loc="lower center", ncol=min(len(handles), 5), fontsize=8, bbox_to_anchor=(0.5, 1.0))
    return _png(fig)
