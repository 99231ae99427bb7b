"""Weight penalties added to the loss, and their gradients.

L1:          R = l1 sum |w|                  dR/dw = l1 s(w)
             s(w) = sign(w) away from 0; at w = 0 by ``l1_grad_at_zero``:
             0 ("zero", textbook), 1 ("one") or -1 ("minus_one")
L2:          R = (l2 / 2) sum w^2            dR/dw = l2 w         (``l2_scale`` "half")
             R = l2 sum w^2                  dR/dw = 2 l2 w       (``l2_scale`` "full", Keras)
elastic net: R = L1 + L2

The strengths l1 and l2 are finite and >= 0.
"""

from __future__ import annotations

import numpy as np

from .arguments import choice, float_array, non_negative, output_gradient

L2_SCALES = ("half", "full")
SIGN_AT_ZERO = {"zero": 0.0, "one": 1.0, "minus_one": -1.0}


def _l2_factor(l2_scale: str) -> float:
    return 0.5 if choice(l2_scale, "l2_scale", L2_SCALES) == "half" else 1.0


def _sign(w: np.ndarray, at_zero: float) -> np.ndarray:
    """sign(w), with ``at_zero`` where w == 0."""
    return np.where(w == 0, at_zero, np.sign(w))


def elastic_net_penalty(w: np.ndarray, *, l1: float, l2: float, l2_scale: str = "half") -> np.ndarray:
    w = float_array(w, "w")
    l1, l2, factor = non_negative(l1, "l1"), non_negative(l2, "l2"), _l2_factor(l2_scale)
    # a term of strength 0 adds exactly 0: it is not computed (l1_penalty, l2_penalty)
    value = (l1 * np.abs(w).sum() if l1 else 0.0) + (l2 * factor * (w * w).sum() if l2 else 0.0)
    return np.asarray(value, dtype=w.dtype)


def elastic_net_penalty_backward(
    dy: np.ndarray, w: np.ndarray, *, l1: float, l2: float, l2_scale: str = "half", l1_grad_at_zero: str = "zero"
) -> tuple[np.ndarray]:
    w = float_array(w, "w")
    l1, l2, factor = non_negative(l1, "l1"), non_negative(l2, "l2"), _l2_factor(l2_scale)
    at_zero = SIGN_AT_ZERO[choice(l1_grad_at_zero, "l1_grad_at_zero", tuple(SIGN_AT_ZERO))]
    grad = np.zeros_like(w)  # l1 s(w) + 2 l2 factor w, without a term of strength 0
    if l1:
        grad += l1 * _sign(w, at_zero)
    if l2:
        grad += 2.0 * l2 * factor * w
    return (np.asarray(output_gradient(dy, ()), dtype=w.dtype) * grad,)


def l1_penalty(w: np.ndarray, *, l1: float) -> np.ndarray:
    return elastic_net_penalty(w, l1=l1, l2=0.0)


def l1_penalty_backward(
    dy: np.ndarray, w: np.ndarray, *, l1: float, l1_grad_at_zero: str = "zero"
) -> tuple[np.ndarray]:
    return elastic_net_penalty_backward(dy, w, l1=l1, l2=0.0, l1_grad_at_zero=l1_grad_at_zero)


def l2_penalty(w: np.ndarray, *, l2: float, l2_scale: str = "half") -> np.ndarray:
    return elastic_net_penalty(w, l1=0.0, l2=l2, l2_scale=l2_scale)


def l2_penalty_backward(dy: np.ndarray, w: np.ndarray, *, l2: float, l2_scale: str = "half") -> tuple[np.ndarray]:
    return elastic_net_penalty_backward(dy, w, l1=0.0, l2=l2, l2_scale=l2_scale)
