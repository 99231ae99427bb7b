"""The add, mul and max gates of a computational graph, with broadcasting.

    add: z = a + b     da = dz,       db = dz            (distributes)
    mul: z = a * b     da = dz * b,   db = dz * a        (switches the inputs)
    max: z = max(a, b) da = dz [a > b], db = dz [b > a]  (routes to the larger)

When an input was broadcast, its gradient is summed back to its own shape.
At a == b the max gate follows the ``max_gate_tie`` convention.
"""

from __future__ import annotations

import numpy as np

from ._ties import max_weights
from .arguments import float_array, output_gradient


def _broadcast(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a, b = float_array(a, "a"), float_array(b, "b")
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"b: shape {b.shape} does not broadcast against a's shape {a.shape}") from None
    return a, b


def _upstream(dz: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """dz, which must have the shape of the output z: a and b broadcast against each other."""
    return output_gradient(dz, np.broadcast_shapes(a.shape, b.shape), "dz")


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` over the axes that broadcasting added or stretched to reach it from ``shape``."""
    extra = grad.ndim - len(shape)
    grad = grad.sum(axis=tuple(range(extra))) if extra else grad
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    return grad.sum(axis=stretched, keepdims=True) if stretched else grad


def add_gate(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = _broadcast(a, b)
    return a + b


def add_gate_backward(dz: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a, b = _broadcast(a, b)
    dz = _upstream(dz, a, b)
    return unbroadcast(dz, a.shape), unbroadcast(dz, b.shape)


def mul_gate(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = _broadcast(a, b)
    return a * b


def mul_gate_backward(dz: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a, b = _broadcast(a, b)
    dz = _upstream(dz, a, b)
    return unbroadcast(dz * b, a.shape), unbroadcast(dz * a, b.shape)


def max_gate(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = _broadcast(a, b)
    return np.maximum(a, b)


def max_gate_backward(
    dz: np.ndarray, a: np.ndarray, b: np.ndarray, *, max_gate_tie: str = "first"
) -> tuple[np.ndarray, np.ndarray]:
    a, b = _broadcast(a, b)
    wa, wb = max_weights(np.broadcast_arrays(a, b), max_gate_tie, "max_gate_tie")
    dz = _upstream(dz, a, b)
    return unbroadcast(dz * wa, a.shape), unbroadcast(dz * wb, b.shape)
