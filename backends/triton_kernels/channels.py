"""Per-channel kernels on x viewed as (N, C, S), S = H*W (1 for (N, D) inputs).

Statistics: one program per channel walks its N*S elements twice (mean, then the
mean of squared deviations), with BLOCK-wide float32 partial sums: accurate for
large N*H*W where a one-pass E[x^2] - E[x]^2 would cancel.

    stats:   mean_c, var_c (biased), and the scale the affine step needs:
             bn: gamma_c / sqrt(var_c + eps)   center: 1   standardize: 1 / (sqrt(var_c) + eps)
    affine:  y = (x - mean_c) * scale_c + beta_c
    sums:    sum_c dy and sum_c dy * x_hat (BatchNorm backward), or sum_c dy * x [x <= 0] (PReLU slope)
    bn_dx:   dx = scale_c * (dy - sum dy / M - x_hat * sum(dy x_hat) / M)
    prelu:   y = x if x > 0 else alpha_c x;  dx = dy if x > 0 else alpha_c dy
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

from . import BLOCK


def _view(x: torch.Tensor) -> tuple[torch.Tensor, int, int, int]:
    x = x.contiguous()
    n, c = x.shape[0], x.shape[1]
    return x, n, c, x.numel() // (n * c)


@triton.jit
def _element(i, c, C, S):
    """Offset of the i-th element (over N*S) of channel c."""
    return (i // S) * C * S + c * S + i % S


@triton.jit
def stats_kernel(
    x_ptr,  # (N, C, S)
    given_mean_ptr,  # (C,) running mean (MODE "bn_eval")
    given_var_ptr,  # (C,) running variance (MODE "bn_eval")
    gamma_ptr,  # (C,) BatchNorm scale
    mean_ptr,  # out (C,)
    var_ptr,  # out (C,)
    scale_ptr,  # out (C,)
    C,
    S,
    count,  # N * S
    eps,
    MODE: tl.constexpr,  # "bn_train" | "bn_eval" | "center" | "standardize"
    BLOCK: tl.constexpr,
):
    c = tl.program_id(0)
    if MODE == "bn_eval":
        mean = tl.load(given_mean_ptr + c).to(tl.float32)
        var = tl.load(given_var_ptr + c).to(tl.float32)
    else:
        acc = tl.zeros((BLOCK,), dtype=tl.float32)
        for start in range(0, count, BLOCK):
            i = start + tl.arange(0, BLOCK)
            acc += tl.load(x_ptr + _element(i, c, C, S), mask=i < count, other=0.0).to(tl.float32)
        mean = tl.sum(acc, axis=0) / count
        acc = tl.zeros((BLOCK,), dtype=tl.float32)
        for start in range(0, count, BLOCK):
            i = start + tl.arange(0, BLOCK)
            d = tl.load(x_ptr + _element(i, c, C, S), mask=i < count, other=0.0).to(tl.float32) - mean
            acc += tl.where(i < count, d * d, 0.0)
        var = tl.sum(acc, axis=0) / count
    if MODE == "center":
        scale = 1.0
    elif MODE == "standardize":
        scale = 1.0 / (tl.sqrt(var) + eps)
    else:
        scale = tl.load(gamma_ptr + c).to(tl.float32) / tl.sqrt(var + eps)
    tl.store(mean_ptr + c, mean)
    tl.store(var_ptr + c, var)
    tl.store(scale_ptr + c, scale)


def stats(x, mode: str, eps: float = 0.0, gamma=None, given_mean=None, given_var=None):
    """(mean, var, scale), each (C,)."""
    x, n, c, s = _view(x)
    out = [torch.empty(c, dtype=torch.float32, device=x.device) for _ in range(3)]
    stats_kernel[(c,)](
        x,
        given_mean if given_mean is not None else x,
        given_var if given_var is not None else x,
        gamma if gamma is not None else x,
        *out,
        c,
        s,
        n * s,
        eps,
        MODE=mode,
        BLOCK=BLOCK,
    )
    return out


@triton.jit
def affine_kernel(
    x_ptr,  # (N, C, S)
    shift_ptr,  # (C,)
    scale_ptr,  # (C,)
    offset_ptr,  # (C,) or unused
    y_ptr,  # (N, C, S)
    n,
    C,
    S,
    HAS_OFFSET: tl.constexpr,
    BLOCK: tl.constexpr,
):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    c = (offs // S) % C
    y = (tl.load(x_ptr + offs, mask=mask).to(tl.float32) - tl.load(shift_ptr + c, mask=mask)) * tl.load(
        scale_ptr + c, mask=mask
    )
    if HAS_OFFSET:
        y += tl.load(offset_ptr + c, mask=mask).to(tl.float32)
    tl.store(y_ptr + offs, y, mask=mask)


def affine(x, shift, scale, offset=None):
    """(x - shift_c) * scale_c (+ offset_c)."""
    x, _, c, s = _view(x)
    y = torch.empty_like(x)
    affine_kernel[(triton.cdiv(x.numel(), BLOCK),)](
        x,
        shift,
        scale,
        offset if offset is not None else x,
        y,
        x.numel(),
        c,
        s,
        HAS_OFFSET=offset is not None,
        BLOCK=BLOCK,
    )
    return y


@triton.jit
def sums_kernel(
    dy_ptr,  # (N, C, S)
    x_ptr,  # (N, C, S)
    mean_ptr,  # (C,) (MODE "bn")
    var_ptr,  # (C,) (MODE "bn")
    sum_dy_ptr,  # out (C,): sum dy (bn) or sum dy x [x <= 0] (prelu)
    sum_dyx_ptr,  # out (C,): sum dy x_hat (bn)
    C,
    S,
    count,
    eps,
    MODE: tl.constexpr,  # "bn" | "prelu"
    BLOCK: tl.constexpr,
):
    c = tl.program_id(0)
    acc_dy = tl.zeros((BLOCK,), dtype=tl.float32)
    acc_dyx = tl.zeros((BLOCK,), dtype=tl.float32)
    if MODE == "bn":
        mean = tl.load(mean_ptr + c)
        rstd = 1.0 / tl.sqrt(tl.load(var_ptr + c) + eps)
    for start in range(0, count, BLOCK):
        i = start + tl.arange(0, BLOCK)
        at = _element(i, c, C, S)
        dy = tl.load(dy_ptr + at, mask=i < count, other=0.0).to(tl.float32)
        x = tl.load(x_ptr + at, mask=i < count, other=0.0).to(tl.float32)
        if MODE == "bn":
            acc_dy += dy
            acc_dyx += dy * (x - mean) * rstd
        else:
            acc_dy += tl.where(x > 0, 0.0, dy * x)
    tl.store(sum_dy_ptr + c, tl.sum(acc_dy, axis=0))
    tl.store(sum_dyx_ptr + c, tl.sum(acc_dyx, axis=0))


def sums(dy, x, mode: str, mean=None, var=None, eps: float = 0.0):
    x, n, c, s = _view(x)
    out = [torch.empty(c, dtype=torch.float32, device=x.device) for _ in range(2)]
    sums_kernel[(c,)](
        dy.contiguous(),
        x,
        mean if mean is not None else x,
        var if var is not None else x,
        *out,
        c,
        s,
        n * s,
        eps,
        MODE=mode,
        BLOCK=BLOCK,
    )
    return out


@triton.jit
def bn_dx_kernel(
    dy_ptr,  # (N, C, S)
    x_ptr,  # (N, C, S)
    mean_ptr,  # (C,) batch mean
    var_ptr,  # (C,) batch variance
    scale_ptr,  # (C,) gamma / sqrt(var + eps)
    sum_dy_ptr,  # (C,)
    sum_dyx_ptr,  # (C,)
    dx_ptr,  # out (N, C, S)
    n,
    C,
    S,
    count,  # M = N * S
    eps,
    BLOCK: tl.constexpr,
):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    c = (offs // S) % C
    x_hat = (tl.load(x_ptr + offs, mask=mask).to(tl.float32) - tl.load(mean_ptr + c, mask=mask)) / tl.sqrt(
        tl.load(var_ptr + c, mask=mask) + eps
    )
    dy = tl.load(dy_ptr + offs, mask=mask).to(tl.float32)
    mean_dy = tl.load(sum_dy_ptr + c, mask=mask) / count
    mean_dyx = tl.load(sum_dyx_ptr + c, mask=mask) / count
    tl.store(dx_ptr + offs, tl.load(scale_ptr + c, mask=mask) * (dy - mean_dy - x_hat * mean_dyx), mask=mask)


def bn_dx(dy, x, mean, var, scale, sum_dy, sum_dyx, eps: float):
    x, n, c, s = _view(x)
    dx = torch.empty_like(x)
    bn_dx_kernel[(triton.cdiv(x.numel(), BLOCK),)](
        dy.contiguous(), x, mean, var, scale, sum_dy, sum_dyx, dx, x.numel(), c, s, n * s, eps, BLOCK=BLOCK
    )
    return dx


@triton.jit
def prelu_kernel(
    src_ptr,  # x (forward) or dy (backward), (N, C, S)
    x_ptr,  # (N, C, S)
    alpha_ptr,  # (C,), or (1,) shared when C == 1
    out_ptr,
    n,
    C,
    S,
    BLOCK: tl.constexpr,
):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    alpha = tl.load(alpha_ptr + (offs // S) % C, mask=mask).to(tl.float32)
    src = tl.load(src_ptr + offs, mask=mask).to(tl.float32)
    x = tl.load(x_ptr + offs, mask=mask).to(tl.float32)
    tl.store(out_ptr + offs, tl.where(x > 0, src, alpha * src), mask=mask)


def _per_slope(t: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    """t as (N, C, S) with one channel per slope; a shared slope makes it all one channel."""
    return t.reshape(1, 1, -1) if alpha.numel() == 1 else t


def prelu(src, x, alpha):
    """Forward with src = x, backward (dx) with src = dy."""
    x, _, c, s = _view(_per_slope(x, alpha))
    out = torch.empty_like(x)
    prelu_kernel[(triton.cdiv(x.numel(), BLOCK),)](src.contiguous(), x, alpha, out, x.numel(), c, s, BLOCK=BLOCK)
    return out


def prelu_slope_grad(dy, x, alpha):
    """d alpha_c = sum over the channel of dy x where x <= 0."""
    return sums(_per_slope(dy, alpha), _per_slope(x, alpha), "prelu")[0]
