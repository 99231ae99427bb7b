"""Two-input gates with NumPy broadcasting, forward and backward.

    add_gate   z = a + b          da = dz                      db = dz
    mul_gate   z = a b            da = dz b                    db = dz a
    max_gate   z = max(a, b)      da = dz [a >= b]             db = dz - da      (ties go to a)

Gradients are summed back to each input's shape (``reduce.sum_to``). Each forward formula
is a @triton.jit f(a, b) handed to one map kernel.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

from . import BLOCK, broadcast
from .reduce import sum_to


@triton.jit
def _add(a, b):
    return a + b


@triton.jit
def _multiply(a, b):
    return a * b


@triton.jit
def _maximum(a, b):
    return tl.maximum(a, b)


@triton.jit
def gate_kernel(
    a_ptr,  # first input, n elements (already broadcast)
    b_ptr,  # second input, n elements (already broadcast)
    z_ptr,  # out, n elements
    n,
    GATE: tl.constexpr,  # the gate, a @triton.jit f(a, b)
    BLOCK: tl.constexpr,
):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    a = tl.load(a_ptr + offs, mask=mask).to(tl.float32)
    b = tl.load(b_ptr + offs, mask=mask).to(tl.float32)
    tl.store(z_ptr + offs, GATE(a, b), mask=mask)


@triton.jit
def mul_gate_backward_kernel(
    dz_ptr,  # upstream gradient, n elements
    a_ptr,  # n elements (already broadcast)
    b_ptr,  # n elements (already broadcast)
    da_ptr,  # out, n elements: dz b
    db_ptr,  # out, n elements: dz a
    n,
    BLOCK: tl.constexpr,
):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    dz = tl.load(dz_ptr + offs, mask=mask).to(tl.float32)
    tl.store(da_ptr + offs, dz * tl.load(b_ptr + offs, mask=mask).to(tl.float32), mask=mask)
    tl.store(db_ptr + offs, dz * tl.load(a_ptr + offs, mask=mask).to(tl.float32), mask=mask)


@triton.jit
def max_gate_backward_kernel(
    dz_ptr,  # upstream gradient, n elements
    a_ptr,  # n elements (already broadcast)
    b_ptr,  # n elements (already broadcast)
    da_ptr,  # out, n elements: dz where a wins, ties included
    db_ptr,  # out, n elements: the rest of dz
    n,
    BLOCK: tl.constexpr,
):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    dz = tl.load(dz_ptr + offs, mask=mask).to(tl.float32)
    a = tl.load(a_ptr + offs, mask=mask).to(tl.float32)
    b = tl.load(b_ptr + offs, mask=mask).to(tl.float32)
    da = dz * tl.where(a >= b, 1.0, 0.0)
    tl.store(da_ptr + offs, da, mask=mask)
    tl.store(db_ptr + offs, dz - da, mask=mask)


def _gate(f, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    a, b = broadcast(a, b)
    z = torch.empty_like(a)
    gate_kernel[(triton.cdiv(a.numel(), BLOCK),)](a, b, z, a.numel(), GATE=f, BLOCK=BLOCK)
    return z


def _gate_backward(kernel, dz: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    dz_full, a_full, b_full = broadcast(dz, a, b)
    da, db = torch.empty_like(dz_full), torch.empty_like(dz_full)
    kernel[(triton.cdiv(dz_full.numel(), BLOCK),)](dz_full, a_full, b_full, da, db, dz_full.numel(), BLOCK=BLOCK)
    return sum_to(da, a.shape), sum_to(db, b.shape)


def add_gate(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return _gate(_add, a, b)


def add_gate_backward(dz: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return sum_to(dz, a.shape), sum_to(dz, b.shape)


def mul_gate(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return _gate(_multiply, a, b)


def mul_gate_backward(dz: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return _gate_backward(mul_gate_backward_kernel, dz, a, b)


def max_gate(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return _gate(_maximum, a, b)


def max_gate_backward(dz: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return _gate_backward(max_gate_backward_kernel, dz, a, b)


# Blocking: one program per BLOCK consecutive elements of the broadcast operands (torch views
# made contiguous); the backward kernels write both gradients in one pass before sum_to.
