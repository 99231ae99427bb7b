"""The training report: per backend, dtype and optimizer, what the runs over seeds reached.

    final test accuracy     mean, sample standard deviation, min and max over seeds
    to the target accuracy  steps and training seconds until the end of the first epoch whose test
                            accuracy reached it (median over the seeds that reached it)
    time ratio              a backend's median seconds to the target / torch's, same dtype and
                            optimizer, measured in the same run of the command

Verdicts against the targets the project sets: mean final test accuracy >= ACCURACY_TARGET on
the digits, and the reference's time to TIME_TARGET within TIME_RATIO_TARGET x torch's.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

from .loop import History

ACCURACY_TARGET = 0.98  # mean final test accuracy on the digits
TIME_TARGET = {"digits": 0.97, "synthetic": 0.9}  # the test accuracy steps and seconds are counted to
TIME_RATIO_TARGET = 3.0


@dataclass(frozen=True)
class Summary:
    backend: str
    dtype: str
    optimizer: str
    seeds: list[int]
    accuracy_mean: float
    accuracy_std: float
    accuracy_min: float
    accuracy_max: float
    reached: int  # seeds that reached the target accuracy
    steps_to_target: float | None  # median over the seeds that reached it
    seconds_to_target: float | None
    diverged: int  # seeds whose loss became non-finite

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def summarise(histories: list[History]) -> list[Summary]:
    groups: dict[tuple[str, str, str], list[History]] = {}
    for h in histories:
        groups.setdefault((h.backend, h.dtype, h.config["optimizer"]["name"]), []).append(h)
    out = []
    for (backend, dtype, optimizer), runs in groups.items():
        finals = [h.final_test_accuracy for h in runs]
        hit = [h for h in runs if h.steps_to_target is not None]
        out.append(
            Summary(
                backend, dtype, optimizer, [h.config["seed"] for h in runs],
                statistics.fmean(finals), statistics.stdev(finals) if len(finals) > 1 else 0.0,
                min(finals), max(finals), len(hit),
                statistics.median(h.steps_to_target for h in hit) if hit else None,
                statistics.median(h.seconds_to_target for h in hit) if hit else None,
                sum(h.diverged_at is not None for h in runs),
            )
        )  # fmt: skip
    return out


def time_ratio(summaries: list[Summary], s: Summary) -> float | None:
    """``s``'s median seconds to the target / torch's for the same dtype and optimizer."""
    torch = [t for t in summaries if t.backend == "torch" and (t.dtype, t.optimizer) == (s.dtype, s.optimizer)]
    if not torch or s.seconds_to_target is None or torch[0].seconds_to_target is None:
        return None
    return s.seconds_to_target / torch[0].seconds_to_target


def _number(value: float | None, fmt: str) -> str:
    return "—" if value is None else format(value, fmt)


def markdown(summaries: list[Summary], data: str, target: float, environment: dict[str, str], command: str) -> str:
    lines = [
        "# Training",
        "",
        f"`{command}`",
        "",
        ", ".join(f"{k}: {v}" for k, v in environment.items()),
        "",
        f"Data: {data}. Steps and seconds are counted until the test accuracy (checked every epoch) "
        f"first reached {target:.0%}; the final accuracy's target is {ACCURACY_TARGET:.0%} on the digits.",
        "",
        "| backend | dtype | optimizer | seeds | test accuracy: mean ± sd [min, max] | reached target | "
        "steps to target | seconds to target | time / torch's |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for s in summaries:
        ratio = time_ratio(summaries, s)
        lines.append(
            f"| {s.backend} | {s.dtype} | {s.optimizer} | {len(s.seeds)} | {s.accuracy_mean:.4f} ± "
            f"{s.accuracy_std:.4f} [{s.accuracy_min:.4f}, {s.accuracy_max:.4f}] | {s.reached}/{len(s.seeds)} | "
            f"{_number(s.steps_to_target, '.0f')} | {_number(s.seconds_to_target, '.2f')} | {_number(ratio, '.2f')} |"
        )
    lines += ["", *verdicts(summaries, data), "", "![training loss](loss.png)", "", "![accuracy](accuracy.png)", ""]
    return "\n".join(lines)


def verdicts(summaries: list[Summary], data: str) -> list[str]:
    """One line per target the runs can judge."""
    lines = []
    if data == "digits":
        for s in summaries:
            met = "met" if s.accuracy_mean >= ACCURACY_TARGET else "NOT met"
            lines.append(
                f"- {s.backend} {s.dtype} {s.optimizer}: mean test accuracy {s.accuracy_mean:.2%} over "
                f"{len(s.seeds)} seeds, target >= {ACCURACY_TARGET:.0%} {met}."
            )
    for s in summaries:
        ratio = time_ratio(summaries, s)
        if s.backend == "numpy" and ratio is not None:
            met = "met" if ratio <= TIME_RATIO_TARGET else "NOT met"
            lines.append(
                f"- reference {s.dtype} {s.optimizer}: time to the target {ratio:.2f}x torch's, "
                f"target <= {TIME_RATIO_TARGET:.0f}x {met}."
            )
    return lines
