"""Elastic-net weight penalty, with L1 (l2 = 0) and L2 (l1 = 0) as special cases:

penalty = sum_i l1 |w_i| + l2/2 w_i^2
dw_i    = dy * (l1 sign(w_i) + l2 w_i),     sign(0) = 0
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

from . import BLOCK
from .reduce import total


@triton.jit
def elastic_net_kernel(
    w_ptr,  # weights, n elements
    out_ptr,  # out, per-element penalty, n elements
    n,
    l1,  # L1 strength
    l2,  # L2 strength (penalty l2/2 w^2)
    BLOCK: tl.constexpr,
):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    w = tl.load(w_ptr + offs, mask=mask).to(tl.float32)
    tl.store(out_ptr + offs, l1 * tl.abs(w) + 0.5 * l2 * w * w, mask=mask)


@triton.jit
def elastic_net_backward_kernel(
    w_ptr,  # weights, n elements
    dy_ptr,  # 0-d upstream gradient
    dw_ptr,  # out, n elements
    n,
    l1,  # L1 strength
    l2,  # L2 strength
    BLOCK: tl.constexpr,
):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    w = tl.load(w_ptr + offs, mask=mask).to(tl.float32)
    sign = tl.where(w > 0, 1.0, tl.where(w < 0, -1.0, 0.0))
    tl.store(dw_ptr + offs, tl.load(dy_ptr).to(tl.float32) * (l1 * sign + l2 * w), mask=mask)


def _launch(kernel, w: torch.Tensor, l1: float, l2: float, *tensors: torch.Tensor) -> torch.Tensor:
    w = w.contiguous()
    out = torch.empty_like(w)
    kernel[(triton.cdiv(w.numel(), BLOCK),)](w, *tensors, out, w.numel(), l1, l2, BLOCK=BLOCK)
    return out


def elastic_net(w: torch.Tensor, l1: float, l2: float) -> torch.Tensor:
    """The penalty (0-d)."""
    return total(_launch(elastic_net_kernel, w, l1, l2))


def elastic_net_backward(dy: torch.Tensor, w: torch.Tensor, l1: float, l2: float) -> torch.Tensor:
    """The gradient for the weights."""
    return _launch(elastic_net_backward_kernel, w, l1, l2, dy)


# Blocking: one program per BLOCK consecutive elements; the per-element penalties are then
# summed by reduce.total (one program walking the row, float32 accumulator, no atomics).
