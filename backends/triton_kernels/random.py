"""Samplers from Triton's Philox generator (tl.rand, tl.randn): element i of a draw is
a pure function of (seed, i), so a mask or an initial weight is reproducible and
never has to be stored.

    dropout mask: 1 where U(0, 1) >= p
    normal:       std * N(0, 1)
    uniform:      limit * (2 U(0, 1) - 1)
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

from . import BLOCK


@triton.jit
def sample_kernel(
    out_ptr,  # n samples
    n,
    seed,
    a,  # p (mask), std (normal) or limit (uniform)
    KIND: tl.constexpr,  # "mask" | "normal" | "uniform"
    BLOCK: tl.constexpr,
):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    if KIND == "normal":
        out = a * tl.randn(seed, offs)
    elif KIND == "uniform":
        out = a * (2.0 * tl.rand(seed, offs) - 1.0)
    else:
        out = tl.where(tl.rand(seed, offs) >= a, 1.0, 0.0)
    tl.store(out_ptr + offs, out, mask=mask)


def sample(kind: str, shape: tuple[int, ...], seed: int, a: float, device: str) -> torch.Tensor:
    out = torch.empty(tuple(shape), dtype=torch.float32, device=device)
    sample_kernel[(triton.cdiv(out.numel(), BLOCK),)](out, out.numel(), int(seed), a, KIND=kind, BLOCK=BLOCK)
    return out
