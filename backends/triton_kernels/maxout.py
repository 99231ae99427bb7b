"""Maxout: y[n, m] = max_p z[n, p, m], z = x W_p^T + b_p (all pieces in one matmul).

The kernel keeps the first maximal piece (ties go to the lowest p); the backward
routes dy to it, dz[n, p, m] = dy[n, m] [p = argmax], and the affine backward is
again one matmul each: dx = dz W, dW = dz^T x.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

from . import BLOCK
from .matmul import matmul
from .reduce import sum_to


@triton.jit
def _first_max(z_ptr, offs, mask, P, M, BLOCK: tl.constexpr):
    """(max_p z[n, p, m], its first p) for the flat (n, m) offsets, float32 and int32."""
    row = offs // M
    col = offs % M
    best = tl.full((BLOCK,), -float("inf"), tl.float32)
    best_at = tl.zeros((BLOCK,), dtype=tl.int32)
    for piece in range(0, P):
        v = tl.load(z_ptr + (row * P + piece) * M + col, mask=mask, other=-float("inf")).to(tl.float32)
        better = v > best
        best = tl.where(better, v, best)
        best_at = tl.where(better, piece, best_at)
    return best, best_at


@triton.jit
def maxout_kernel(
    z_ptr,  # (N, P, M) piece outputs
    y_ptr,  # out (N, M) maxima
    n,  # N * M
    P,
    M,
    BLOCK: tl.constexpr,
):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    best, _ = _first_max(z_ptr, offs, mask, P, M, BLOCK)
    tl.store(y_ptr + offs, best, mask=mask)


@triton.jit
def maxout_backward_kernel(
    z_ptr,  # (N, P, M) piece outputs
    dy_ptr,  # (N, M) upstream gradient
    dz_ptr,  # out (N, P, M): dy routed to the first maximal piece
    n,  # N * M
    P,
    M,
    BLOCK: tl.constexpr,
):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    _, best_at = _first_max(z_ptr, offs, mask, P, M, BLOCK)
    dy = tl.load(dy_ptr + offs, mask=mask, other=0.0).to(tl.float32)
    row = offs // M
    col = offs % M
    for piece in range(0, P):
        tl.store(dz_ptr + (row * P + piece) * M + col, tl.where(best_at == piece, dy, 0.0), mask=mask)


def _pieces(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """z (N, P, M): every piece's affine output, one matmul."""
    p, m, d = w.shape
    return matmul(x, w.reshape(p * m, d).t(), b.reshape(p * m)).reshape(x.shape[0], p, m)


def maxout(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """y (N, M) for x (N, D), w (P, M, D), b (P, M)."""
    z = _pieces(x, w, b)
    y = torch.empty((x.shape[0], w.shape[1]), dtype=x.dtype, device=x.device)
    maxout_kernel[(triton.cdiv(y.numel(), BLOCK),)](z, y, y.numel(), w.shape[0], w.shape[1], BLOCK=BLOCK)
    return y


def maxout_backward(
    dy: torch.Tensor, x: torch.Tensor, w: torch.Tensor, b: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(dx, dw, db)."""
    p, m, d = w.shape
    z = _pieces(x, w, b)
    dz = torch.empty_like(z)
    maxout_backward_kernel[(triton.cdiv(dy.numel(), BLOCK),)](z, dy.contiguous(), dz, dy.numel(), p, m, BLOCK=BLOCK)
    flat = dz.reshape(x.shape[0], p * m)
    return matmul(flat, w.reshape(p * m, d)), matmul(flat.t(), x).reshape(w.shape), sum_to(dz, (1, p, m)).reshape(p, m)


# Blocking: one program per BLOCK consecutive (n, m) outputs, scanning the P pieces; the
# affine parts are tl.dot tiles in matmul.py.
