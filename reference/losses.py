"""Cross-entropy from logits and the mean squared error.

Cross-entropy of logits z (N, K) against targets t:

    L_n = -sum_k t_nk log softmax(z_n)_k        (t one-hot, soft, or integer labels)
    mean: L = (1/N) sum_n L_n;  sum: L = sum_n L_n
    dL/dz = (softmax(z) - t) / N   (mean)       -- the notes' y_hat - y

Mean squared error of predictions a against targets y, any shape with M elements:

    mean: L = (1/M) sum (a - y)^2,   dL/da = 2 (a - y) / M
    sum:  L = sum (a - y)^2,         dL/da = 2 (a - y)

(The notes' quadratic cost 1/(2n) sum ||y - a||^2 is 0.5 * M/n times the mean form.)

A confident, correct prediction (y_hat_k = 1 - e^-22 at the label k) is where
the loss and y_hat_k - 1 are small by cancellation. With e_j = exp(z_j - max z)
the reference computes, with no difference of nearly equal numbers,

    L_n = (max z - z_label) + log1p(sum_{j != argmax} e_j)
    y_hat_k - 1 = -(sum_{j != k} e_j) / sum_j e_j                     (integer labels)
    y_hat_i T - t_i = (e_i T'_i - t_i S'_i) / S,  T'_i = sum_{j != i} t_j,  S'_i = sum_{j != i} e_j
"""

from __future__ import annotations

import numpy as np

from .arguments import as_array, choice, float_array, int_array, output_gradient, same_shape
from .softmax import log_softmax, shifted_exp, shifted_exp_rest

REDUCTIONS = ("mean", "sum")


def _targets(logits: np.ndarray, target: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(labels, None) for integer labels (N,), or (None, probabilities (N, K))."""
    n, k = logits.shape
    if np.issubdtype(as_array(target, "target").dtype, np.integer):
        labels = int_array(target, "target", ndim=1)
        if labels.shape[0] != n:
            raise ValueError(f"target: expected {n} labels (one per row of logits), got {labels.shape[0]}")
        if labels.min() < 0 or labels.max() >= k:
            raise ValueError(
                f"target: expected labels in [0, {k}) (logits has {k} classes), "
                f"got values in [{labels.min()}, {labels.max()}]"
            )
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
        _, m, _, rest = shifted_exp_rest(logits, axis=1)  # rest = sum_{j != argmax} e_j, (N, 1)
        # (m - z_label) + log1p(rest): log-sum-exp minus z_label without subtracting nearly equal
        # numbers; for a confident correct row the loss is log1p(e^-22), not log(1 + e^-22) = 0
        margin = m[:, 0] - logits[np.arange(len(labels)), labels]
        return np.asarray(scale * (margin + np.log1p(rest[:, 0])).sum(), dtype=logits.dtype)
    return np.asarray(-scale * (probs * log_softmax(logits, axis=1)).sum(), dtype=logits.dtype)


def cross_entropy_backward(
    dy: np.ndarray, logits: np.ndarray, *, target: np.ndarray, reduction: str = "mean"
) -> tuple[np.ndarray]:
    """dz = dy * (softmax(z) sum(t) - t) / N for the mean (no 1/N for the sum)."""
    logits = float_array(logits, "logits", ndim=2)
    labels, probs = _targets(logits, target)
    scale = np.asarray(output_gradient(dy, ()), dtype=logits.dtype) * _scale(logits, reduction)
    grad, total = shifted_exp(logits, axis=1)  # softmax = grad / total, (N, K)
    if labels is not None:
        rows = np.arange(len(labels))
        grad[rows, labels] = 0.0
        rest = grad.sum(axis=1)  # sum_{j != label} e_j
        grad *= scale / total  # one pass: normalise and scale
        # y_hat - 1 at the label as -rest / total: the difference would keep nothing of 1 - y_hat
        grad[rows, labels] = -scale * rest / total[:, 0]
        return (grad,)
    # a soft target need not sum to one: y_hat_i T - t_i = (e_i T'_i - t_i S'_i) / S, each "sum of
    # the others" found without cancelling; y_hat_i T - t_i cancels for a (near) one-hot target
    return (scale * (grad * _sum_of_others(probs) - probs * _sum_of_others(grad)) / total,)


def _sum_of_others(a: np.ndarray) -> np.ndarray:
    """sum_{j != i} a_nj for every (n, i), a >= 0: total - a_ni, which loses at most a factor 2
    to cancellation, except at each row's largest entry, where it could lose everything; there
    the others are summed directly."""
    rows, top = np.arange(a.shape[0]), a.argmax(axis=1)
    others = a.copy()
    others[rows, top] = 0.0
    rest = others.sum(axis=1)  # sum without the largest
    out = (rest + a[rows, top])[:, None] - a
    out[rows, top] = rest
    return out


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
    return (np.asarray(output_gradient(dy, ()), dtype=pred.dtype) * scale * (pred - target),)
