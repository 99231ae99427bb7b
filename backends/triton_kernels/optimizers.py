"""Fused optimizer steps, one kernel per optimizer, each one launch per parameter tensor.

With g = grad + weight_decay * p (coupled weight decay):

    sgd        p -= lr g
    momentum   v = rho v + g;                 p -= lr v
    nesterov   v = rho v + g;                 p -= lr (g + rho v)
    adagrad    s += g^2;                      p -= lr g / (sqrt(s) + eps)
    rmsprop    s = rho s + (1 - rho) g^2;     p -= lr g / (sqrt(s) + eps)
    adam       m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
               p -= lr (m / c1) / (sqrt(v / c2) + eps),   c1 = 1 - b1^t, c2 = 1 - b2^t at step t

The kernels update p and the state in place (float32 arithmetic, stored in p's dtype);
the launchers keep the backend's pure-step contract by updating copies.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

from . import BLOCK

State = dict[str, torch.Tensor | int]


@triton.jit
def _decayed_grad(p_ptr, g_ptr, offs, mask, weight_decay):
    """(p, g + weight_decay * p), float32."""
    p = tl.load(p_ptr + offs, mask=mask).to(tl.float32)
    return p, tl.load(g_ptr + offs, mask=mask).to(tl.float32) + weight_decay * p


@triton.jit
def sgd_kernel(
    p_ptr,  # parameter, n elements, in place
    g_ptr,  # gradient, n elements
    n,
    lr,
    weight_decay,
    BLOCK: tl.constexpr,
):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    p, g = _decayed_grad(p_ptr, g_ptr, offs, mask, weight_decay)
    tl.store(p_ptr + offs, p - lr * g, mask=mask)


@triton.jit
def momentum_kernel(
    p_ptr,  # parameter, n elements, in place
    g_ptr,  # gradient, n elements
    v_ptr,  # velocity, n elements, in place
    n,
    lr,
    weight_decay,
    rho,  # momentum
    BLOCK: tl.constexpr,
):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    p, g = _decayed_grad(p_ptr, g_ptr, offs, mask, weight_decay)
    v = rho * tl.load(v_ptr + offs, mask=mask).to(tl.float32) + g
    tl.store(v_ptr + offs, v, mask=mask)
    tl.store(p_ptr + offs, p - lr * v, mask=mask)


@triton.jit
def nesterov_kernel(
    p_ptr,  # parameter, n elements, in place
    g_ptr,  # gradient, n elements
    v_ptr,  # velocity, n elements, in place
    n,
    lr,
    weight_decay,
    rho,  # momentum
    BLOCK: tl.constexpr,
):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    p, g = _decayed_grad(p_ptr, g_ptr, offs, mask, weight_decay)
    v = rho * tl.load(v_ptr + offs, mask=mask).to(tl.float32) + g
    tl.store(v_ptr + offs, v, mask=mask)
    tl.store(p_ptr + offs, p - lr * (g + rho * v), mask=mask)


@triton.jit
def adagrad_kernel(
    p_ptr,  # parameter, n elements, in place
    g_ptr,  # gradient, n elements
    s_ptr,  # sum of squared gradients, n elements, in place
    n,
    lr,
    weight_decay,
    eps,
    BLOCK: tl.constexpr,
):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    p, g = _decayed_grad(p_ptr, g_ptr, offs, mask, weight_decay)
    s = tl.load(s_ptr + offs, mask=mask).to(tl.float32) + g * g
    tl.store(s_ptr + offs, s, mask=mask)
    tl.store(p_ptr + offs, p - lr * g / (tl.sqrt(s) + eps), mask=mask)


@triton.jit
def rmsprop_kernel(
    p_ptr,  # parameter, n elements, in place
    g_ptr,  # gradient, n elements
    s_ptr,  # mean square of the gradients, n elements, in place
    n,
    lr,
    weight_decay,
    rho,  # decay of the mean square
    eps,
    BLOCK: tl.constexpr,
):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    p, g = _decayed_grad(p_ptr, g_ptr, offs, mask, weight_decay)
    s = rho * tl.load(s_ptr + offs, mask=mask).to(tl.float32) + (1.0 - rho) * g * g
    tl.store(s_ptr + offs, s, mask=mask)
    tl.store(p_ptr + offs, p - lr * g / (tl.sqrt(s) + eps), mask=mask)


@triton.jit
def adam_kernel(
    p_ptr,  # parameter, n elements, in place
    g_ptr,  # gradient, n elements
    m_ptr,  # first moment, n elements, in place
    v_ptr,  # second moment, n elements, in place
    n,
    lr,
    weight_decay,
    beta1,
    beta2,
    eps,
    c1,  # bias corrections 1 - beta^t
    c2,
    BLOCK: tl.constexpr,
):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    p, g = _decayed_grad(p_ptr, g_ptr, offs, mask, weight_decay)
    m = beta1 * tl.load(m_ptr + offs, mask=mask).to(tl.float32) + (1.0 - beta1) * g
    v = beta2 * tl.load(v_ptr + offs, mask=mask).to(tl.float32) + (1.0 - beta2) * g * g
    tl.store(m_ptr + offs, m, mask=mask)
    tl.store(v_ptr + offs, v, mask=mask)
    tl.store(p_ptr + offs, p - lr * (m / c1) / (tl.sqrt(v / c2) + eps), mask=mask)


def _grid(p: torch.Tensor) -> tuple[int]:
    return (triton.cdiv(p.numel(), BLOCK),)


def _copies(param: torch.Tensor, state: State | None, **initial: float) -> tuple[torch.Tensor, State]:
    """Copies of param and of each named state slot (new slots filled with their initial value),
    with the step count t advanced."""
    p = param.contiguous().clone()
    if state is None:
        slots: State = {name: torch.full_like(p, value) for name, value in initial.items()}
        return p, {"t": 1, **slots}
    return p, {"t": state["t"] + 1, **{name: state[name].clone() for name in initial}}


def sgd(
    param: torch.Tensor, grad: torch.Tensor, state: State | None, *, lr: float, weight_decay: float
) -> tuple[torch.Tensor, State]:
    """Each launcher takes one step on copies of param and state, and returns (param, state)."""
    p, state = _copies(param, state)
    sgd_kernel[_grid(p)](p, grad.contiguous(), p.numel(), lr, weight_decay, BLOCK=BLOCK)
    return p, state


def sgd_momentum(
    param: torch.Tensor, grad: torch.Tensor, state: State | None, *, lr: float, momentum: float, weight_decay: float
) -> tuple[torch.Tensor, State]:
    p, state = _copies(param, state, velocity=0.0)
    momentum_kernel[_grid(p)](
        p, grad.contiguous(), state["velocity"], p.numel(), lr, weight_decay, momentum, BLOCK=BLOCK
    )
    return p, state


def sgd_nesterov(
    param: torch.Tensor, grad: torch.Tensor, state: State | None, *, lr: float, momentum: float, weight_decay: float
) -> tuple[torch.Tensor, State]:
    p, state = _copies(param, state, velocity=0.0)
    nesterov_kernel[_grid(p)](
        p, grad.contiguous(), state["velocity"], p.numel(), lr, weight_decay, momentum, BLOCK=BLOCK
    )
    return p, state


def adagrad(
    param: torch.Tensor,
    grad: torch.Tensor,
    state: State | None,
    *,
    lr: float,
    eps: float,
    initial_accumulator: float,
    weight_decay: float,
) -> tuple[torch.Tensor, State]:
    p, state = _copies(param, state, sum_sq=initial_accumulator)
    adagrad_kernel[_grid(p)](p, grad.contiguous(), state["sum_sq"], p.numel(), lr, weight_decay, eps, BLOCK=BLOCK)
    return p, state


def rmsprop(
    param: torch.Tensor,
    grad: torch.Tensor,
    state: State | None,
    *,
    lr: float,
    rho: float,
    eps: float,
    weight_decay: float,
) -> tuple[torch.Tensor, State]:
    p, state = _copies(param, state, mean_sq=0.0)
    rmsprop_kernel[_grid(p)](p, grad.contiguous(), state["mean_sq"], p.numel(), lr, weight_decay, rho, eps, BLOCK=BLOCK)
    return p, state


def adam_in_place(
    p: torch.Tensor,
    g: torch.Tensor,
    m: torch.Tensor,
    v: torch.Tensor,
    t: int,
    *,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float = 0.0,
) -> None:
    """Step t (counting from 1) of Adam, updating the contiguous p, m and v in place."""
    c1, c2 = 1.0 - beta1**t, 1.0 - beta2**t
    adam_kernel[_grid(p)](p, g, m, v, p.numel(), lr, weight_decay, beta1, beta2, eps, c1, c2, BLOCK=BLOCK)


def adam(
    param: torch.Tensor,
    grad: torch.Tensor,
    state: State | None,
    *,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
) -> tuple[torch.Tensor, State]:
    p, state = _copies(param, state, m=0.0, v=0.0)
    adam_in_place(
        p,
        grad.contiguous(),
        state["m"],
        state["v"],
        state["t"],
        lr=lr,
        beta1=beta1,
        beta2=beta2,
        eps=eps,
        weight_decay=weight_decay,
    )
    return p, state


# Blocking: one program per BLOCK consecutive elements of the flattened parameter; each
# element reads p, g and its state once and writes them once (memory-bound, fully fused).
