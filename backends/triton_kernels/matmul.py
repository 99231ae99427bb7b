"""Tiled matrix product with tl.dot: C (M, N) = A (M, K) @ B (K, N) [+ bias (N,)].

A and B are read through strides, so a transposed operand costs nothing; fully
connected layers use it three ways:  y = x W^T + b,  dx = dy W,  dW = dy^T x.
Accumulation is float32 with IEEE products (no TF32), as the numerics policy asks.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

from . import tile_configs

TILES = {"BLOCK_M": 32, "BLOCK_N": 32, "BLOCK_K": 32}


@triton.autotune(configs=tile_configs(triton, TILES), key=["M", "N", "K"])
@triton.jit
def matmul_kernel(
    a_ptr,  # A, (M, K) through strides
    b_ptr,  # B, (K, N) through strides
    bias_ptr,  # (N,), or None for no bias
    c_ptr,  # C, (M, N) row-major
    M,
    N,
    K,
    stride_am,
    stride_ak,
    stride_bk,
    stride_bn,
    BLOCK_M: tl.constexpr,
    BLOCK_N: tl.constexpr,
    BLOCK_K: tl.constexpr,
):
    rows = tl.program_id(0) * BLOCK_M + tl.arange(0, BLOCK_M)
    cols = tl.program_id(1) * BLOCK_N + tl.arange(0, BLOCK_N)
    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)
    for start in range(0, K, BLOCK_K):
        ks = start + tl.arange(0, BLOCK_K)
        a = tl.load(
            a_ptr + rows[:, None] * stride_am + ks[None, :] * stride_ak,
            mask=(rows[:, None] < M) & (ks[None, :] < K),
            other=0.0,
        )
        b = tl.load(
            b_ptr + ks[:, None] * stride_bk + cols[None, :] * stride_bn,
            mask=(ks[:, None] < K) & (cols[None, :] < N),
            other=0.0,
        )
        acc += tl.dot(a.to(tl.float32), b.to(tl.float32), input_precision="ieee")
    if bias_ptr is not None:
        acc += tl.load(bias_ptr + cols, mask=cols < N, other=0.0).to(tl.float32)[None, :]
    tl.store(c_ptr + rows[:, None] * N + cols[None, :], acc, mask=(rows[:, None] < M) & (cols[None, :] < N))


def matmul(a: torch.Tensor, b: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
    """a @ b (+ bias) for 2-D tensors, any strides."""
    (m, k), n = a.shape, b.shape[1]
    c = torch.empty((m, n), dtype=a.dtype, device=a.device)

    def grid(meta):
        return (triton.cdiv(m, meta["BLOCK_M"]), triton.cdiv(n, meta["BLOCK_N"]))

    strides = (a.stride(0), a.stride(1), b.stride(0), b.stride(1))
    matmul_kernel[grid](a, b, bias, c, m, n, k, *strides)
    return c


# Blocking: one program per BLOCK_M x BLOCK_N tile of C, stepping through K in BLOCK_K slabs
# (tile sizes autotuned on a GPU, see tile_configs); no split-K, so sums are deterministic.
