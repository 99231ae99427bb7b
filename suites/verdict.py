"""Turning a conformance check into a pytest outcome, in one place."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from backends.registry import LoadedBackend
from cnnbench.conformance import Result, check
from cnnbench.crosscheck import reference_suspect
from reference.cases import Case
from reference.catalog import Op


def assert_conforms(result: Result, suspect: str = "") -> None:
    """Pass, skip (not implemented / dtype unsupported, with the reason) or fail with the full story."""
    if result.status in ("not implemented", "unsupported"):
        pytest.skip(f"{result.status}: {result.detail}")
    assert result.passed, result.describe() + (f"\n{suspect}" if suspect else "")


def check_and_assert(
    loaded: LoadedBackend, op: Op, case: Case, dtype: str, direction: str, others: Sequence[LoadedBackend]
) -> None:
    """One conformance check; a failure also asks the other frameworks whether the reference is wrong."""
    result = check(loaded.backend, op, case, dtype, direction, loaded.selector)
    suspect = ""
    if result.status == "fail":
        peers = [lb.backend for lb in others if lb.ok]
        suspect = reference_suspect(loaded.backend, peers, op, case, dtype, direction)
    assert_conforms(result, suspect)
