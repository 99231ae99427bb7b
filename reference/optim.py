"""Optimizers as pure steps ``(param, grad, *, state, hyper) -> (new param, new state)``.

``state`` is None on the first step, then what the same optimizer's previous step
returned: its own keys, arrays shaped like the parameter (Adam's step count an
int >= 0). With weight decay wd, every optimizer first sets g <- g + wd p (L2
regularisation folded into the gradient).

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

Ranges: lr > 0, weight_decay >= 0, eps > 0, momentum, rho, beta1 and beta2 in [0, 1),
initial_accumulator >= 0; every number finite.

Learning-rate schedules map step numbers t (non-negative int array) to rates, with lr > 0,
decay factors drop and gamma in (0, 1], k >= 0, every and period ints >= 1, 0 <= lr_min <= lr:
    step:        lr * drop^floor(t / every)
    exponential: lr * gamma^t              (= lr e^{-k t} with gamma = e^{-k})
    inverse:     lr / (1 + k t)
    cosine:      lr_min + (lr - lr_min) (1 + cos(pi t / period)) / 2,  t clipped to period
"""

from __future__ import annotations

import math

import numpy as np

from .arguments import choice, float_array, int_array, integer, non_negative, positive, real, same_shape

State = dict[str, np.ndarray]
EPS_PLACES = ("outside", "inside")
SQUARES = ("sum_sq", "mean_sq", "v")  # accumulated g^2: never negative


def _prepare(param, grad, lr: float, weight_decay: float) -> tuple[np.ndarray, np.ndarray]:
    param = float_array(param, "param")
    grad = float_array(grad, "grad")
    same_shape(param, grad, "param", "grad")
    positive(lr, "lr")
    non_negative(weight_decay, "weight_decay")
    return param, grad + weight_decay * param if weight_decay else grad


def _state(state: State | None, param: np.ndarray, optimizer: str, keys: tuple[str, ...] = ()) -> State | None:
    """None on a first step, else the state a previous ``optimizer`` step returned: exactly ``keys``."""
    if state is None:
        return None
    if not isinstance(state, dict):
        raise TypeError(f"state: expected None or the dict a previous {optimizer} step returned, got {state!r}")
    if set(state) != set(keys):
        raise ValueError(f"state: expected {optimizer}'s state, with keys {keys}, got keys {tuple(state)}")
    checked = {}
    for key in keys:
        name = f"state[{key!r}]"
        if key == "step":
            checked[key] = int_array(state[key], name, ndim=0)
            if checked[key] < 0:
                raise ValueError(f"{name}: expected a step count >= 0, got {state[key]!r}")
            continue
        checked[key] = float_array(state[key], name)
        same_shape(param, checked[key], "param", name)
        if key in SQUARES and np.any(checked[key] < 0):
            raise ValueError(f"{name}: expected a non-negative accumulation of squared gradients")
    return checked


def _slot(state: State | None, key: str, like: np.ndarray, initial: float = 0.0) -> np.ndarray:
    return np.full_like(like, initial) if state is None else state[key]


def _rate(value: float, name: str) -> float:
    if not 0.0 <= real(value, name) < 1.0:
        raise ValueError(f"{name}: expected a decay rate in [0, 1), got {value!r}")
    return float(value)


def _factor(value: float, name: str) -> float:
    if not 0.0 < real(value, name) <= 1.0:
        raise ValueError(f"{name}: expected a decay factor in (0, 1], got {value!r}")
    return float(value)


def _root(acc: np.ndarray, eps: float, place: str, name: str) -> np.ndarray:
    return np.sqrt(acc) + eps if choice(place, name, EPS_PLACES) == "outside" else np.sqrt(acc + eps)


def sgd(param, grad, *, state: State | None = None, lr: float, weight_decay: float = 0.0):
    param, grad = _prepare(param, grad, lr, weight_decay)
    _state(state, param, "sgd")
    return param - lr * grad, {}


def sgd_momentum(
    param, grad, *, state: State | None = None, lr: float, momentum: float = 0.9, weight_decay: float = 0.0
):
    param, grad = _prepare(param, grad, lr, weight_decay)
    state = _state(state, param, "sgd_momentum", ("velocity",))
    v = _rate(momentum, "momentum") * _slot(state, "velocity", param) + grad
    return param - lr * v, {"velocity": v}


def sgd_nesterov(
    param, grad, *, state: State | None = None, lr: float, momentum: float = 0.9, weight_decay: float = 0.0
):
    param, grad = _prepare(param, grad, lr, weight_decay)
    state = _state(state, param, "sgd_nesterov", ("velocity",))
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
    state = _state(state, param, "adagrad", ("sum_sq",))
    positive(eps, "eps")
    non_negative(initial_accumulator, "initial_accumulator")
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
    state = _state(state, param, "rmsprop", ("mean_sq",))
    positive(eps, "eps")
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
    state = _state(state, param, "adam", ("m", "v", "step"))
    positive(eps, "eps")
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
    steps = int_array(steps, "steps")
    if steps.min() < 0:
        raise ValueError(f"steps: expected non-negative step numbers, got values down to {steps.min()}")
    return steps.astype(np.float64)


def step_decay(*, steps, lr: float, drop: float, every: int) -> np.ndarray:
    positive(lr, "lr")
    _factor(drop, "drop")
    integer(every, "every", minimum=1)
    return lr * drop ** np.floor(_steps(steps) / every)


def exponential_decay(*, steps, lr: float, gamma: float) -> np.ndarray:
    positive(lr, "lr")
    _factor(gamma, "gamma")
    return lr * gamma ** _steps(steps)


def inverse_time_decay(*, steps, lr: float, k: float) -> np.ndarray:
    positive(lr, "lr")
    non_negative(k, "k")
    return lr / (1.0 + k * _steps(steps))


def cosine_decay(*, steps, lr: float, period: int, lr_min: float = 0.0) -> np.ndarray:
    positive(lr, "lr")
    integer(period, "period", minimum=1)
    if not 0.0 <= real(lr_min, "lr_min") <= lr:
        raise ValueError(f"lr_min: expected a number in [0, lr] = [0, {lr}], got {lr_min!r}")
    t = np.minimum(_steps(steps), period)
    return lr_min + (lr - lr_min) * (1.0 + np.cos(np.pi * t / period)) / 2.0
