"""Per-channel statistics shared by BatchNorm, PReLU's slope gradient and preprocessing.

x of shape (N, C, *spatial) is viewed as (N, C, S), S = prod(spatial) (1 for (N, D)
inputs); channel c owns the M = N * S elements x[n, c, s]:

    mean_c = sum x[:, c, :] / M
    var_c  = sum (x[:, c, :] - mean_c)^2 / M        (biased, two passes)
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

from . import BLOCK


@triton.jit
def channel_element(i, c, C, S):
    """Offset in (N, C, S) of the i-th element (counting over N * S) of channel c."""
    return (i // S) * C * S + c * S + i % S


@triton.jit
def channel_of(offs, C, S):
    """Channel of each flat offset into (N, C, S)."""
    return (offs // S) % C


@triton.jit
def channel_moments_kernel(
    x_ptr,  # (N, C, S)
    mean_ptr,  # out (C,) float32
    var_ptr,  # out (C,) float32, biased
    C,
    S,
    count,  # M = N * S
    BLOCK: tl.constexpr,
):
    c = tl.program_id(0)
    acc = tl.zeros((BLOCK,), dtype=tl.float32)
    for start in range(0, count, BLOCK):
        i = start + tl.arange(0, BLOCK)
        acc += tl.load(x_ptr + channel_element(i, c, C, S), mask=i < count, other=0.0).to(tl.float32)
    mean = tl.sum(acc, axis=0) / count
    acc = tl.zeros((BLOCK,), dtype=tl.float32)
    for start in range(0, count, BLOCK):
        i = start + tl.arange(0, BLOCK)
        d = tl.load(x_ptr + channel_element(i, c, C, S), mask=i < count, other=0.0).to(tl.float32) - mean
        acc += tl.where(i < count, d * d, 0.0)
    tl.store(mean_ptr + c, mean)
    tl.store(var_ptr + c, tl.sum(acc, axis=0) / count)


def as_channels(x: torch.Tensor) -> tuple[torch.Tensor, int, int, int]:
    """x made contiguous, with its (N, C, S)."""
    x = x.contiguous()
    n, c = x.shape[0], x.shape[1]
    return x, n, c, x.numel() // (n * c)


def channel_moments(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(mean, biased variance) of each channel, float32 of shape (C,)."""
    x, n, c, s = as_channels(x)
    mean, var = (torch.empty(c, dtype=torch.float32, device=x.device) for _ in range(2))
    channel_moments_kernel[(c,)](x, mean, var, c, s, n * s, BLOCK=BLOCK)
    return mean, var


# Blocking: one program per channel walks its N * S elements in BLOCK-wide strides, twice
# (mean, then the mean squared deviation), keeping BLOCK float32 partial sums. Accurate for
# large N * H * W where a one-pass E[x^2] - E[x]^2 would cancel; deterministic (no atomics).
