"""Batch normalization for (N, D) and (N, C, H, W); statistics over every axis but 1.

Train mode, M = number of elements per channel (N, or N H W; x is non-empty, so M >= 1):
    mu = mean(x),  var = mean((x - mu)^2)                  (biased, used to normalise)
    x_hat = (x - mu) / sqrt(var + eps),   y = gamma x_hat + beta
    running stats, by the ``bn_momentum`` convention with momentum m:
        old: r <- m r + (1 - m) s      (the notes, m = 0.9)
        new: r <- (1 - m) r + m s      (PyTorch, m = 0.1)
    where s is mu, and var or var M/(M-1) by the ``bn_running_var`` convention.
Backward (train), with g = dy gamma:
    dx = (1/M) / sqrt(var + eps) * (M g - sum g - x_hat sum(g x_hat))
    dgamma = sum dy x_hat,  dbeta = sum dy
For M = 2 the bracket is (eps / (var + eps)) (2 g - sum g) exactly (x_hat = +-sqrt(var / (var + eps))):
computed as written, everything but that eps part cancels and var / eps ulps are lost (1e5 for
eps = 2^-17), so the reference uses the closed form.
Eval mode normalises with the running statistics, a fixed affine map:
    y = gamma (x - r_mu) / sqrt(r_var + eps) + beta,   dx = dy gamma / sqrt(r_var + eps)
"""

from __future__ import annotations

import numpy as np

from .arguments import choice, float_array, output_gradient, positive, real

RUNNING_VAR = ("biased", "unbiased")
MOMENTUM = ("old", "new")


def _channel_shape(x: np.ndarray) -> tuple[int, ...]:
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


def _check(x, gamma, beta, running_mean, running_var, eps):
    x = float_array(x, "x", ndim=(2, 4))
    c = x.shape[1]
    arrays = {"gamma": gamma, "beta": beta, "running_mean": running_mean, "running_var": running_var}
    checked = []
    for name, value in arrays.items():
        arr = float_array(value, name, ndim=1)
        if arr.shape != (c,):
            raise ValueError(f"{name}: expected shape ({c},) (one entry per channel of x), got {arr.shape}")
        if name == "running_var" and np.any(arr < 0):
            raise ValueError(f"running_var: expected non-negative variances, got {arr}")
        checked.append(arr.reshape(_channel_shape(x)))
    positive(eps, "eps")
    return x, *checked


def _check_train(momentum: float, bn_running_var: str, bn_momentum: str) -> None:
    """The train-mode keywords that forward and backward share."""
    if not 0.0 <= real(momentum, "momentum") <= 1.0:
        raise ValueError(f"momentum: expected a number in [0, 1], got {momentum!r}")
    choice(bn_running_var, "bn_running_var", RUNNING_VAR)
    choice(bn_momentum, "bn_momentum", MOMENTUM)


def _batch_stats(x: np.ndarray, eps: float):
    axes = tuple(i for i in range(x.ndim) if i != 1)
    mu = x.mean(axis=axes, keepdims=True)
    x_hat = x - mu  # centred, normalised in place below
    var = np.square(x_hat).mean(axis=axes, keepdims=True)
    x_hat /= np.sqrt(var + eps)
    return axes, mu, var, x_hat


def batch_norm_train(
    x: np.ndarray,
    gamma: np.ndarray,
    beta: np.ndarray,
    *,
    running_mean: np.ndarray,
    running_var: np.ndarray,
    momentum: float = 0.9,
    eps: float = 1e-5,
    bn_running_var: str = "biased",
    bn_momentum: str = "old",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (y, new running_mean, new running_var)."""
    x, gamma, beta, r_mean, r_var = _check(x, gamma, beta, running_mean, running_var, eps)
    _check_train(momentum, bn_running_var, bn_momentum)
    _axes, mu, var, x_hat = _batch_stats(x, eps)
    m = x.size // x.shape[1]
    if choice(bn_running_var, "bn_running_var", RUNNING_VAR) == "unbiased":
        if m < 2:
            raise ValueError(f"x: the unbiased running variance needs at least 2 values per channel, got {m}")
        var_for_running = var * m / (m - 1)
    else:
        var_for_running = var
    keep = momentum if choice(bn_momentum, "bn_momentum", MOMENTUM) == "old" else 1.0 - momentum
    new_mean = keep * r_mean + (1.0 - keep) * mu
    new_var = keep * r_var + (1.0 - keep) * var_for_running
    return gamma * x_hat + beta, new_mean.ravel(), new_var.ravel()


def batch_norm_train_backward(
    dy: np.ndarray,
    x: np.ndarray,
    gamma: np.ndarray,
    beta: np.ndarray,
    *,
    running_mean: np.ndarray,
    running_var: np.ndarray,
    momentum: float = 0.9,
    eps: float = 1e-5,
    bn_running_var: str = "biased",
    bn_momentum: str = "old",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of y only; the running-statistic arguments are accepted so forward and
    backward share one argument list, but carry no gradient."""
    x, gamma, _, _, _ = _check(x, gamma, beta, running_mean, running_var, eps)
    _check_train(momentum, bn_running_var, bn_momentum)
    dy = output_gradient(dy, x.shape)
    axes, _, var, x_hat = _batch_stats(x, eps)
    m = x.size // x.shape[1]
    g = dy * gamma
    if m == 2:  # the centred data span the zero-mean space: all but eps cancels (module docstring)
        dx = (g - g.sum(axis=axes, keepdims=True) / 2) * (eps / (var + eps)) / np.sqrt(var + eps)
    else:
        dx = (m * g - g.sum(axis=axes, keepdims=True) - x_hat * (g * x_hat).sum(axis=axes, keepdims=True)) / (
            m * np.sqrt(var + eps)
        )
    return dx, (dy * x_hat).sum(axis=axes), dy.sum(axis=axes)


def batch_norm_eval(
    x: np.ndarray,
    gamma: np.ndarray,
    beta: np.ndarray,
    *,
    running_mean: np.ndarray,
    running_var: np.ndarray,
    eps: float = 1e-5,
) -> np.ndarray:
    x, gamma, beta, r_mean, r_var = _check(x, gamma, beta, running_mean, running_var, eps)
    # gamma (x - r_mean) / sqrt(r_var + eps) + beta, in that order, in one buffer
    y = np.subtract(x, r_mean, dtype=np.result_type(x, gamma, beta, r_mean, r_var))
    y *= gamma
    y /= np.sqrt(r_var + eps)
    y += beta
    return y


def batch_norm_eval_backward(
    dy: np.ndarray,
    x: np.ndarray,
    gamma: np.ndarray,
    beta: np.ndarray,
    *,
    running_mean: np.ndarray,
    running_var: np.ndarray,
    eps: float = 1e-5,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x, gamma, _, r_mean, r_var = _check(x, gamma, beta, running_mean, running_var, eps)
    axes = tuple(i for i in range(x.ndim) if i != 1)
    inv_std = 1.0 / np.sqrt(r_var + eps)
    dy = output_gradient(dy, x.shape)
    return dy * gamma * inv_std, (dy * (x - r_mean) * inv_std).sum(axis=axes), dy.sum(axis=axes)
