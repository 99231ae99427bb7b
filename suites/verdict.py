"""Turning a conformance check into a pytest outcome, in one place."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import pytest

from cnnbench.backends.registry import LoadedBackend
from cnnbench.case_file import save_case
from cnnbench.conformance import Result, check
from cnnbench.crosscheck import reference_suspect
from cnnbench.reference.cases import Case
from cnnbench.reference.catalog import Op
from suites.backends.known_findings import FINDINGS, expected_outcome


def assert_conforms(result: Result, suspect: str = "") -> None:
    """Pass; skip (not implemented / dtype unsupported, with the reason); xfail a listed finding
    (known_findings.py) with its evidence; or fail with the full story."""
    if result.status in ("not implemented", "unsupported"):
        pytest.skip(f"{result.status}: {result.detail}")
    if result.status == "blunt" and result.case == "hypothesis":
        return  # it agreed within its bound; a random draw the dtype cannot resolve says nothing of the suite
    key = (result.backend, result.op, result.case, result.dtype, result.direction)
    listed = FINDINGS.get(key) if result.status != "fail" else None  # blunt entries may pass: they say "can be"
    assert listed is None, (
        f"listed in known_findings.py as failing but now ends {result.status}: remove it ({listed})\n"
        + result.describe()
    )
    if not result.passed and (reason := expected_outcome(*key, result.status)):
        pytest.xfail(f"known {result.status}: {reason}\n{result.describe()}")
    assert result.passed, result.describe() + (f"\n{suspect}" if suspect else "")


def check_and_assert(
    loaded: LoadedBackend, op: Op, case: Case, dtype: str, direction: str, others: Sequence[LoadedBackend]
) -> None:
    """One conformance check; a failure also asks the other frameworks whether the reference is wrong."""
    result = check(loaded.backend, op, case, dtype, direction, loaded.selector)
    if case.name == "hypothesis" and result.status in ("fail", "blunt", "error"):
        result = dataclasses.replace(result, case_file=str(save_case(case, op.name)))
    suspect = ""
    if result.status == "fail":
        peers = [lb.backend for lb in others if lb.ok]
        suspect = reference_suspect(loaded.backend, peers, op, case, dtype, direction)
    assert_conforms(result, suspect)
