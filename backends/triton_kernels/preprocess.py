"""Input preprocessing per channel of x viewed as (N, C, S), with the channel's mean_c and
biased var_c from ``per_channel.channel_moments``:

    center:        y = x - mean_c
    standardize:   y = (x - mean_c) * (1 / (sqrt(var_c) + eps))

Subtracting the mean image is ``center`` on x reshaped to (N, C*H*W): every pixel a channel.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

from . import BLOCK
from .per_channel import as_channels, channel_moments, channel_of


@triton.jit
def center_kernel(
    x_ptr,  # (N, C, S)
    mean_ptr,  # (C,)
    y_ptr,  # out (N, C, S)
    n,  # N * C * S
    C,
    S,
    BLOCK: tl.constexpr,
):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    mean = tl.load(mean_ptr + channel_of(offs, C, S), mask=mask)
    tl.store(y_ptr + offs, tl.load(x_ptr + offs, mask=mask).to(tl.float32) - mean, mask=mask)


@triton.jit
def standardize_kernel(
    x_ptr,  # (N, C, S)
    mean_ptr,  # (C,)
    var_ptr,  # (C,) biased
    y_ptr,  # out (N, C, S)
    n,  # N * C * S
    C,
    S,
    eps,  # added to the standard deviation
    BLOCK: tl.constexpr,
):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    c = channel_of(offs, C, S)
    inv_std = 1.0 / (tl.sqrt(tl.load(var_ptr + c, mask=mask)) + eps)
    centered = tl.load(x_ptr + offs, mask=mask).to(tl.float32) - tl.load(mean_ptr + c, mask=mask)
    tl.store(y_ptr + offs, centered * inv_std, mask=mask)


def center(x: torch.Tensor) -> torch.Tensor:
    """x minus its per-channel mean, shaped like x."""
    mean, _ = channel_moments(x)
    x, _, c, s = as_channels(x)
    y = torch.empty_like(x)
    center_kernel[(triton.cdiv(x.numel(), BLOCK),)](x, mean, y, x.numel(), c, s, BLOCK=BLOCK)
    return y


def standardize(x: torch.Tensor, eps: float) -> torch.Tensor:
    """x centered and divided by its per-channel (biased) standard deviation plus eps, shaped like x."""
    mean, var = channel_moments(x)
    x, _, c, s = as_channels(x)
    y = torch.empty_like(x)
    standardize_kernel[(triton.cdiv(x.numel(), BLOCK),)](x, mean, var, y, x.numel(), c, s, eps, BLOCK=BLOCK)
    return y


# Blocking: channel_moments runs one program per channel (two passes, float32 partial sums);
# the kernels here give each program BLOCK consecutive elements and gather mean_c (and var_c)
# at (offset // S) % C.
