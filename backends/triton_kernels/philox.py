"""Weight initialisers sampled with Triton's Philox generator: element i of a draw is a
pure function of (seed, i), so a draw is reproducible and never has to be stored.

    normal:   w_i = std * N_i,                 N_i = tl.randn(seed, i), standard normal
    uniform:  w_i = limit * (2 U_i - 1),       U_i = tl.rand(seed, i), uniform on [0, 1)

The dropout mask is drawn the same way, in ``dropout.py``.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

from . import BLOCK


@triton.jit
def normal_kernel(
    out_ptr,  # out, n samples
    n,
    seed,
    std,
    BLOCK: tl.constexpr,
):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    tl.store(out_ptr + offs, std * tl.randn(seed, offs), mask=offs < n)


@triton.jit
def uniform_kernel(
    out_ptr,  # out, n samples
    n,
    seed,
    limit,  # samples lie in [-limit, limit)
    BLOCK: tl.constexpr,
):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    tl.store(out_ptr + offs, limit * (2.0 * tl.rand(seed, offs) - 1.0), mask=offs < n)


def sample(kernel, shape: tuple[int, ...], seed: int, a: float, device: str) -> torch.Tensor:
    """float32 tensor of ``shape`` filled by a sampler ``kernel(out_ptr, n, seed, a, BLOCK)``."""
    out = torch.empty(tuple(shape), dtype=torch.float32, device=device)
    kernel[(triton.cdiv(out.numel(), BLOCK),)](out, out.numel(), int(seed), a, BLOCK=BLOCK)
    return out


def normal(shape: tuple[int, ...], seed: int, std: float, device: str) -> torch.Tensor:
    """float32 samples of N(0, std^2)."""
    return sample(normal_kernel, shape, seed, std, device)


def uniform(shape: tuple[int, ...], seed: int, limit: float, device: str) -> torch.Tensor:
    """float32 samples of U(-limit, limit)."""
    return sample(uniform_kernel, shape, seed, limit, device)


# Blocking: one program per BLOCK consecutive elements; the Philox counter is the element's
# flat offset, so any BLOCK draws the same values.
