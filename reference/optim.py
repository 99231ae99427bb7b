"""Optimizers as pure steps ``(param, grad, *, state, hyper) -> (new param, new state)``.

``state`` is None on the first step. With weight decay wd, every optimizer first
sets g <- g + wd p (L2 regularisation folded into the gradient).

    sgd:          p <- p - lr g
    momentum:     v <- rho v + g;            p <- p - lr v            (the notes' form)
    nesterov:     v <- rho v + g;            p <- p - lr (g + rho v)  (look-ahead, same v)
    adagrad:      G <- G + g^2;              p <- p - lr g / (sqrt(G) + eps)
    rmsprop:      E <- rho E + (1 - rho) g^2; p <- p - lr g / (sqrt(E) + eps)
    adam:         m <- b1 m + (1 - b1) g;    v <- b2 v + (1 - b2) g^2;   t <- t + 1
                  p <- p - lr m_hat / (sqrt(v_hat) + eps),  m_hat = m / (1 - b1^t), v_hat = v / (1 - b2^t)
                  (1 - b^t computed as -expm1(t log b): no cancellation for b near 1)

Conventions: ``adagrad_eps`` / ``rmsprop_eps`` put eps inside the square root
instead; ``adam_eps`` "uncorrected" uses p <- p - lr_t m / (sqrt(v) + eps) with
lr_t = lr sqrt(1 - b2^t) / (1 - b1^t).

Learning-rate schedules map step numbers t (int array) to rates:
    step:        lr * drop^floor(t / every)
    exponential: lr * gamma^t              (= lr e^{-k t} with gamma = e^{-k})
    inverse:     lr / (1 + k t)
    cosine:      lr_min + (lr - lr_min) (1 + cos(pi t / period)) / 2,  t clipped to period
"""

from __future__ import annotations

import math

import numpy as np

from .arguments import choice, float_array, same_shape

State = dict[str, np.ndarray]
EPS_PLACES = ("outside", "inside")


def _prepare(param, grad, lr: float, weight_decay: float) -> tuple[np.ndarray, np.ndarray]:
    param = float_array(param, "param")
    grad = float_array(grad, "grad")
    same_shape(param, grad, "param", "grad")
    if not float(lr) > 0:
        raise ValueError(f"lr: expected a positive learning rate, got {lr!r}")
    if float(weight_decay) < 0:
        raise ValueError(f"weight_decay: expected a non-negative number, got {weight_decay!r}")
    return param, grad + weight_decay * param if weight_decay else grad


def _slot(state: State | None, key: str, like: np.ndarray, initial: float = 0.0) -> np.ndarray:
    return np.full_like(like, initial) if state is None else state[key]


def _rate(value: float, name: str) -> float:
    if not 0.0 <= float(value) < 1.0:
        raise ValueError(f"{name}: expected a decay rate in [0, 1), got {value!r}")
    return float(value)


def _root(acc: np.ndarray, eps: float, place: str, name: str) -> np.ndarray:
    return np.sqrt(acc) + eps if choice(place, name, EPS_PLACES) == "outside" else np.sqrt(acc + eps)


def sgd(param, grad, *, state: State | None = None, lr: float, weight_decay: float = 0.0):
    param, grad = _prepare(param, grad, lr, weight_decay)
    return param - lr * grad, {}


def sgd_momentum(
    param, grad, *, state: State | None = None, lr: float, momentum: float = 0.9, weight_decay: float = 0.0
):
    param, grad = _prepare(param, grad, lr, weight_decay)
    v = _rate(momentum, "momentum") * _slot(state, "velocity", param) + grad
    return param - lr * v, {"velocity": v}


def sgd_nesterov(
    param, grad, *, state: State | None = None, lr: float, momentum: float = 0.9, weight_decay: float = 0.0
):
    param, grad = _prepare(param, grad, lr, weight_decay)
    v = _rate(momentum, "momentum") * _slot(state, "velocity", param) + grad
    return param - lr * (grad + momentum * v), {"velocity": v}


def adagrad(
    param,
    grad,
    *,
    state: State | None = None,
    lr: float,
    eps: float = 1e-10,
    initial_accumulator: float = 0.0,
    weight_decay: float = 0.0,
    adagrad_eps: str = "outside",
):
    param, grad = _prepare(param, grad, lr, weight_decay)
    acc = _slot(state, "sum_sq", param, initial_accumulator) + grad * grad
    return param - lr * grad / _root(acc, eps, adagrad_eps, "adagrad_eps"), {"sum_sq": acc}


def rmsprop(
    param,
    grad,
    *,
    state: State | None = None,
    lr: float,
    rho: float = 0.99,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    rmsprop_eps: str = "outside",
):
    param, grad = _prepare(param, grad, lr, weight_decay)
    acc = _rate(rho, "rho") * _slot(state, "mean_sq", param) + (1.0 - rho) * grad * grad
    return param - lr * grad / _root(acc, eps, rmsprop_eps, "rmsprop_eps"), {"mean_sq": acc}


def _bias_correction(beta: float, t: int) -> float:
    """1 - beta^t, as -expm1(t log beta): for beta near 1 (0.999) the difference 1 - beta^t
    would carry beta^t's rounding error, up to 1 / (1 - beta^t) times larger relatively."""
    return 1.0 if float(beta) == 0.0 else -math.expm1(t * math.log(beta))


def adam(
    param,
    grad,
    *,
    state: State | None = None,
    lr: float,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    adam_eps: str = "corrected",
):
    param, grad = _prepare(param, grad, lr, weight_decay)
    t = 1 if state is None else int(state["step"]) + 1
    m = _rate(beta1, "beta1") * _slot(state, "m", param) + (1.0 - beta1) * grad
    v = _rate(beta2, "beta2") * _slot(state, "v", param) + (1.0 - beta2) * grad * grad
    c1, c2 = _bias_correction(beta1, t), _bias_correction(beta2, t)
    if choice(adam_eps, "adam_eps", ("corrected", "uncorrected")) == "corrected":
        update = lr * (m / c1) / (np.sqrt(v / c2) + eps)
    else:
        update = lr * math.sqrt(c2) / c1 * m / (np.sqrt(v) + eps)  # a Python float keeps float32 float32
    return param - update, {"m": m, "v": v, "step": np.asarray(t)}


def _steps(steps) -> np.ndarray:
    steps = np.asarray(steps)
    if not np.issubdtype(steps.dtype, np.integer) or (steps.size and steps.min() < 0):
        raise ValueError(f"steps: expected non-negative integer step numbers, got {steps!r}")
    return steps.astype(np.float64)


def step_decay(*, steps, lr: float, drop: float, every: int) -> np.ndarray:
    if int(every) < 1:
        raise ValueError(f"every: expected a positive number of steps, got {every!r}")
    return lr * drop ** np.floor(_steps(steps) / every)


def exponential_decay(*, steps, lr: float, gamma: float) -> np.ndarray:
    return lr * gamma ** _steps(steps)


def inverse_time_decay(*, steps, lr: float, k: float) -> np.ndarray:
    return lr / (1.0 + k * _steps(steps))


def cosine_decay(*, steps, lr: float, period: int, lr_min: float = 0.0) -> np.ndarray:
    if int(period) < 1:
        raise ValueError(f"period: expected a positive number of steps, got {period!r}")
    t = np.minimum(_steps(steps), period)
    return lr_min + (lr - lr_min) * (1.0 + np.cos(np.pi * t / period)) / 2.0
