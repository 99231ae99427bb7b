"""Learning-rate schedules evaluated for a vector of step numbers t, one kernel each:

    step_decay:          lr * drop^floor(t / every)
    exponential_decay:   lr * gamma^t
    inverse_time_decay:  lr / (1 + k t)
    cosine_decay:        lr_min + (lr - lr_min) (1 + cos(pi min(t, T) / T)) / 2,  T = period,
                         computed as cos^2(pi min(t, T) / 2T): no cancellation as the angle nears pi

Powers are exp(log(base) * exponent), in float32.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

from . import BLOCK


@triton.jit
def step_decay_kernel(
    t_ptr,  # step numbers (int64), n
    out_ptr,  # out, learning rates, n
    n,
    lr,
    drop,
    every,
    BLOCK: tl.constexpr,
):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    t = tl.load(t_ptr + offs, mask=mask).to(tl.float32)
    tl.store(out_ptr + offs, lr * tl.exp(tl.log(drop) * tl.floor(t / every)), mask=mask)


@triton.jit
def exponential_decay_kernel(
    t_ptr,  # step numbers (int64), n
    out_ptr,  # out, learning rates, n
    n,
    lr,
    gamma,
    BLOCK: tl.constexpr,
):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    t = tl.load(t_ptr + offs, mask=mask).to(tl.float32)
    tl.store(out_ptr + offs, lr * tl.exp(tl.log(gamma) * t), mask=mask)


@triton.jit
def inverse_time_decay_kernel(
    t_ptr,  # step numbers (int64), n
    out_ptr,  # out, learning rates, n
    n,
    lr,
    k,
    BLOCK: tl.constexpr,
):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    t = tl.load(t_ptr + offs, mask=mask).to(tl.float32)
    tl.store(out_ptr + offs, lr / (1.0 + k * t), mask=mask)


@triton.jit
def cosine_decay_kernel(
    t_ptr,  # step numbers (int64), n
    out_ptr,  # out, learning rates, n
    n,
    lr,
    lr_min,
    period,  # T: the rate stays at lr_min from t = T on
    BLOCK: tl.constexpr,
):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    t = tl.load(t_ptr + offs, mask=mask).to(tl.float32)
    half = tl.cos(1.5707963267948966 * tl.minimum(t, period) / period)  # cos(theta / 2), theta = pi min(t, T) / T
    tl.store(out_ptr + offs, lr_min + (lr - lr_min) * half * half, mask=mask)


def _evaluate(kernel, steps: torch.Tensor, *scalars: float) -> torch.Tensor:
    out = torch.empty(steps.shape, dtype=torch.float32, device=steps.device)
    kernel[(triton.cdiv(steps.numel(), BLOCK),)](steps.contiguous(), out, steps.numel(), *scalars, BLOCK=BLOCK)
    return out


def step_decay(steps: torch.Tensor, lr: float, drop: float, every: int) -> torch.Tensor:
    return _evaluate(step_decay_kernel, steps, lr, drop, every)


def exponential_decay(steps: torch.Tensor, lr: float, gamma: float) -> torch.Tensor:
    return _evaluate(exponential_decay_kernel, steps, lr, gamma)


def inverse_time_decay(steps: torch.Tensor, lr: float, k: float) -> torch.Tensor:
    return _evaluate(inverse_time_decay_kernel, steps, lr, k)


def cosine_decay(steps: torch.Tensor, lr: float, period: int, lr_min: float) -> torch.Tensor:
    return _evaluate(cosine_decay_kernel, steps, lr, lr_min, period)


# Blocking: one program per BLOCK consecutive step numbers; float32 throughout.
