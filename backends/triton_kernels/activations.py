"""Activations and their derivatives, elementwise on tensors of any shape.

    sigmoid      y = 1 / (1 + e^-x)                           dy/dx = y (1 - y)
    tanh         y = sign(x) (-m / (2 + m)),  m = expm1(-2|x|)   dy/dx = 1 - y^2
    relu         y = x [x > 0]                                dy/dx = [x > 0]
    leaky_relu   y = x if x > 0 else alpha x                  dy/dx = 1 if x > 0 else alpha
    elu          y = x if x > 0 else alpha expm1(x)           dy/dx = 1 if x > 0 else alpha e^x
    step         y = [x > 0]

expm1 is a Taylor series below |x| = 1/16 (no cancellation near 0), e^x - 1 above.

Derivatives at the kink x = 0 take the left side (relu: 0). Each formula is a @triton.jit
function f(x, alpha) (alpha: leaky_relu's negative slope or elu's scale, unused by the
others) handed to one map kernel: y = f(x) forward, dx = dy * f'(x) backward.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

from . import BLOCK


@triton.jit
def _expm1(x):
    """e^x - 1 without the cancellation of exp(x) - 1 near 0: Taylor terms to x^5 below |x| = 1/16
    (truncation under x^6/720, a relative 2^-33), the plain difference above it (relative error <= 16 u)."""
    series = x * (1.0 + x * (0.5 + x * (1.0 / 6.0 + x * (1.0 / 24.0 + x * (1.0 / 120.0)))))
    return tl.where(tl.abs(x) < 0.0625, series, tl.exp(x) - 1.0)


@triton.jit
def _sigmoid(x, alpha):
    e = tl.exp(-tl.abs(x))  # never overflows
    return tl.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


@triton.jit
def _sigmoid_slope(x, alpha):
    s = _sigmoid(x, alpha)
    return s * (1.0 - s)


@triton.jit
def _tanh(x, alpha):
    # tanh|x| = -expm1(-2|x|) / (2 + expm1(-2|x|)): no cancellation near 0
    m = _expm1(-2.0 * tl.abs(x))
    y = -m / (2.0 + m)
    return tl.where(x >= 0, y, -y)


@triton.jit
def _tanh_slope(x, alpha):
    t = _tanh(x, alpha)
    return 1.0 - t * t


@triton.jit
def _relu(x, alpha):
    return tl.where(x > 0, x, 0.0)


@triton.jit
def _relu_slope(x, alpha):
    return tl.where(x > 0, 1.0, 0.0)


@triton.jit
def _leaky_relu(x, alpha):
    return tl.where(x > 0, x, alpha * x)


@triton.jit
def _leaky_relu_slope(x, alpha):
    return tl.where(x > 0, 1.0, alpha)


@triton.jit
def _elu(x, alpha):
    return tl.where(x > 0, x, alpha * _expm1(tl.minimum(x, 0.0)))


@triton.jit
def _elu_slope(x, alpha):
    return tl.where(x > 0, 1.0, alpha * tl.exp(tl.minimum(x, 0.0)))


_step = _relu_slope  # the step function is ReLU's slope


@triton.jit
def activation_kernel(
    x_ptr,  # input, n elements
    y_ptr,  # out, n elements
    n,
    alpha,  # passed to F
    F: tl.constexpr,  # the activation, a @triton.jit f(x, alpha)
    BLOCK: tl.constexpr,
):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask).to(tl.float32)
    tl.store(y_ptr + offs, F(x, alpha), mask=mask)


@triton.jit
def activation_grad_kernel(
    dy_ptr,  # upstream gradient, n elements
    x_ptr,  # forward input, n elements
    dx_ptr,  # out, n elements
    n,
    alpha,  # passed to SLOPE
    SLOPE: tl.constexpr,  # the derivative, a @triton.jit f'(x, alpha)
    BLOCK: tl.constexpr,
):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask).to(tl.float32)
    dy = tl.load(dy_ptr + offs, mask=mask).to(tl.float32)
    tl.store(dx_ptr + offs, dy * SLOPE(x, alpha), mask=mask)


def _apply(f, x: torch.Tensor, alpha: float = 0.0) -> torch.Tensor:
    x = x.contiguous()
    y = torch.empty_like(x)
    activation_kernel[(triton.cdiv(x.numel(), BLOCK),)](x, y, x.numel(), alpha, F=f, BLOCK=BLOCK)
    return y


def _apply_grad(slope, dy: torch.Tensor, x: torch.Tensor, alpha: float = 0.0) -> torch.Tensor:
    x, dy = x.contiguous(), dy.contiguous()
    dx = torch.empty_like(x)
    activation_grad_kernel[(triton.cdiv(x.numel(), BLOCK),)](dy, x, dx, x.numel(), alpha, SLOPE=slope, BLOCK=BLOCK)
    return dx


def sigmoid(x: torch.Tensor) -> torch.Tensor:
    return _apply(_sigmoid, x)


def sigmoid_backward(dy: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return _apply_grad(_sigmoid_slope, dy, x)


def tanh(x: torch.Tensor) -> torch.Tensor:
    return _apply(_tanh, x)


def tanh_backward(dy: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return _apply_grad(_tanh_slope, dy, x)


def relu(x: torch.Tensor) -> torch.Tensor:
    return _apply(_relu, x)


def relu_backward(dy: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return _apply_grad(_relu_slope, dy, x)


def leaky_relu(x: torch.Tensor, negative_slope: float) -> torch.Tensor:
    return _apply(_leaky_relu, x, negative_slope)


def leaky_relu_backward(dy: torch.Tensor, x: torch.Tensor, negative_slope: float) -> torch.Tensor:
    return _apply_grad(_leaky_relu_slope, dy, x, negative_slope)


def elu(x: torch.Tensor, alpha: float) -> torch.Tensor:
    return _apply(_elu, x, alpha)


def elu_backward(dy: torch.Tensor, x: torch.Tensor, alpha: float) -> torch.Tensor:
    return _apply_grad(_elu_slope, dy, x, alpha)


def step(x: torch.Tensor) -> torch.Tensor:
    return _apply(_step, x)


# Blocking: one program per BLOCK consecutive elements of the flat tensor; the formula is a
# compile-time argument, so each activation compiles to its own specialised kernel.
