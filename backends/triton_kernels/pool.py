"""Max and average pooling, NCHW, as gathers (no atomics, deterministic).

Forward, one output element per lane: scan the KH x KW window (static loops); max
keeps the first maximum in row-major order and, if asked, its offset kh*KW + kw.
Backward, one input element per lane: visit the windows that contain it,
    oh = (h + ph - kh) / sh  when that divides exactly and lands in [0, H_out),
and collect dy from each (max: only where the window's recorded offset is this
element; average: dy / (KH*KW), padding counted).
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

from cnnbench.reference.arguments import Pair, pair

from . import BLOCK


@triton.jit
def pool_forward_kernel(
    x_ptr,  # (N*C, H, W)
    y_ptr,  # out (N*C, Ho, Wo)
    index_ptr,  # out (N*C, Ho, Wo) offset of the maximum in its window (MAX), or None
    n_out,  # N*C*Ho*Wo
    H,
    W,
    Ho,
    Wo,
    SH,
    SW,
    PH,
    PW,
    KH: tl.constexpr,
    KW: tl.constexpr,
    MAX: tl.constexpr,
    BLOCK: tl.constexpr,
):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n_out
    ow = offs % Wo
    oh = (offs // Wo) % Ho
    plane = offs // (Wo * Ho)
    best = tl.full((BLOCK,), -float("inf"), tl.float32)
    best_at = tl.zeros((BLOCK,), dtype=tl.int32)
    acc = tl.zeros((BLOCK,), dtype=tl.float32)
    for kh in tl.static_range(KH):
        for kw in tl.static_range(KW):
            h = oh * SH - PH + kh
            w = ow * SW - PW + kw
            inside = mask & (h >= 0) & (h < H) & (w >= 0) & (w < W)
            v = tl.load(x_ptr + plane * H * W + h * W + w, mask=inside, other=-float("inf")).to(tl.float32)
            if MAX:
                better = v > best
                best = tl.where(better, v, best)
                best_at = tl.where(better, kh * KW + kw, best_at)
            else:
                acc += tl.where(inside, v, 0.0)
    if MAX:
        tl.store(y_ptr + offs, best, mask=mask)
        if index_ptr is not None:
            tl.store(index_ptr + offs, best_at, mask=mask)
    else:
        tl.store(y_ptr + offs, acc / (KH * KW), mask=mask)


@triton.jit
def pool_backward_kernel(
    dy_ptr,  # (N*C, Ho, Wo)
    index_ptr,  # (N*C, Ho, Wo) from the forward (MAX), or None (average)
    dx_ptr,  # out (N*C, H, W)
    n_in,  # N*C*H*W
    H,
    W,
    Ho,
    Wo,
    SH,
    SW,
    PH,
    PW,
    KH: tl.constexpr,
    KW: tl.constexpr,
    MAX: tl.constexpr,
    BLOCK: tl.constexpr,
):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n_in
    w = offs % W
    h = (offs // W) % H
    plane = offs // (W * H)
    acc = tl.zeros((BLOCK,), dtype=tl.float32)
    for kh in tl.static_range(KH):
        for kw in tl.static_range(KW):
            rows = h + PH - kh
            cols = w + PW - kw
            rows_ok = tl.where(rows >= 0, rows, 0)
            cols_ok = tl.where(cols >= 0, cols, 0)
            oh = rows_ok // SH
            ow = cols_ok // SW
            hit = mask & (rows >= 0) & (cols >= 0) & (rows_ok % SH == 0) & (cols_ok % SW == 0) & (oh < Ho) & (ow < Wo)
            at = plane * Ho * Wo + oh * Wo + ow
            g = tl.load(dy_ptr + at, mask=hit, other=0.0).to(tl.float32)
            if MAX:
                g = tl.where(tl.load(index_ptr + at, mask=hit, other=-1) == kh * KW + kw, g, 0.0)
            else:
                g = g / (KH * KW)
            acc += g
    tl.store(dx_ptr + offs, acc, mask=mask)


def _geometry(x: torch.Tensor, kernel_size: Pair, stride: Pair | None, padding: Pair):
    """(kernel, stride, padding, output size), each an (h, w) pair; stride defaults to the kernel."""
    k, p = pair(kernel_size, "kernel_size", 1), pair(padding, "padding", 0)
    s = k if stride is None else pair(stride, "stride", 1)
    out = ((x.shape[2] + 2 * p[0] - k[0]) // s[0] + 1, (x.shape[3] + 2 * p[1] - k[1]) // s[1] + 1)
    return k, s, p, out


def _pool(x: torch.Tensor, kernel_size: Pair, stride: Pair | None, padding: Pair, is_max: bool, with_index: bool):
    k, s, p, out = _geometry(x, kernel_size, stride, padding)
    x = x.contiguous()
    y = torch.empty((*x.shape[:2], *out), dtype=x.dtype, device=x.device)
    index = torch.empty(y.shape, dtype=torch.int32, device=x.device) if with_index else None
    pool_forward_kernel[(triton.cdiv(y.numel(), BLOCK),)](
        x, y, index, y.numel(), *x.shape[2:], *out, *s, *p, KH=k[0], KW=k[1], MAX=is_max, BLOCK=BLOCK
    )
    return y, index


def _pool_backward(
    dy: torch.Tensor, x: torch.Tensor, kernel_size: Pair, stride: Pair | None, padding: Pair, index: torch.Tensor | None
) -> torch.Tensor:
    k, s, p, out = _geometry(x, kernel_size, stride, padding)
    dx = torch.empty_like(x.contiguous())
    pool_backward_kernel[(triton.cdiv(dx.numel(), BLOCK),)](
        dy.contiguous(),
        index,
        dx,
        dx.numel(),
        *x.shape[2:],
        *out,
        *s,
        *p,
        KH=k[0],
        KW=k[1],
        MAX=index is not None,
        BLOCK=BLOCK,
    )
    return dx


def max_pool2d(x: torch.Tensor, kernel_size: Pair, stride: Pair | None, padding: Pair) -> torch.Tensor:
    """y[n, c, oh, ow] = max of x over the window (padding never wins)."""
    return _pool(x, kernel_size, stride, padding, is_max=True, with_index=False)[0]


def max_pool2d_backward(
    dy: torch.Tensor, x: torch.Tensor, kernel_size: Pair, stride: Pair | None, padding: Pair
) -> torch.Tensor:
    """dx: each window's dy routed to its first maximum (row-major)."""
    index = _pool(x, kernel_size, stride, padding, is_max=True, with_index=True)[1]
    return _pool_backward(dy, x, kernel_size, stride, padding, index)


def avg_pool2d(x: torch.Tensor, kernel_size: Pair, stride: Pair | None, padding: Pair) -> torch.Tensor:
    """y[n, c, oh, ow] = mean of x over the window, padding counted as zeros."""
    return _pool(x, kernel_size, stride, padding, is_max=False, with_index=False)[0]


def avg_pool2d_backward(
    dy: torch.Tensor, x: torch.Tensor, kernel_size: Pair, stride: Pair | None, padding: Pair
) -> torch.Tensor:
    """dx: dy / (KH * KW) from every window containing the element."""
    return _pool_backward(dy, x, kernel_size, stride, padding, None)


# Blocking: one program per BLOCK consecutive outputs (forward) or inputs (backward), the
# KH x KW window unrolled at compile time; gathers rather than scatters, so no atomics.
