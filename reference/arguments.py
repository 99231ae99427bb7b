"""Argument checks shared by the reference ops (and ``pair``, by the backends too).

Every error names the argument and says what was expected, so a user who
passes a wrong shape or dtype learns which one and why.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def float_array(x: object, name: str, ndim: int | Sequence[int] | None = None) -> np.ndarray:
    """Return ``x`` as a real floating-point array, checking its rank."""
    arr = np.asarray(x)
    if not np.issubdtype(arr.dtype, np.floating):
        raise TypeError(f"{name}: expected a real floating-point array, got dtype {arr.dtype}")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            ranks = " or ".join(f"{r}-D" for r in allowed)
            raise ValueError(f"{name}: expected a {ranks} array, got shape {arr.shape}")
    return arr


def int_array(x: object, name: str, ndim: int) -> np.ndarray:
    """Return ``x`` as an integer array of rank ``ndim``."""
    arr = np.asarray(x)
    if not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"{name}: expected an integer array, got dtype {arr.dtype}")
    if arr.ndim != ndim:
        raise ValueError(f"{name}: expected a {ndim}-D array, got shape {arr.shape}")
    return arr


def same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    if a.shape != b.shape:
        raise ValueError(f"{name_b}: expected shape {a.shape} (the shape of {name_a}), got {b.shape}")


Pair = int | Sequence[int]  # a size given once for both spatial axes, or as (h, w)


def pair(value: Pair, name: str, minimum: int) -> tuple[int, int]:
    """Normalise an int or (h, w) pair, requiring every entry >= ``minimum``."""
    items = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(items) != 2 or not all(isinstance(v, (int, np.integer)) for v in items):
        raise TypeError(f"{name}: expected an int or a pair of ints, got {value!r}")
    if min(items) < minimum:
        raise ValueError(f"{name}: expected integers >= {minimum}, got {value!r}")
    return int(items[0]), int(items[1])


def probability(p: float, name: str = "p") -> float:
    """A drop probability must lie in [0, 1): p = 1 would divide by zero."""
    if not 0.0 <= float(p) < 1.0:
        raise ValueError(f"{name}: expected a probability in [0, 1), got {p!r}")
    return float(p)


def positive(value: float, name: str) -> float:
    if not float(value) > 0.0:
        raise ValueError(f"{name}: expected a positive number, got {value!r}")
    return float(value)


def choice(value: str, name: str, allowed: Sequence[str]) -> str:
    if value not in allowed:
        raise ValueError(f"{name}: expected one of {', '.join(map(repr, allowed))}, got {value!r}")
    return value
