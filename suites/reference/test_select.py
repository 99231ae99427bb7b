"""``select``, the branch-free ``np.where`` of the elementwise ops, gives where's numbers exactly."""

from __future__ import annotations

import numpy as np
import pytest

from cnnbench.reference._select import select


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_select_is_where_on_finite_values(dtype):
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((3, 4, 5)).astype(dtype) * 10.0 ** rng.integers(-30, 30, (3, 4, 5)) for _ in "ab")
    mask = rng.random((3, 4, 5)) < 0.5
    channel = rng.standard_normal((1, 4, 1)).astype(dtype)  # broadcast, as a per-channel slope
    for x, y in ((a, b), (1.0, b), (a, channel)):
        got, expected = select(mask, x, y, dtype), np.where(mask, x, y).astype(dtype)
        assert got.dtype == dtype
        np.testing.assert_array_equal(got, expected)
        # negative control: the comparison tells the branches apart
        assert not np.array_equal(got, np.where(~mask, x, y).astype(dtype))


def test_select_needs_finite_values():
    """The documented limit: an infinite value on the side not taken becomes NaN (inf * 0)."""
    with np.errstate(invalid="ignore"):
        got = select(np.array([True, False]), np.array([1.0, np.inf]), np.array([2.0, 3.0]), "float64")
    assert got[0] == 1.0 and np.isnan(got[1])
