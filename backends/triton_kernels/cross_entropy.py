"""Cross-entropy from logits z (N, K) against integer labels (one-hot t) or soft targets t (N, K),
fused with the softmax so the probabilities are never stored:

    loss_n = lse(z_n) * sum(t_n) - sum(t_n * z_n),    lse = m + log sum exp(z - m),  m = max z_n
    loss   = scale * sum_n loss_n,                    scale = 1/N (mean) or 1 (sum)
    dz     = dy * scale * (softmax(z_n) * sum(t_n) - t_n)
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

from .reduce import total


@triton.jit
def _row(z_ptr, t_ptr, row, cols, SOFT: tl.constexpr, BLOCK: tl.constexpr):
    """(offsets, lane mask, logits z, targets t) of one row, float32; padding lanes hold z = -inf, t = 0."""
    offs = tl.arange(0, BLOCK)
    mask = offs < cols
    z = tl.load(z_ptr + row * cols + offs, mask=mask, other=-float("inf")).to(tl.float32)
    if SOFT:
        t = tl.load(t_ptr + row * cols + offs, mask=mask, other=0.0).to(tl.float32)
    else:
        t = tl.where(offs == tl.load(t_ptr + row), 1.0, 0.0)
    return offs, mask, z, t


@triton.jit
def cross_entropy_kernel(
    z_ptr,  # (N, K) logits
    t_ptr,  # (N, K) soft targets, or (N,) integer labels
    loss_ptr,  # out (N,): scale * loss_n
    cols,  # K
    scale,  # 1/N for the mean, 1 for the sum
    SOFT: tl.constexpr,  # t_ptr holds soft targets
    BLOCK: tl.constexpr,  # power of two >= K
):
    row = tl.program_id(0)
    _, mask, z, t = _row(z_ptr, t_ptr, row, cols, SOFT, BLOCK)
    m = tl.max(z, axis=0)
    lse = m + tl.log(tl.sum(tl.where(mask, tl.exp(z - m), 0.0), axis=0))
    z_real = tl.where(mask, z, 0.0)  # padding lanes hold -inf, and 0 * -inf is NaN
    tl.store(loss_ptr + row, scale * (lse * tl.sum(t, axis=0) - tl.sum(t * z_real, axis=0)))


@triton.jit
def cross_entropy_backward_kernel(
    z_ptr,  # (N, K) logits
    t_ptr,  # (N, K) soft targets, or (N,) integer labels
    dy_ptr,  # 0-d upstream gradient
    dz_ptr,  # out (N, K)
    cols,  # K
    scale,  # 1/N for the mean, 1 for the sum
    SOFT: tl.constexpr,  # t_ptr holds soft targets
    BLOCK: tl.constexpr,  # power of two >= K
):
    row = tl.program_id(0)
    offs, mask, z, t = _row(z_ptr, t_ptr, row, cols, SOFT, BLOCK)
    e = tl.where(mask, tl.exp(z - tl.max(z, axis=0)), 0.0)
    dy = tl.load(dy_ptr).to(tl.float32)
    tl.store(dz_ptr + row * cols + offs, dy * scale * (e / tl.sum(e, axis=0) * tl.sum(t, axis=0) - t), mask=mask)


def _launch(kernel, logits: torch.Tensor, target: torch.Tensor, reduction: str, *tensors: torch.Tensor) -> None:
    n, k = logits.shape
    scale = 1.0 / n if reduction == "mean" else 1.0
    kernel[(n,)](
        logits.contiguous(),
        target.contiguous(),
        *tensors,
        k,
        scale,
        SOFT=target.is_floating_point(),
        BLOCK=triton.next_power_of_2(k),
    )


def cross_entropy(logits: torch.Tensor, target: torch.Tensor, reduction: str) -> torch.Tensor:
    """The loss (0-d) for labels (N,) or soft targets (N, K); reduction "mean" or "sum"."""
    losses = torch.empty(logits.shape[0], dtype=logits.dtype, device=logits.device)
    _launch(cross_entropy_kernel, logits, target, reduction, losses)
    return total(losses)


def cross_entropy_backward(
    dy: torch.Tensor, logits: torch.Tensor, target: torch.Tensor, reduction: str
) -> torch.Tensor:
    """The gradient for the logits."""
    dz = torch.empty(logits.shape, dtype=logits.dtype, device=logits.device)
    _launch(cross_entropy_backward_kernel, logits, target, reduction, dy, dz)
    return dz


# Blocking: one program per row of logits with the whole row in one power-of-two block (as in
# the fused-softmax tutorial); the per-row losses are then summed by reduce.total.
