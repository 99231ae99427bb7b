"""Fused cross-entropy from logits, and the mean squared error.

Cross-entropy, one program per row of logits z (N, K), never storing the
probabilities:  loss_n = lse(z_n) * sum(t_n) - sum(t_n * z_n), lse = m + log sum exp(z - m)
(integer labels are one-hot t), written already scaled (1/N for the mean) and then
summed; backward recomputes the row:  dz = dy * scale * (softmax(z) * sum(t) - t).

MSE:  per element scale * (a - y)^2, summed;  backward  dy * 2 * scale * (a - y).
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

from . import BLOCK
from .reduce import total


@triton.jit
def cross_entropy_kernel(
    z_ptr,  # (N, K) logits
    t_ptr,  # (N, K) soft targets (SOFT) or unused
    labels_ptr,  # (N,) integer labels (not SOFT) or unused
    out_ptr,  # (N,) scaled per-row losses, or (N, K) gradient when BACKWARD
    dy_ptr,  # 0-d upstream gradient (BACKWARD)
    cols,  # K
    scale,  # 1/N for the mean, 1 for the sum
    SOFT: tl.constexpr,
    BACKWARD: tl.constexpr,
    BLOCK: tl.constexpr,
):
    row = tl.program_id(0)
    offs = tl.arange(0, BLOCK)
    mask = offs < cols
    z = tl.load(z_ptr + row * cols + offs, mask=mask, other=-float("inf")).to(tl.float32)
    if SOFT:
        t = tl.load(t_ptr + row * cols + offs, mask=mask, other=0.0).to(tl.float32)
    else:
        t = tl.where(offs == tl.load(labels_ptr + row), 1.0, 0.0)
    m = tl.max(z, axis=0)
    e = tl.where(mask, tl.exp(z - m), 0.0)
    sum_e = tl.sum(e, axis=0)
    t_sum = tl.sum(t, axis=0)
    if BACKWARD:
        dy = tl.load(dy_ptr).to(tl.float32)
        tl.store(out_ptr + row * cols + offs, dy * scale * (e / sum_e * t_sum - t), mask=mask)
    else:
        lse = m + tl.log(sum_e)
        z_real = tl.where(mask, z, 0.0)  # padding lanes hold -inf, and 0 * -inf is NaN
        tl.store(out_ptr + row, scale * (lse * t_sum - tl.sum(t * z_real, axis=0)))


def cross_entropy(logits, target, reduction: str, dy=None):
    """Loss (0-d), or with ``dy`` the gradient for the logits."""
    n, k = logits.shape
    soft = target.is_floating_point()
    logits = logits.contiguous()
    target = target.contiguous()
    scale = 1.0 / n if reduction == "mean" else 1.0
    out = torch.empty((n, k) if dy is not None else (n,), dtype=logits.dtype, device=logits.device)
    cross_entropy_kernel[(n,)](
        logits,
        target,
        target,
        out,
        dy if dy is not None else logits,
        k,
        scale,
        SOFT=soft,
        BACKWARD=dy is not None,
        BLOCK=triton.next_power_of_2(k),
    )
    return out if dy is not None else total(out)


@triton.jit
def mse_kernel(
    a_ptr,  # predictions, n elements
    y_ptr,  # targets, n elements
    out_ptr,  # per-element loss, or the gradient when BACKWARD
    dy_ptr,  # 0-d upstream gradient (BACKWARD)
    n,
    scale,  # 1/n for the mean, 1 for the sum
    BACKWARD: tl.constexpr,
    BLOCK: tl.constexpr,
):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    diff = tl.load(a_ptr + offs, mask=mask).to(tl.float32) - tl.load(y_ptr + offs, mask=mask).to(tl.float32)
    if BACKWARD:
        out = tl.load(dy_ptr).to(tl.float32) * 2.0 * scale * diff
    else:
        out = scale * diff * diff
    tl.store(out_ptr + offs, out, mask=mask)


def mse(pred, target, reduction: str, dy=None):
    pred, target = pred.contiguous(), target.contiguous()
    scale = 1.0 / pred.numel() if reduction == "mean" else 1.0
    out = torch.empty_like(pred)
    grid = (triton.cdiv(pred.numel(), BLOCK),)
    mse_kernel[grid](
        pred, target, out, dy if dy is not None else pred, pred.numel(), scale, BACKWARD=dy is not None, BLOCK=BLOCK
    )
    return out if dy is not None else total(out)
