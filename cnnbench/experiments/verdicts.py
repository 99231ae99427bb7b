"""Verdict wording and the statistics over seeds that verdicts read.

A verdict is one line of parts joined by ``; ``, each

    <claim part>: <word> (<reason>; <the numbers>)      word: supported | not supported |
                                                         partly supported | inconclusive | not measured

(the reason only where the word needs one). Spread over seeds is written ``median [min, max]``;
a run that never reached a threshold counts as infinitely slow (``inf``); a value that could
not be measured (NaN) is left out of the spread and counted, ``(k of n not measured)``.

The margin rule, one for every comparison of two sets of runs (``exceeds``): with ``a`` claimed
larger than ``b`` over seeds,

    d = median(a) - median(b)       margin: d counts when d >= minimum and d > max(range(a), range(b))

(``range`` = max - min over the seeds, ``minimum`` fixed per experiment and stated in its
docstring): supported when d counts, not supported when -d counts, otherwise inconclusive
(difference within the seeds' spread). A measurement against a fixed threshold (``every``) is
supported when every seed passes, not supported when none does, otherwise inconclusive.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Finding:
    """The word of a verdict part and, for inconclusive and not measured, why."""

    word: str
    reason: str = ""


SUPPORTED = Finding("supported")
NOT_SUPPORTED = Finding("not supported")
PARTLY = Finding("partly supported")
WITHIN_SPREAD = Finding("inconclusive", "difference within the seeds' spread")


def inconclusive(reason: str) -> Finding:
    return Finding("inconclusive", reason)


def not_measured(reason: str) -> Finding:
    return Finding("not measured", reason)


def judged(label: str, finding: Finding, numbers: str) -> str:
    """One verdict part: ``label: word (reason; numbers)``."""
    inside = f"{finding.reason}; {numbers}" if finding.reason else numbers
    return f"{label}: {finding.word} ({inside})"


def verdict_line(*parts: str) -> str:
    return "; ".join(parts)


def verdict_parts(line: str) -> list[str]:
    """The parts of a verdict line: split at the ``; `` outside parentheses."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(line):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and line.startswith("; ", i):
            parts.append(line[start:i])
            start = i + 2
    return [*parts, line[start:]]


def _values(values: Iterable[float | None]) -> list[float]:
    """None (never reached) as inf, NaN (not measured) left out."""
    out = [math.inf if v is None else float(v) for v in values]
    return [v for v in out if not math.isnan(v)]


def median(values: Iterable[float | None]) -> float:
    """Median with None (never reached) as infinity and NaN left out; NaN when nothing is left."""
    kept = _values(values)
    return float(np.median(kept)) if kept else math.nan


def spread(values: Sequence[float | None], fmt: str = ".3g") -> str:
    """``median [min, max]`` (just the value for one seed), None as inf, NaN counted as not measured."""
    kept = _values(values)
    missing = len(values) - len(kept)
    note = f" ({missing} of {len(values)} not measured)" if missing else ""
    if not kept:
        return "not measured"
    if len(kept) == 1:
        return format(kept[0], fmt) + note
    return f"{format(median(kept), fmt)} [{format(min(kept), fmt)}, {format(max(kept), fmt)}]{note}"


def ratio(slow: float | None, fast: float | None) -> float:
    """slow / fast with None (never reached) as inf: inf when only ``fast`` is finite, nan when neither is."""
    slow, fast = (math.inf if v is None else v for v in (slow, fast))
    if math.isinf(slow) and math.isinf(fast):
        return math.nan
    return slow / fast if fast > 0 else math.inf


def exceeds(larger: Sequence[float | None], smaller: Sequence[float | None], minimum: float) -> Finding:
    """The margin rule of the module docstring for the claim median(larger) > median(smaller)."""
    a, b = _values(larger), _values(smaller)
    if not a or not b:
        return not_measured("a side has no measured run")
    d = median(a) - median(b)
    margin = max(max(a) - min(a), max(b) - min(b))
    if math.isnan(d) or math.isnan(margin):
        return WITHIN_SPREAD
    if d >= minimum and d > margin:
        return SUPPORTED
    if -d >= minimum and -d > margin:
        return NOT_SUPPORTED
    return WITHIN_SPREAD


def every(passed: Sequence[bool], threshold: str) -> Finding:
    """Supported when every seed passes ``threshold``, not supported when none does, else inconclusive."""
    if all(passed):
        return SUPPORTED
    if not any(passed):
        return NOT_SUPPORTED
    return inconclusive(f"{sum(passed)} of {len(passed)} seeds pass {threshold}")


def each(findings: Sequence[Finding]) -> Finding:
    """A claim about several things at once: supported when each part is, partly when some are, not
    supported when each part is contradicted, otherwise inconclusive."""
    words = [f.word for f in findings]
    if all(w == SUPPORTED.word for w in words):
        return SUPPORTED
    if SUPPORTED.word in words:
        return PARTLY
    if all(w == NOT_SUPPORTED.word for w in words):
        return NOT_SUPPORTED
    return inconclusive("some comparisons within the seeds' spread")
