"""Inverted dropout with an explicit keep mask.

    mask:      m_i = [U_i >= p],  U_i = tl.rand(seed, i), uniform on [0, 1) from Philox
    forward:   y = x * m * scale,    scale = 1 / (1 - p)
    backward:  dx = dy * m * scale   (the same kernel)

The mask element i is a pure function of (seed, i), so it is reproducible and need not be stored.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

from . import BLOCK, broadcast
from .philox import sample


@triton.jit
def dropout_mask_kernel(
    mask_ptr,  # out, n elements: 1.0 kept, 0.0 dropped
    n,
    seed,
    p,  # drop probability
    BLOCK: tl.constexpr,
):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    tl.store(mask_ptr + offs, tl.where(tl.rand(seed, offs) >= p, 1.0, 0.0), mask=offs < n)


@triton.jit
def dropout_kernel(
    x_ptr,  # x (forward) or dy (backward), n elements
    keep_ptr,  # keep mask, n elements (already broadcast)
    y_ptr,  # out, n elements
    n,
    scale,  # 1 / (1 - p)
    BLOCK: tl.constexpr,
):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask).to(tl.float32)
    keep = tl.load(keep_ptr + offs, mask=mask).to(tl.float32)
    tl.store(y_ptr + offs, x * keep * scale, mask=mask)


def dropout_mask(shape: tuple[int, ...], p: float, seed: int, device: str) -> torch.Tensor:
    """float32 keep mask of ``shape``: 1 with probability 1 - p."""
    return sample(dropout_mask_kernel, shape, seed, p, device)


def dropout(x: torch.Tensor, keep: torch.Tensor, scale: float) -> torch.Tensor:
    """x * keep * scale with NumPy broadcasting, in x's dtype; also the backward, with dy for x."""
    x, keep = broadcast(x, keep)
    y = torch.empty_like(x)
    dropout_kernel[(triton.cdiv(x.numel(), BLOCK),)](x, keep, y, x.numel(), scale, BLOCK=BLOCK)
    return y


# Blocking: one program per BLOCK consecutive elements; the mask's Philox counter is the
# element's flat offset, so any BLOCK draws the same mask.
