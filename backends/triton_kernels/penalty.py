"""Elastic-net penalty l1 * sum|w| + l2 / 2 * sum w^2 (L1 and L2 are the special cases).

forward:  per element l1 |w| + l2/2 w^2, then summed
backward: dy * (l1 sign(w) + l2 w)
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

from . import BLOCK
from .reduce import total


@triton.jit
def penalty_kernel(
    w_ptr,  # weights, n elements
    out_ptr,  # per-element penalty, or the gradient when BACKWARD
    dy_ptr,  # 0-d upstream gradient (BACKWARD)
    n,
    l1,  # L1 strength
    l2,  # L2 strength (penalty l2/2 w^2)
    BACKWARD: tl.constexpr,
    BLOCK: tl.constexpr,
):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    w = tl.load(w_ptr + offs, mask=mask).to(tl.float32)
    if BACKWARD:
        sign = tl.where(w > 0, 1.0, tl.where(w < 0, -1.0, 0.0))
        out = tl.load(dy_ptr).to(tl.float32) * (l1 * sign + l2 * w)
    else:
        out = l1 * tl.abs(w) + 0.5 * l2 * w * w
    tl.store(out_ptr + offs, out, mask=mask)


def elastic_net(w: torch.Tensor, l1: float, l2: float, dy: torch.Tensor | None = None) -> torch.Tensor:
    w = w.contiguous()
    out = torch.empty_like(w)
    penalty_kernel[(triton.cdiv(w.numel(), BLOCK),)](
        w, out, dy if dy is not None else w, w.numel(), l1, l2, BACKWARD=dy is not None, BLOCK=BLOCK
    )
    return out if dy is not None else total(out)
