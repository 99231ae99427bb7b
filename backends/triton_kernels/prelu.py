"""PReLU with one learned slope per channel of x viewed as (N, C, S), or one shared slope.

forward:      y = x if x > 0 else alpha_c x
input grad:   dx = dy if x > 0 else alpha_c dy
slope grad:   d alpha_c = sum over channel c of dy x where x <= 0
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

from . import BLOCK
from .per_channel import as_channels, channel_element, channel_of


@triton.jit
def prelu_kernel(
    src_ptr,  # x (forward) or dy (input grad), (N, C, S)
    x_ptr,  # (N, C, S): its sign picks the slope
    alpha_ptr,  # (C,)
    out_ptr,  # out (N, C, S): src where x > 0, else alpha_c src
    n,  # N * C * S
    C,
    S,
    BLOCK: tl.constexpr,
):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    alpha = tl.load(alpha_ptr + channel_of(offs, C, S), mask=mask).to(tl.float32)
    src = tl.load(src_ptr + offs, mask=mask).to(tl.float32)
    x = tl.load(x_ptr + offs, mask=mask).to(tl.float32)
    tl.store(out_ptr + offs, tl.where(x > 0, src, alpha * src), mask=mask)


@triton.jit
def prelu_slope_grad_kernel(
    dy_ptr,  # (N, C, S)
    x_ptr,  # (N, C, S)
    dalpha_ptr,  # out (C,) float32
    C,
    S,
    count,  # N * S
    BLOCK: tl.constexpr,
):
    c = tl.program_id(0)
    acc = tl.zeros((BLOCK,), dtype=tl.float32)
    for start in range(0, count, BLOCK):
        i = start + tl.arange(0, BLOCK)
        at = channel_element(i, c, C, S)
        dy = tl.load(dy_ptr + at, mask=i < count, other=0.0).to(tl.float32)
        x = tl.load(x_ptr + at, mask=i < count, other=0.0).to(tl.float32)
        acc += tl.where(x > 0, 0.0, dy * x)
    tl.store(dalpha_ptr + c, tl.sum(acc, axis=0))


def _per_slope(t: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    """t as (N, C, S) with one channel per slope; a shared slope makes it all one channel."""
    return t.reshape(1, 1, -1) if alpha.numel() == 1 else t


def _where_positive(src: torch.Tensor, x: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    """src where x > 0, else alpha_c src; shaped like x."""
    x, _, c, s = as_channels(_per_slope(x, alpha))
    out = torch.empty_like(x)
    prelu_kernel[(triton.cdiv(x.numel(), BLOCK),)](src.contiguous(), x, alpha, out, x.numel(), c, s, BLOCK=BLOCK)
    return out.reshape(src.shape)


def prelu(x: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    """y = x if x > 0 else alpha_c x."""
    return _where_positive(x, x, alpha)


def prelu_backward(dy: torch.Tensor, x: torch.Tensor, alpha: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(dx, d alpha), d alpha in alpha's dtype."""
    dy_c, n, c, s = as_channels(_per_slope(dy, alpha))
    dalpha = torch.empty(c, dtype=torch.float32, device=dy.device)
    prelu_slope_grad_kernel[(c,)](dy_c, _per_slope(x, alpha).contiguous(), dalpha, c, s, n * s, BLOCK=BLOCK)
    return _where_positive(dy, x, alpha), dalpha.to(alpha.dtype)


# Blocking: forward and input grad give each program BLOCK consecutive elements and gather
# the slope at (offset // S) % C; the slope grad runs one program per channel, walking its
# N * S elements in BLOCK-wide strides with float32 partial sums (no atomics).
