"""Elementwise kernels: activations and their derivatives, gates, dropout with a mask.

    forward:  y_i = f(x_i)                 one program per BLOCK elements
    backward: dx_i = dy_i * f'(x_i)        f' at x = 0 by the kink side (left: 0 for ReLU)

ACT selects f at compile time; ALPHA is the slope or scale some activations take.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

from . import BLOCK


@triton.jit
def _sigmoid(x):
    e = tl.exp(-tl.abs(x))  # never overflows
    return tl.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


@triton.jit
def _expm1(x):
    """e^x - 1 without the cancellation of exp(x) - 1 near 0: Taylor terms to x^5 below |x| = 1/16
    (truncation under x^6/720, a relative 2^-33), the plain difference above it (relative error <= 16 u)."""
    series = x * (1.0 + x * (0.5 + x * (1.0 / 6.0 + x * (1.0 / 24.0 + x * (1.0 / 120.0)))))
    return tl.where(tl.abs(x) < 0.0625, series, tl.exp(x) - 1.0)


@triton.jit
def _tanh(x):
    # tanh|x| = -expm1(-2|x|) / (2 + expm1(-2|x|)): no cancellation near 0
    m = _expm1(-2.0 * tl.abs(x))
    y = -m / (2.0 + m)
    return tl.where(x >= 0, y, -y)


@triton.jit
def activation_forward_kernel(
    x_ptr,  # input, n elements
    y_ptr,  # output, n elements
    n,  # number of elements
    alpha,  # negative slope (leaky_relu) or scale (elu)
    ACT: tl.constexpr,  # "sigmoid" | "tanh" | "relu" | "leaky_relu" | "elu" | "step"
    BLOCK: tl.constexpr,
):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask).to(tl.float32)
    if ACT == "sigmoid":
        y = _sigmoid(x)
    elif ACT == "tanh":
        y = _tanh(x)
    elif ACT == "relu":
        y = tl.where(x > 0, x, 0.0)
    elif ACT == "leaky_relu":
        y = tl.where(x > 0, x, alpha * x)
    elif ACT == "elu":
        y = tl.where(x > 0, x, alpha * _expm1(tl.minimum(x, 0.0)))
    else:  # step
        y = tl.where(x > 0, 1.0, 0.0)
    tl.store(y_ptr + offs, y, mask=mask)


@triton.jit
def activation_backward_kernel(
    dy_ptr,  # upstream gradient, n elements
    x_ptr,  # forward input, n elements
    dx_ptr,  # output gradient, n elements
    n,  # number of elements
    alpha,  # negative slope (leaky_relu) or scale (elu)
    ACT: tl.constexpr,
    BLOCK: tl.constexpr,
):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask).to(tl.float32)
    dy = tl.load(dy_ptr + offs, mask=mask).to(tl.float32)
    if ACT == "sigmoid":
        s = _sigmoid(x)
        slope = s * (1.0 - s)
    elif ACT == "tanh":
        t = _tanh(x)
        slope = 1.0 - t * t
    elif ACT == "relu":
        slope = tl.where(x > 0, 1.0, 0.0)
    elif ACT == "leaky_relu":
        slope = tl.where(x > 0, 1.0, alpha)
    else:  # elu
        slope = tl.where(x > 0, 1.0, alpha * tl.exp(tl.minimum(x, 0.0)))
    tl.store(dx_ptr + offs, dy * slope, mask=mask)


def activation(x: torch.Tensor, act: str, alpha: float = 0.0) -> torch.Tensor:
    x = x.contiguous()
    y = torch.empty_like(x)
    activation_forward_kernel[(triton.cdiv(x.numel(), BLOCK),)](x, y, x.numel(), alpha, ACT=act, BLOCK=BLOCK)
    return y


def activation_backward(dy: torch.Tensor, x: torch.Tensor, act: str, alpha: float = 0.0) -> torch.Tensor:
    x, dy = x.contiguous(), dy.contiguous()
    dx = torch.empty_like(x)
    activation_backward_kernel[(triton.cdiv(x.numel(), BLOCK),)](dy, x, dx, x.numel(), alpha, ACT=act, BLOCK=BLOCK)
    return dx


@triton.jit
def binary_kernel(
    a_ptr,  # first operand, n elements (already broadcast)
    b_ptr,  # second operand, n elements (already broadcast)
    out_ptr,  # result, n elements
    n,  # number of elements
    scale,  # multiplies the result (dropout: 1 / (1 - p))
    OP: tl.constexpr,  # "add" | "sub" | "mul" | "max" | "lerp": scale a + (1 - scale) b | "mask_a_first": a >= b
    BLOCK: tl.constexpr,
):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    a = tl.load(a_ptr + offs, mask=mask).to(tl.float32)
    b = tl.load(b_ptr + offs, mask=mask).to(tl.float32)
    if OP == "add":
        out = a + b
    elif OP == "sub":
        out = a - b
    elif OP == "mul":
        out = a * b
    elif OP == "max":
        out = tl.maximum(a, b)
    elif OP == "lerp":
        out = scale * a + (1.0 - scale) * b
    else:  # mask_a_first: 1 where a wins, ties included
        out = tl.where(a >= b, 1.0, 0.0)
    if OP != "lerp":
        out = out * scale
    tl.store(out_ptr + offs, out, mask=mask)


def binary(a: torch.Tensor, b: torch.Tensor, op: str, scale: float = 1.0) -> torch.Tensor:
    """a (op) b with NumPy broadcasting; the broadcast is a view made contiguous."""
    a, b = torch.broadcast_tensors(a, b)
    a, b = a.contiguous(), b.contiguous()
    out = torch.empty_like(a)
    binary_kernel[(triton.cdiv(a.numel(), BLOCK),)](a, b, out, a.numel(), scale, OP=op, BLOCK=BLOCK)
    return out
