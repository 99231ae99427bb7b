"""Which convention choices a backend's behaviour actually matches.

A backend declares its conventions; this checks the declaration against what it
does. For each convention, every op that sits on it is run on all its cases
(the kink and tie cases decide) against the reference under each possible
choice. The choices under which every check passes are the observed ones; a
true declaration is observed, and is the only choice observed whenever the
cases tell the choices apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from backends.base import Backend
from backends.numpy_backend import NumpyBackend
from reference.catalog import OPS
from reference.conventions import CONVENTIONS, validate

from .conformance import check, directions


@dataclass(frozen=True)
class Observation:
    convention: str
    declared: str
    matching: tuple[str, ...]  # choices every check passes under; empty: none fits
    checked: bool  # False when the backend implements none of the ops involved

    @property
    def confirmed(self) -> bool:
        return self.matching == (self.declared,)


def observe(backend: Backend, convention: str, dtype: str | None = None) -> Observation:
    declared = validate(dict(backend.conventions), backend.name)
    dtype = dtype or ("float64" if "float64" in backend.dtypes else backend.dtypes[0])
    ops = [op for op in OPS if convention in op.conventions and backend.implements(op.name)]
    matching = []
    for choice in CONVENTIONS[convention].choices:
        reference = NumpyBackend({**declared, convention: choice})
        results = [
            check(backend, op, case, dtype, direction, reference=reference)
            for op in ops
            for case in op.cases()
            for direction in directions(op)
        ]
        judged = [r for r in results if r.status not in ("not implemented", "unsupported")]
        if judged and all(r.passed for r in judged):
            matching.append(choice)
    return Observation(convention, declared[convention], tuple(matching), bool(ops))


def observe_all(backend: Backend) -> dict[str, Observation]:
    return {name: observe(backend, name) for name in CONVENTIONS}
