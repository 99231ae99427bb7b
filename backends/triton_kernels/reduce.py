"""Deterministic sums: each output is reduced by one program walking its row in
BLOCK-sized chunks with a float32 (or wider) accumulator, so results do not
depend on scheduling (no atomics).

    row_sums:  (R, C) -> (R,)     sum over the last axis
    sum_to:    gradient of a broadcast: sum a tensor back to a smaller shape
"""

from __future__ import annotations

import math

import torch
import triton
import triton.language as tl


@triton.jit
def row_sum_kernel(
    x_ptr,  # (R, C) row-major
    out_ptr,  # (R,)
    cols,  # C
    BLOCK: tl.constexpr,
):
    row = tl.program_id(0)
    acc = tl.zeros((BLOCK,), dtype=tl.float32)
    for start in range(0, cols, BLOCK):
        offs = start + tl.arange(0, BLOCK)
        acc += tl.load(x_ptr + row * cols + offs, mask=offs < cols, other=0.0).to(tl.float32)
    tl.store(out_ptr + row, tl.sum(acc, axis=0))


def row_sums(x: torch.Tensor) -> torch.Tensor:
    """Sum over the last axis of a 2-D tensor."""
    x = x.contiguous()
    rows, cols = x.shape
    out = torch.empty(rows, dtype=x.dtype, device=x.device)
    if rows:
        row_sum_kernel[(rows,)](x, out, cols, BLOCK=min(1024, triton.next_power_of_2(max(cols, 1))))
    return out


def total(x: torch.Tensor) -> torch.Tensor:
    """Sum of every element, as a 0-d tensor."""
    return row_sums(x.reshape(1, -1))[0]


def sum_to(grad: torch.Tensor, shape: tuple[int, ...]) -> torch.Tensor:
    """Sum ``grad`` over the axes broadcasting added or stretched to reach it from ``shape``."""
    lead = grad.ndim - len(shape)
    padded = (1,) * lead + tuple(shape)
    reduced = [i for i, n in enumerate(padded) if n == 1 and grad.shape[i] != 1]
    if not reduced:
        return grad.reshape(shape)
    kept = [i for i in range(grad.ndim) if i not in reduced]
    width = math.prod(grad.shape[i] for i in reduced)
    return row_sums(grad.permute(*kept, *reduced).reshape(-1, width)).reshape(shape)


# Blocking: one program per output row, walking it in BLOCK-wide chunks (BLOCK the row length
# rounded up to a power of two, at most 1024) with BLOCK float32 partial sums, then one tl.sum.
