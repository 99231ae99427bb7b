"""Argument checks shared by the reference ops (and ``pair``, by the backends too).

Every error names the argument and says what was expected, so a user who
passes a wrong shape, dtype or value learns which one and why: TypeError for a
value of the wrong kind, ValueError for a wrong shape or a value out of range.
What the ops take:

    arrays   anything np.asarray takes (lists too), non-empty; real floating
             point, except integer labels and step numbers
    dy       a real floating-point array of exactly the op's output shape
             (one that would only broadcast to it is not that output's gradient)
    numbers  finite ints or floats, NumPy's too; a bool, a string or an array is not one
    ints     ints, NumPy's too; a bool or a float is not one
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Integral, Real

import numpy as np


def as_array(x: object, name: str) -> np.ndarray:
    """np.asarray(x), with a named error for a ragged nested sequence."""
    try:
        return np.asarray(x)
    except ValueError:  # nested sequences of different lengths
        raise ValueError(f"{name}: expected an array, got a ragged nested sequence") from None


def _rank_and_size(arr: np.ndarray, name: str, ndim: int | Sequence[int] | None) -> np.ndarray:
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            ranks = " or ".join(f"{r}-D" for r in allowed)
            raise ValueError(f"{name}: expected a {ranks} array, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name}: expected a non-empty array, got shape {arr.shape}")
    return arr


def float_array(x: object, name: str, ndim: int | Sequence[int] | None = None) -> np.ndarray:
    """Return ``x`` as a non-empty real floating-point array, checking its rank."""
    arr = as_array(x, name)
    if not np.issubdtype(arr.dtype, np.floating):
        raise TypeError(f"{name}: expected a real floating-point array, got dtype {arr.dtype}")
    return _rank_and_size(arr, name, ndim)


def int_array(x: object, name: str, ndim: int | None = None) -> np.ndarray:
    """Return ``x`` as a non-empty integer array, of rank ``ndim`` if given."""
    arr = as_array(x, name)
    if not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"{name}: expected an integer array, got dtype {arr.dtype}")
    return _rank_and_size(arr, name, ndim)


def same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    if a.shape != b.shape:
        raise ValueError(f"{name_b}: expected shape {a.shape} (the shape of {name_a}), got {b.shape}")


def output_gradient(dy: object, shape: tuple[int, ...], name: str = "dy") -> np.ndarray:
    """The upstream gradient of an output of ``shape``: a real floating-point array of that shape."""
    arr = float_array(dy, name)
    if arr.shape != shape:
        raise ValueError(f"{name}: expected shape {shape} (the output's), got {arr.shape}")
    return arr


def is_int(value: object) -> bool:
    """An int or a NumPy int, not a bool."""
    return isinstance(value, Integral) and not isinstance(value, bool)


def integer(value: object, name: str, minimum: int | None = None) -> int:
    """An int (NumPy's too, not a bool or a float), >= ``minimum`` if given."""
    if not is_int(value):
        raise TypeError(f"{name}: expected an int, got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name}: expected an int >= {minimum}, got {value!r}")
    return int(value)


Pair = int | Sequence[int]  # a size given once for both spatial axes, or as (h, w)


def pair(value: Pair, name: str, minimum: int) -> tuple[int, int]:
    """Normalise an int or (h, w) pair, requiring every entry >= ``minimum``."""
    if is_int(value):
        items = (value, value)
    else:
        items = tuple(value) if isinstance(value, Sequence) or np.ndim(value) == 1 else ()
    if len(items) != 2 or not all(is_int(v) for v in items):
        raise TypeError(f"{name}: expected an int or a pair of ints, got {value!r}")
    if min(items) < minimum:
        raise ValueError(f"{name}: expected integers >= {minimum}, got {value!r}")
    return int(items[0]), int(items[1])


def array_shape(value: object, name: str = "shape") -> tuple[int, ...]:
    """The shape of an array to create: a non-empty tuple (or list) of ints >= 1."""
    if not isinstance(value, (tuple, list)) or not all(is_int(n) for n in value):
        raise TypeError(f"{name}: expected a tuple of ints, got {value!r}")
    if not value or min(value) < 1:
        raise ValueError(f"{name}: expected at least one size, each >= 1, got {value!r}")
    return tuple(int(n) for n in value)


def real(value: object, name: str) -> float:
    """A finite real number: an int or a float (NumPy's too), not a bool, a string or an array."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name}: expected a real number, got {value!r}")
    try:
        number = float(value)
    except OverflowError:  # an int beyond the float range
        number = math.inf
    if not math.isfinite(number):
        raise ValueError(f"{name}: expected a finite number, got {value!r}")
    return number


def probability(p: float, name: str = "p") -> float:
    """A drop probability must lie in [0, 1): p = 1 would divide by zero."""
    if not 0.0 <= real(p, name) < 1.0:
        raise ValueError(f"{name}: expected a probability in [0, 1), got {p!r}")
    return float(p)


def positive(value: float, name: str) -> float:
    if not real(value, name) > 0.0:
        raise ValueError(f"{name}: expected a positive number, got {value!r}")
    return float(value)


def non_negative(value: float, name: str) -> float:
    if not real(value, name) >= 0.0:
        raise ValueError(f"{name}: expected a non-negative number, got {value!r}")
    return float(value)


def choice(value: str, name: str, allowed: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name}: expected one of {', '.join(map(repr, allowed))}, got {value!r}")
    return value
