"""conv2d as implicit GEMM with tl.dot: the im2col matrix is never stored, each tile's
addresses are computed on the fly. Groups run on the third grid axis.

With P = N*H_out*W_out output positions, R = (C/G)*KH*KW and per group g:
    forward:  Y[p, k]  = sum_r  A[p, r] W[k, r]      A[p, r] = x at the window tap (zero outside)
    weight:   dW[k, r] = sum_p  dY[p, k] A[p, r]
    input:    dX[q, c] = sum_(k, kh, kw) dY[(h + ph - kh dh) / sh, (w + pw - kw dw) / sw, k] W[k, c, kh, kw]
              over the taps where the division is exact and lands inside the output
Float32 accumulation, IEEE products (no TF32).
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

from cnnbench.reference.arguments import Pair, pair

from . import tile_configs
from .reduce import sum_to

TILE = {"BLOCK": 32}  # every tile dimension (tl.dot needs >= 16); autotuned on a GPU


@triton.jit
def _window_tap(x_ptr, p, r, P, R, C, H, W, Ho, Wo, g, Cg, SH, SW, PH, PW, DH, DW, KH: tl.constexpr, KW: tl.constexpr):
    """A[p, r]: the input value output position p reads at reduction index r = (c, kh, kw)."""
    n = p // (Ho * Wo)
    oh = (p // Wo) % Ho
    ow = p % Wo
    c = r // (KH * KW)
    kh = (r // KW) % KH
    kw = r % KW
    h = oh[:, None] * SH - PH + kh[None, :] * DH
    w = ow[:, None] * SW - PW + kw[None, :] * DW
    inside = (p[:, None] < P) & (r[None, :] < R) & (h >= 0) & (h < H) & (w >= 0) & (w < W)
    at = ((n[:, None] * C + g * Cg + c[None, :]) * H + h) * W + w
    return tl.load(x_ptr + at, mask=inside, other=0.0).to(tl.float32)


@triton.autotune(configs=tile_configs(triton, TILE), key=["C", "H", "W", "K", "Cg", "Kg"])
@triton.jit
def conv_forward_kernel(
    x_ptr,  # (N, C, H, W)
    w_ptr,  # (K, C/G, KH, KW)
    b_ptr,  # (K,)
    y_ptr,  # out (N, K, Ho, Wo)
    P,
    R,
    C,
    H,
    W,
    K,
    Ho,
    Wo,
    Cg,
    Kg,  # sizes (see module docstring)
    SH,
    SW,
    PH,
    PW,
    DH,
    DW,  # stride, padding, dilation
    KH: tl.constexpr,
    KW: tl.constexpr,
    BLOCK: tl.constexpr,
):
    p = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    k = tl.program_id(1) * BLOCK + tl.arange(0, BLOCK)
    g = tl.program_id(2)
    acc = tl.zeros((BLOCK, BLOCK), dtype=tl.float32)
    for start in range(0, R, BLOCK):
        r = start + tl.arange(0, BLOCK)
        a = _window_tap(x_ptr, p, r, P, R, C, H, W, Ho, Wo, g, Cg, SH, SW, PH, PW, DH, DW, KH, KW)
        wt = tl.load(
            w_ptr + (g * Kg + k[None, :]) * R + r[:, None], mask=(r[:, None] < R) & (k[None, :] < Kg), other=0.0
        )
        acc += tl.dot(a, wt.to(tl.float32), input_precision="ieee")
    acc += tl.load(b_ptr + g * Kg + k, mask=k < Kg, other=0.0).to(tl.float32)[None, :]
    n = p // (Ho * Wo)
    at = ((n[:, None] * K + g * Kg + k[None, :]) * Ho + (p // Wo % Ho)[:, None]) * Wo + (p % Wo)[:, None]
    tl.store(y_ptr + at, acc, mask=(p[:, None] < P) & (k[None, :] < Kg))


@triton.autotune(configs=tile_configs(triton, TILE), key=["C", "H", "W", "K", "Cg", "Kg"])
@triton.jit
def conv_weight_grad_kernel(
    x_ptr,  # (N, C, H, W)
    dy_ptr,  # (N, K, Ho, Wo)
    dw_ptr,  # out (K, C/G, KH, KW)
    P,
    R,
    C,
    H,
    W,
    K,
    Ho,
    Wo,
    Cg,
    Kg,
    SH,
    SW,
    PH,
    PW,
    DH,
    DW,
    KH: tl.constexpr,
    KW: tl.constexpr,
    BLOCK: tl.constexpr,
):
    k = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    r = tl.program_id(1) * BLOCK + tl.arange(0, BLOCK)
    g = tl.program_id(2)
    acc = tl.zeros((BLOCK, BLOCK), dtype=tl.float32)
    for start in range(0, P, BLOCK):
        p = start + tl.arange(0, BLOCK)
        n = p // (Ho * Wo)
        at = ((n[None, :] * K + g * Kg + k[:, None]) * Ho + (p // Wo % Ho)[None, :]) * Wo + (p % Wo)[None, :]
        dy_t = tl.load(dy_ptr + at, mask=(k[:, None] < Kg) & (p[None, :] < P), other=0.0).to(tl.float32)
        a = _window_tap(x_ptr, p, r, P, R, C, H, W, Ho, Wo, g, Cg, SH, SW, PH, PW, DH, DW, KH, KW)
        acc += tl.dot(dy_t, a, input_precision="ieee")
    tl.store(dw_ptr + (g * Kg + k[:, None]) * R + r[None, :], acc, mask=(k[:, None] < Kg) & (r[None, :] < R))


@triton.autotune(configs=tile_configs(triton, TILE), key=["C", "H", "W", "K", "Cg", "Kg"])
@triton.jit
def conv_input_grad_kernel(
    dy_ptr,  # (N, K, Ho, Wo)
    w_ptr,  # (K, C/G, KH, KW)
    dx_ptr,  # out (N, C, H, W)
    Q,
    C,
    H,
    W,
    K,
    Ho,
    Wo,
    Cg,
    Kg,  # Q = N*H*W input positions
    SH,
    SW,
    PH,
    PW,
    DH,
    DW,
    KH: tl.constexpr,
    KW: tl.constexpr,
    BLOCK: tl.constexpr,
):
    q = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    cc = tl.program_id(1) * BLOCK + tl.arange(0, BLOCK)
    g = tl.program_id(2)
    n = q // (H * W)
    h = (q // W) % H
    w = q % W
    R2 = Kg * KH * KW
    acc = tl.zeros((BLOCK, BLOCK), dtype=tl.float32)
    for start in range(0, R2, BLOCK):
        r = start + tl.arange(0, BLOCK)
        k = r // (KH * KW)
        kh = (r // KW) % KH
        kw = r % KW
        rows = h[:, None] + PH - kh[None, :] * DH
        cols = w[:, None] + PW - kw[None, :] * DW
        rows_ok = tl.where(rows >= 0, rows, 0)
        cols_ok = tl.where(cols >= 0, cols, 0)
        oh = rows_ok // SH
        ow = cols_ok // SW
        hit = (q[:, None] < Q) & (r[None, :] < R2) & (rows >= 0) & (cols >= 0)
        hit = hit & (rows_ok % SH == 0) & (cols_ok % SW == 0) & (oh < Ho) & (ow < Wo)
        at = ((n[:, None] * K + g * Kg + k[None, :]) * Ho + oh) * Wo + ow
        a = tl.load(dy_ptr + at, mask=hit, other=0.0).to(tl.float32)
        taps = ((g * Kg + k[:, None]) * Cg + cc[None, :]) * (KH * KW) + (kh * KW + kw)[:, None]
        wt = tl.load(w_ptr + taps, mask=(r[:, None] < R2) & (cc[None, :] < Cg), other=0.0).to(tl.float32)
        acc += tl.dot(a, wt, input_precision="ieee")
    at = ((n[:, None] * C + g * Cg + cc[None, :]) * H + h[:, None]) * W + w[:, None]
    tl.store(dx_ptr + at, acc, mask=(q[:, None] < Q) & (cc[None, :] < Cg))


def _geometry(x, w, stride, padding, dilation, groups):
    n, c, h, wd = x.shape
    k, cg, kh, kw = w.shape
    s, p, d = pair(stride, "stride", 1), pair(padding, "padding", 0), pair(dilation, "dilation", 1)
    ho = (h + 2 * p[0] - d[0] * (kh - 1) - 1) // s[0] + 1
    wo = (wd + 2 * p[1] - d[1] * (kw - 1) - 1) // s[1] + 1
    sizes = {"n": n, "c": c, "h": h, "w": wd, "k": k, "ho": ho, "wo": wo, "cg": cg, "kg": k // groups}
    return sizes, (*s, *p, *d), (kh, kw)


def _grid(rows: int, cols: int, groups: int):
    """Tiles over a (rows, cols) GEMM per group, for whichever BLOCK the autotuner picks."""
    return lambda meta: (triton.cdiv(rows, meta["BLOCK"]), triton.cdiv(cols, meta["BLOCK"]), groups)


def conv2d(
    x: torch.Tensor, w: torch.Tensor, b: torch.Tensor, stride: Pair, padding: Pair, dilation: Pair, groups: int
) -> torch.Tensor:
    """y (N, K, Ho, Wo) for x (N, C, H, W), w (K, C/G, KH, KW), b (K,)."""
    z, geo, (kh, kw) = _geometry(x, w, stride, padding, dilation, groups)
    y = torch.empty((z["n"], z["k"], z["ho"], z["wo"]), dtype=x.dtype, device=x.device)
    P, R = z["n"] * z["ho"] * z["wo"], z["cg"] * kh * kw
    sizes = (z["c"], z["h"], z["w"], z["k"], z["ho"], z["wo"], z["cg"], z["kg"])
    conv_forward_kernel[_grid(P, z["kg"], groups)](
        x.contiguous(), w.contiguous(), b.contiguous(), y, P, R, *sizes, *geo, KH=kh, KW=kw
    )
    return y


def conv2d_backward(
    dy: torch.Tensor,
    x: torch.Tensor,
    w: torch.Tensor,
    b: torch.Tensor,
    stride: Pair,
    padding: Pair,
    dilation: Pair,
    groups: int,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(dx, dw, db)."""
    z, geo, (kh, kw) = _geometry(x, w, stride, padding, dilation, groups)
    x, w, dy = x.contiguous(), w.contiguous(), dy.contiguous()
    P, R, Q = z["n"] * z["ho"] * z["wo"], z["cg"] * kh * kw, z["n"] * z["h"] * z["w"]
    sizes = (z["c"], z["h"], z["w"], z["k"], z["ho"], z["wo"], z["cg"], z["kg"])
    dw, dx = torch.empty_like(w), torch.empty_like(x)
    conv_weight_grad_kernel[_grid(z["kg"], R, groups)](x, dy, dw, P, R, *sizes, *geo, KH=kh, KW=kw)
    conv_input_grad_kernel[_grid(Q, z["cg"], groups)](dy, w, dx, Q, *sizes, *geo, KH=kh, KW=kw)
    return dx, dw, sum_to(dy, (1, z["k"], 1, 1)).reshape(z["k"])


# Blocking: each kernel is a GEMM tiled BLOCK x BLOCK (BLOCK autotuned on a GPU), one program per
# output tile and the reduction walked in BLOCK slabs; the group index is the third grid axis.
# Every output tile is owned by one program (no split-K, no atomics), so sums are deterministic.
