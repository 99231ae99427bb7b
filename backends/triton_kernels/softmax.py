"""Row-wise softmax and log-softmax, forward and backward: one program per row,
the whole row in one block (as in Triton's fused-softmax tutorial).

    y = exp(x - max) / sum exp(x - max)          (LOG: y = x - max - log sum exp(x - max))
    dx = y * (dy - sum(dy * y))                   (LOG: dx = dy - softmax(x) * sum(dy))

The axis is moved last by the launcher (a view made contiguous).
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

from . import row_warps


@triton.jit
def softmax_forward_kernel(
    x_ptr,  # (R, C) row-major
    y_ptr,  # (R, C)
    cols,  # C
    LOG: tl.constexpr,  # log-softmax instead of softmax
    BLOCK: tl.constexpr,  # power of two >= C
):
    row = tl.program_id(0)
    offs = tl.arange(0, BLOCK)
    mask = offs < cols
    x = tl.load(x_ptr + row * cols + offs, mask=mask, other=-float("inf")).to(tl.float32)
    shifted = x - tl.max(x, axis=0)
    e = tl.where(mask, tl.exp(shifted), 0.0)
    total = tl.sum(e, axis=0)
    y = shifted - tl.log(total) if LOG else e / total
    tl.store(y_ptr + row * cols + offs, y, mask=mask)


@triton.jit
def softmax_backward_kernel(
    dy_ptr,  # (R, C) upstream gradient
    x_ptr,  # (R, C) forward input
    dx_ptr,  # (R, C)
    cols,  # C
    LOG: tl.constexpr,
    BLOCK: tl.constexpr,
):
    row = tl.program_id(0)
    offs = tl.arange(0, BLOCK)
    mask = offs < cols
    x = tl.load(x_ptr + row * cols + offs, mask=mask, other=-float("inf")).to(tl.float32)
    dy = tl.load(dy_ptr + row * cols + offs, mask=mask, other=0.0).to(tl.float32)
    e = tl.where(mask, tl.exp(x - tl.max(x, axis=0)), 0.0)
    y = e / tl.sum(e, axis=0)
    dx = dy - y * tl.sum(dy, axis=0) if LOG else y * (dy - tl.sum(dy * y, axis=0))
    tl.store(dx_ptr + row * cols + offs, dx, mask=mask)


def _rows(t: torch.Tensor, axis: int) -> torch.Tensor:
    moved = t.movedim(axis, -1).contiguous()
    return moved.reshape(-1, moved.shape[-1])


def _launch(kernel, tensors: list[torch.Tensor], axis: int, log: bool) -> torch.Tensor:
    x = tensors[-1]
    rows = [_rows(t, axis) for t in tensors]
    out = torch.empty_like(rows[-1])
    cols = rows[-1].shape[1]
    block = triton.next_power_of_2(cols)
    kernel[(rows[-1].shape[0],)](*rows, out, cols, LOG=log, BLOCK=block, num_warps=row_warps(block))
    return out.reshape(x.movedim(axis, -1).shape).movedim(-1, axis).contiguous()


def softmax(x: torch.Tensor, axis: int, log: bool = False) -> torch.Tensor:
    return _launch(softmax_forward_kernel, [x], axis, log)


def softmax_backward(dy: torch.Tensor, x: torch.Tensor, axis: int, log: bool = False) -> torch.Tensor:
    return _launch(softmax_backward_kernel, [dy, x], axis, log)


# Blocking: one program per row with the whole row in one power-of-two block, so max, sum and
# output take a single read of the row; more warps for longer rows (row_warps).
