"""BatchNorm over x viewed as (N, C, S), with per-channel mean_c and var_c: the batch's
(``per_channel.channel_moments``) in training, the running ones in evaluation.

    forward:        y = x_hat * gamma_c + beta_c = (x - mean_c) * scale_c + beta_c
                    x_hat = (x - mean_c) / sqrt(var_c + eps),   scale_c = gamma_c / sqrt(var_c + eps)
    running stats:  running = momentum * running + (1 - momentum) * batch
    grad sums:      sum_c dy (= d beta_c)  and  sum_c dy x_hat (= d gamma_c)
    input grad:     train:  dx = scale_c * (dy - sum_c dy / M - x_hat * sum_c(dy x_hat) / M),  M = N * S
                    eval:   dx = scale_c * dy
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

from . import BLOCK
from .per_channel import as_channels, channel_element, channel_of


@triton.jit
def _scale(gamma_ptr, var_ptr, c, mask, eps):
    """gamma_c / sqrt(var_c + eps), float32 (masked-off lanes read var 1, so eps = 0 divides no 0 by 0)."""
    gamma = tl.load(gamma_ptr + c, mask=mask).to(tl.float32)
    return gamma / tl.sqrt(tl.load(var_ptr + c, mask=mask, other=1.0).to(tl.float32) + eps)


@triton.jit
def batch_norm_kernel(
    x_ptr,  # (N, C, S)
    mean_ptr,  # (C,)
    var_ptr,  # (C,)
    gamma_ptr,  # (C,)
    beta_ptr,  # (C,)
    y_ptr,  # out (N, C, S)
    n,  # N * C * S
    C,
    S,
    eps,
    BLOCK: tl.constexpr,
):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    c = channel_of(offs, C, S)
    centered = tl.load(x_ptr + offs, mask=mask).to(tl.float32) - tl.load(mean_ptr + c, mask=mask).to(tl.float32)
    y = centered * _scale(gamma_ptr, var_ptr, c, mask, eps) + tl.load(beta_ptr + c, mask=mask).to(tl.float32)
    tl.store(y_ptr + offs, y, mask=mask)


@triton.jit
def running_average_kernel(
    running_ptr,  # (C,) running statistic
    batch_ptr,  # (C,) the batch's statistic
    out_ptr,  # out (C,)
    n,  # C
    momentum,  # weight of the running value
    BLOCK: tl.constexpr,
):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    running = tl.load(running_ptr + offs, mask=mask).to(tl.float32)
    batch = tl.load(batch_ptr + offs, mask=mask).to(tl.float32)
    tl.store(out_ptr + offs, momentum * running + (1.0 - momentum) * batch, mask=mask)


@triton.jit
def batch_norm_grad_sums_kernel(
    dy_ptr,  # (N, C, S)
    x_ptr,  # (N, C, S)
    mean_ptr,  # (C,)
    var_ptr,  # (C,)
    sum_dy_ptr,  # out (C,) float32
    sum_dy_x_hat_ptr,  # out (C,) float32
    C,
    S,
    count,  # M = N * S
    eps,
    BLOCK: tl.constexpr,
):
    c = tl.program_id(0)
    mean = tl.load(mean_ptr + c).to(tl.float32)
    rstd = 1.0 / tl.sqrt(tl.load(var_ptr + c).to(tl.float32) + eps)
    acc_dy = tl.zeros((BLOCK,), dtype=tl.float32)
    acc_dy_x_hat = tl.zeros((BLOCK,), dtype=tl.float32)
    for start in range(0, count, BLOCK):
        i = start + tl.arange(0, BLOCK)
        at = channel_element(i, c, C, S)
        dy = tl.load(dy_ptr + at, mask=i < count, other=0.0).to(tl.float32)
        x = tl.load(x_ptr + at, mask=i < count, other=0.0).to(tl.float32)
        acc_dy += dy
        acc_dy_x_hat += dy * (x - mean) * rstd
    tl.store(sum_dy_ptr + c, tl.sum(acc_dy, axis=0))
    tl.store(sum_dy_x_hat_ptr + c, tl.sum(acc_dy_x_hat, axis=0))


@triton.jit
def batch_norm_train_input_grad_kernel(
    dy_ptr,  # (N, C, S)
    x_ptr,  # (N, C, S)
    mean_ptr,  # (C,) batch mean
    var_ptr,  # (C,) batch variance
    gamma_ptr,  # (C,)
    sum_dy_ptr,  # (C,)
    sum_dy_x_hat_ptr,  # (C,)
    dx_ptr,  # out (N, C, S)
    n,  # N * C * S
    C,
    S,
    count,  # M = N * S
    eps,
    BLOCK: tl.constexpr,
):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    c = channel_of(offs, C, S)
    var = tl.load(var_ptr + c, mask=mask)
    x_hat = (tl.load(x_ptr + offs, mask=mask).to(tl.float32) - tl.load(mean_ptr + c, mask=mask)) / tl.sqrt(var + eps)
    dy = tl.load(dy_ptr + offs, mask=mask).to(tl.float32)
    mean_dy = tl.load(sum_dy_ptr + c, mask=mask) / count
    mean_dy_x_hat = tl.load(sum_dy_x_hat_ptr + c, mask=mask) / count
    dx = _scale(gamma_ptr, var_ptr, c, mask, eps) * (dy - mean_dy - x_hat * mean_dy_x_hat)
    tl.store(dx_ptr + offs, dx, mask=mask)


@triton.jit
def batch_norm_eval_input_grad_kernel(
    dy_ptr,  # (N, C, S)
    var_ptr,  # (C,) running variance
    gamma_ptr,  # (C,)
    dx_ptr,  # out (N, C, S)
    n,  # N * C * S
    C,
    S,
    eps,
    BLOCK: tl.constexpr,
):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    dy = tl.load(dy_ptr + offs, mask=mask).to(tl.float32)
    tl.store(dx_ptr + offs, dy * _scale(gamma_ptr, var_ptr, channel_of(offs, C, S), mask, eps), mask=mask)


def batch_norm(
    x: torch.Tensor, mean: torch.Tensor, var: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor, eps: float
) -> torch.Tensor:
    """y = (x - mean_c) * gamma_c / sqrt(var_c + eps) + beta_c, shaped like x."""
    x, _, c, s = as_channels(x)
    y = torch.empty_like(x)
    batch_norm_kernel[(triton.cdiv(x.numel(), BLOCK),)](x, mean, var, gamma, beta, y, x.numel(), c, s, eps, BLOCK=BLOCK)
    return y


def running_average(running: torch.Tensor, batch: torch.Tensor, momentum: float) -> torch.Tensor:
    """momentum * running + (1 - momentum) * batch, in running's dtype."""
    out = torch.empty_like(running)
    running_average_kernel[(triton.cdiv(out.numel(), BLOCK),)](running, batch, out, out.numel(), momentum, BLOCK=BLOCK)
    return out


def batch_norm_grad_sums(
    dy: torch.Tensor, x: torch.Tensor, mean: torch.Tensor, var: torch.Tensor, eps: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """(sum_c dy, sum_c dy x_hat), float32 of shape (C,): d beta and d gamma."""
    x, n, c, s = as_channels(x)
    sum_dy, sum_dy_x_hat = (torch.empty(c, dtype=torch.float32, device=x.device) for _ in range(2))
    batch_norm_grad_sums_kernel[(c,)](
        dy.contiguous(), x, mean, var, sum_dy, sum_dy_x_hat, c, s, n * s, eps, BLOCK=BLOCK
    )
    return sum_dy, sum_dy_x_hat


def batch_norm_train_input_grad(
    dy: torch.Tensor,
    x: torch.Tensor,
    mean: torch.Tensor,
    var: torch.Tensor,
    gamma: torch.Tensor,
    sums: tuple[torch.Tensor, torch.Tensor],
    eps: float,
) -> torch.Tensor:
    """dx through the batch statistics, given ``sums`` from ``batch_norm_grad_sums``; shaped like x."""
    x, n, c, s = as_channels(x)
    dx = torch.empty_like(x)
    batch_norm_train_input_grad_kernel[(triton.cdiv(x.numel(), BLOCK),)](
        dy.contiguous(), x, mean, var, gamma, *sums, dx, x.numel(), c, s, n * s, eps, BLOCK=BLOCK
    )
    return dx


def batch_norm_eval_input_grad(dy: torch.Tensor, var: torch.Tensor, gamma: torch.Tensor, eps: float) -> torch.Tensor:
    """dx = dy * gamma_c / sqrt(var_c + eps) with the running variance; shaped like dy."""
    dy, _, c, s = as_channels(dy)
    dx = torch.empty_like(dy)
    batch_norm_eval_input_grad_kernel[(triton.cdiv(dy.numel(), BLOCK),)](
        dy, var, gamma, dx, dy.numel(), c, s, eps, BLOCK=BLOCK
    )
    return dx


# Blocking: the elementwise kernels give each program BLOCK consecutive elements of the flat
# (N, C, S) tensor and gather the per-channel values at (offset // S) % C. The gradient sums run
# one program per channel, walking its N * S elements in BLOCK-wide strides with float32 partial
# sums (no atomics, so the result does not depend on scheduling).
