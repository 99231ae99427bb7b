"""Which convention choices a backend's behaviour actually matches.

A backend declares its conventions; this checks the declaration against what it
does. For each convention, every op that sits on it is run on the cases that
tell its choices apart (those where the reference's results differ from one
choice to another: the kink and tie cases, padded pools, ...) against the
reference under each possible choice. The choices under which no check fails
are the observed ones; a true declaration is observed, and is the only one.

Each choice that is ruled out keeps its evidence: the op, case and direction of
the first check that failed under it, and the element that differs most
(index, what the backend got, what the reference under that choice expected).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from cnnbench.backends.base import Backend
from cnnbench.backends.numpy_backend import NumpyBackend
from cnnbench.reference.cases import Case
from cnnbench.reference.catalog import OPS, Op
from cnnbench.reference.conventions import CONVENTIONS, validate

from .conformance import Result, check, directions, execute, expected_outputs, upstream

NOT_JUDGED = ("not implemented", "unsupported")


@dataclass(frozen=True)
class Evidence:
    """The check that ruled a choice out, and the element that shows it most clearly."""

    op: str
    case: str
    direction: str
    dtype: str
    output: str = ""  # "forward", "grad x", "trajectory", ...; empty when no element applies
    index: tuple[int, ...] = ()
    got: float | None = None
    expected: float | None = None
    note: str = ""  # statistical tests, a shape mismatch, an error

    def describe(self) -> str:
        where = f"{self.op}[{self.case}] {self.direction} {self.dtype}"
        if self.got is None:
            return f"{where}: {self.note}"
        return f"{where}: {self.output} at index {self.index}: got {self.got!r}, expected {self.expected!r}"


@dataclass(frozen=True)
class Observation:
    convention: str
    declared: str
    matching: tuple[str, ...]  # choices no check fails under; empty: none fits
    checked: bool  # False when no case of an op the backend implements could be judged
    ruled_out: dict[str, Evidence] = field(default_factory=dict)  # choice -> why it does not fit

    @property
    def confirmed(self) -> bool:
        return self.matching == (self.declared,)

    def explain(self, backend: str) -> str:
        """Why the declaration is (not) confirmed: each choice ruled out, with its evidence."""
        behaves = ", ".join(self.matching) or "no choice"
        head = f"{backend} declares {self.convention}={self.declared!r}"
        lines = [f"{head} and behaves as {behaves}" if self.confirmed else f"{head} but behaves as {behaves}"]
        lines += [f"  {choice} ruled out by {e.describe()}" for choice, e in self.ruled_out.items()]
        others = [c for c in self.matching if c != self.declared]
        if self.declared in self.matching and others:
            lines.append(f"  no case tells {self.declared} from {', '.join(others)}")
        return "\n".join(lines)


def _largest_difference(actual: dict[str, np.ndarray], expected: dict[str, np.ndarray]) -> tuple:
    """(output, index, got, expected) of the element where the two differ most, relative
    to the expected output's size (|a - r| / (|r| + rms r)); NaN counts as the largest."""
    best = (-1.0, "", (), None, None)
    for key, want in expected.items():
        got = np.asarray(actual.get(key), dtype=np.float64)
        if got.shape != want.shape:
            return key, (), None, f"shape {got.shape}, expected {want.shape}"
        if not want.size:
            continue
        scale = np.abs(want) + np.sqrt(np.mean(want * want)) + np.finfo(np.float64).tiny
        diff = np.nan_to_num(np.abs(got - want) / scale, nan=np.inf)
        i = np.unravel_index(int(np.argmax(diff)), diff.shape) if diff.ndim else ()
        if diff[i] > best[0]:
            best = (float(diff[i]), key, tuple(int(j) for j in i), float(got[i]), float(want[i]))
    return best[1:]


def evidence(backend: Backend, reference: Backend, op: Op, case: Case, result: Result) -> Evidence:
    """What ruled ``reference``'s choice out in the failed ``result``."""
    label = (op.name, case.name, result.direction, result.dtype)
    first_line = result.detail.splitlines()[0] if result.detail else result.status
    if op.kind == "statistical" or result.status != "fail":
        return Evidence(*label, note=first_line)
    try:
        dy = upstream(reference, op, case, result.dtype, result.direction)
        want = expected_outputs(reference, op, case, result.dtype, result.direction, dy)
        got = execute(backend, op, case, result.dtype, result.direction, dy)
    except Exception:  # the failure was the backend raising: its detail says why
        return Evidence(*label, note=first_line)
    output, index, value, expected = _largest_difference(got, want)
    if value is None:
        return Evidence(*label, output=output, note=f"{output}: {expected}")
    return Evidence(*label, output=output, index=index, got=value, expected=expected)


def _outputs(reference: Backend, op: Op, case: Case, dtype: str, direction: str) -> list[np.ndarray]:
    if op.kind == "statistical":
        return [np.asarray(reference.op(op.name)(**case.params))]
    dy = upstream(reference, op, case, dtype, direction)
    return list(expected_outputs(reference, op, case, dtype, direction, dy).values())


def tells_apart(references: Iterable[Backend], op: Op, case: Case, dtype: str, direction: str) -> bool:
    """Whether the reference's results on this case differ between the choices (a case that
    gives the same under every choice says nothing about the convention)."""
    if case.dtypes is not None and dtype not in case.dtypes:
        return False
    try:
        results = [_outputs(ref, op, case, dtype, direction) for ref in references]
    except ValueError:  # the reference refuses the case under some choice: that tells them apart
        return True
    first = results[0]
    return any(not all(np.array_equal(a, b) for a, b in zip(first, other, strict=True)) for other in results[1:])


def observe(backend: Backend, convention: str, dtype: str | None = None, ops: Iterable[Op] = OPS) -> Observation:
    """Run the backend against the reference under each choice of ``convention``, on the
    cases of ``ops`` (those that sit on it) that tell the choices apart."""
    declared = validate(dict(backend.conventions), backend.name)
    dtype = dtype or ("float64" if "float64" in backend.dtypes else backend.dtypes[0])
    sitting = [op for op in ops if convention in op.conventions and backend.implements(op.name)]
    references = {c: NumpyBackend({**declared, convention: c}) for c in CONVENTIONS[convention].choices}
    telling = [
        (op, case, direction)
        for op in sitting
        for case in op.cases()
        for direction in directions(op)
        if tells_apart(references.values(), op, case, dtype, direction)
    ]
    matching, ruled_out, judged = [], {}, False
    for choice, reference in references.items():
        failed = None
        for op, case, direction in telling:
            result = check(backend, op, case, dtype, direction, reference=reference)
            judged = judged or result.status not in NOT_JUDGED
            if result.status in ("fail", "error"):
                failed = evidence(backend, reference, op, case, result)
                break
        if failed is not None:
            ruled_out[choice] = failed
        elif judged:
            matching.append(choice)
    return Observation(convention, declared[convention], tuple(matching), judged, ruled_out)


def conventions_of(ops: Iterable[Op]) -> list[str]:
    """The conventions the given ops sit on, in the order of ``CONVENTIONS``."""
    used = {name for op in ops for name in op.conventions}
    return [name for name in CONVENTIONS if name in used]
