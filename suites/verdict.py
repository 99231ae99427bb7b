"""Turning a conformance ``Result`` into a pytest outcome, in one place."""

from __future__ import annotations

import pytest

from cnnbench.conformance import Result


def assert_conforms(result: Result) -> None:
    """Pass, skip (not implemented / dtype unsupported, with the reason) or fail with the full story."""
    if result.status in ("not implemented", "unsupported"):
        pytest.skip(f"{result.status}: {result.detail}")
    assert result.passed, result.describe()
