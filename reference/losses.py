"""Cross-entropy from logits and the mean squared error.

Cross-entropy of logits z (N, K) against targets t:

    L_n = -sum_k t_nk log softmax(z_n)_k        (t one-hot, soft, or integer labels)
    mean: L = (1/N) sum_n L_n;  sum: L = sum_n L_n
    dL/dz = (softmax(z) - t) / N   (mean)       -- the notes' y_hat - y

Mean squared error of predictions a against targets y, any shape with M elements:

    mean: L = (1/M) sum (a - y)^2,   dL/da = 2 (a - y) / M
    sum:  L = sum (a - y)^2,         dL/da = 2 (a - y)

(The notes' quadratic cost 1/(2n) sum ||y - a||^2 is 0.5 * M/n times the mean form.)
"""

from __future__ import annotations

import numpy as np

from ._validate import choice, float_array, int_array, same_shape
from .softmax import log_softmax, shifted_exp

REDUCTIONS = ("mean", "sum")


def _targets(logits: np.ndarray, target: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(labels, None) for integer labels (N,), or (None, probabilities (N, K))."""
    n, k = logits.shape
    target = np.asarray(target)
    if np.issubdtype(target.dtype, np.integer):
        labels = int_array(target, "target", ndim=1)
        if labels.shape[0] != n:
            raise ValueError(f"target: expected {n} labels (one per row of logits), got {labels.shape[0]}")
        if labels.size and (labels.min() < 0 or labels.max() >= k):
            raise ValueError(f"target: expected labels in [0, {k}), got values in [{labels.min()}, {labels.max()}]")
        return labels, None
    probs = float_array(target, "target", ndim=2)
    same_shape(logits, probs, "logits", "target")
    return None, probs.astype(logits.dtype, copy=False)


def _scale(logits: np.ndarray, reduction: str) -> float:
    return 1.0 / logits.shape[0] if choice(reduction, "reduction", REDUCTIONS) == "mean" else 1.0


def cross_entropy(logits: np.ndarray, *, target: np.ndarray, reduction: str = "mean") -> np.ndarray:
    """Scalar loss from logits (N, K) and integer labels (N,) or soft targets (N, K)."""
    logits = float_array(logits, "logits", ndim=2)
    labels, probs = _targets(logits, target)
    scale = _scale(logits, reduction)
    if labels is not None:  # -log softmax at the label only: no one-hot
        m = logits.max(axis=1)  # (N,)
        lse = m + np.log(np.exp(logits - m[:, None]).sum(axis=1))  # (N,) log-sum-exp
        return np.asarray(scale * (lse - logits[np.arange(len(labels)), labels]).sum(), dtype=logits.dtype)
    return np.asarray(-scale * (probs * log_softmax(logits, axis=1)).sum(), dtype=logits.dtype)


def cross_entropy_backward(
    dy: np.ndarray, logits: np.ndarray, *, target: np.ndarray, reduction: str = "mean"
) -> tuple[np.ndarray]:
    """dz = dy * (softmax(z) sum(t) - t) / N for the mean (no 1/N for the sum)."""
    logits = float_array(logits, "logits", ndim=2)
    labels, probs = _targets(logits, target)
    scale = np.asarray(dy, dtype=logits.dtype) * _scale(logits, reduction)
    grad, total = shifted_exp(logits, axis=1)  # softmax = grad / total, (N, K)
    if labels is not None:
        grad *= scale / total  # one pass: normalise and scale
        grad[np.arange(len(labels)), labels] -= scale
        return (grad,)
    # a soft target need not sum to one
    return (scale * (grad * (probs.sum(axis=1, keepdims=True) / total) - probs),)


def mse(pred: np.ndarray, *, target: np.ndarray, reduction: str = "mean") -> np.ndarray:
    """Scalar mean (or sum) of squared differences."""
    pred = float_array(pred, "pred")
    target = float_array(target, "target")
    same_shape(pred, target, "pred", "target")
    sq = (pred - target) ** 2
    reduce = sq.mean if choice(reduction, "reduction", REDUCTIONS) == "mean" else sq.sum
    return np.asarray(reduce(), dtype=pred.dtype)


def mse_backward(dy: np.ndarray, pred: np.ndarray, *, target: np.ndarray, reduction: str = "mean") -> tuple[np.ndarray]:
    """d pred = dy * 2 (pred - target) / M for the mean."""
    pred = float_array(pred, "pred")
    target = float_array(target, "target")
    same_shape(pred, target, "pred", "target")
    scale = 2.0 / pred.size if choice(reduction, "reduction", REDUCTIONS) == "mean" else 2.0
    return (np.asarray(dy, dtype=pred.dtype) * scale * (pred - target),)
