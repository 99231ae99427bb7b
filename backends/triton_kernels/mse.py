"""Mean squared error between predictions a and targets y of any (equal) shape:

loss = sum_i scale * (a_i - y_i)^2,     scale = 1/n (mean) or 1 (sum)
da_i = dy * 2 * scale * (a_i - y_i)
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

from . import BLOCK
from .reduce import total


@triton.jit
def _difference(a_ptr, y_ptr, offs, mask):
    return tl.load(a_ptr + offs, mask=mask).to(tl.float32) - tl.load(y_ptr + offs, mask=mask).to(tl.float32)


@triton.jit
def mse_kernel(
    a_ptr,  # predictions, n elements
    y_ptr,  # targets, n elements
    loss_ptr,  # out, per-element scaled loss, n elements
    n,
    scale,  # 1/n for the mean, 1 for the sum
    BLOCK: tl.constexpr,
):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    diff = _difference(a_ptr, y_ptr, offs, mask)
    tl.store(loss_ptr + offs, scale * diff * diff, mask=mask)


@triton.jit
def mse_backward_kernel(
    a_ptr,  # predictions, n elements
    y_ptr,  # targets, n elements
    dy_ptr,  # 0-d upstream gradient
    da_ptr,  # out, n elements
    n,
    scale,  # 1/n for the mean, 1 for the sum
    BLOCK: tl.constexpr,
):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    diff = _difference(a_ptr, y_ptr, offs, mask)
    tl.store(da_ptr + offs, tl.load(dy_ptr).to(tl.float32) * 2.0 * scale * diff, mask=mask)


def _launch(kernel, pred: torch.Tensor, target: torch.Tensor, reduction: str, *tensors: torch.Tensor) -> torch.Tensor:
    pred, target = pred.contiguous(), target.contiguous()
    out = torch.empty_like(pred)
    scale = 1.0 / pred.numel() if reduction == "mean" else 1.0
    kernel[(triton.cdiv(pred.numel(), BLOCK),)](pred, target, *tensors, out, pred.numel(), scale, BLOCK=BLOCK)
    return out


def mse(pred: torch.Tensor, target: torch.Tensor, reduction: str) -> torch.Tensor:
    """The loss (0-d); reduction "mean" or "sum"."""
    return total(_launch(mse_kernel, pred, target, reduction))


def mse_backward(dy: torch.Tensor, pred: torch.Tensor, target: torch.Tensor, reduction: str) -> torch.Tensor:
    """The gradient for the predictions."""
    return _launch(mse_backward_kernel, pred, target, reduction, dy)


# Blocking: one program per BLOCK consecutive elements; the per-element losses are then
# summed by reduce.total (one program walking the row, float32 accumulator, no atomics).
