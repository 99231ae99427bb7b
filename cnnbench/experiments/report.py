"""The experiments' report: ``experiments.md`` (per experiment: the claim, the verdict line, the
plot, the seeds, the command that regenerates it; a header with the environment) and
``experiments.json`` (the same with the raw measurements).

A run of some experiments (``--only``) into a directory that already holds a report replaces
those experiments' entries and keeps the others, each entry with the run it came from. In the
JSON a float that is not finite is written as the string ``"inf"``, ``"-inf"`` or ``"nan"``.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from pathlib import Path
from typing import Any

from cnnbench.atomic import replace_atomically

from .registry import EXPERIMENTS
from .runner import Outcome

MARKDOWN, JSON = "experiments.md", "experiments.json"


def plain(value: Any) -> Any:
    """``value`` with every non-finite float as a string (strict JSON)."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def write_report(out: Path, outcomes: list[Outcome], run: dict[str, Any]) -> list[Path]:
    """Merge ``outcomes`` (from the run described by ``run``: environment, backend, dtype, mode)
    into ``out``'s report; returns the files written."""
    path = out / JSON
    entries = json.loads(path.read_text())["experiments"] if path.exists() else {}
    for outcome in outcomes:
        entries[outcome.name] = {**plain(asdict(outcome)), "run": run}
    ordered = {name: entries[name] for name in EXPERIMENTS if name in entries}
    document = {"run": run, "experiments": ordered}
    replace_atomically(path, (json.dumps(document, indent=1) + "\n").encode())
    replace_atomically(out / MARKDOWN, markdown(document).encode())
    return [out / MARKDOWN, path]


def cell(text: str) -> str:
    """``text`` inside a Markdown table cell: its pipes (``|tanh|``) escaped."""
    return text.replace("|", "\\|")


def markdown(document: dict[str, Any]) -> str:
    run, entries = document["run"], document["experiments"]
    lines = [
        "# Experiments: the notes' claims, measured",
        "",
        "Each experiment is a seeded run (or runs over seeds: `median [min, max]`) of the training package "
        '(`cnnbench.training`); the verdict says what was measured, and "not supported" where the '
        'measurements contradict the claim; "inconclusive" where a difference is within the seeds\' spread '
        "(or a run was censored by its budget): the margin rule of `cnnbench/experiments/verdicts.py`. "
        "Raw measurements: `experiments.json`.",
        "",
        "| | latest run |",
        "|---|---|",
        *(f"| {key} | {value} |" for key, value in run.items() if key != "versions"),
        f"| versions | {', '.join(f'{k} {v}' for k, v in run.get('versions', {}).items())} |",
        "",
        "| experiment | verdict |",
        "|---|---|",
        *(f"| [{name}](#{name}) | {cell(entry['verdict'])} |" for name, entry in entries.items()),
        "",
    ]
    for name, entry in entries.items():
        origin = entry["run"]
        lines += [
            f"## {name}",
            "",
            f"**Claim.** {entry['claim']}",
            "",
            f"**Verdict.** {entry['verdict']}",
            "",
            f"![{name}]({entry['plot']})",
            "",
            f"Seeds {', '.join(map(str, entry['seeds']))}; {entry['seconds']:.0f} s on {origin['backend']} "
            f"{origin['dtype']}, {origin['mode']} mode, commit {origin['commit']}, {origin['date']}. Regenerate:",
            "",
            "```sh",
            entry["command"],
            "```",
            "",
        ]
    return "\n".join(lines)
