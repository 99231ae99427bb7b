"""Channel concatenation as strided block copies: input i, viewed (N, C_i, S), lands in
channels [offset_i, offset_i + C_i) of the output (N, sum C, S). The backward is the
same copy read the other way: input i's gradient is that channel slice of dy."""

from __future__ import annotations

import torch
import triton
import triton.language as tl

from . import BLOCK


@triton.jit
def channel_copy_kernel(
    src_ptr,  # (N, C_i, S) contiguous
    dst_ptr,  # (N, C_out, S) contiguous
    n,  # N * C_i * S
    block_src,  # C_i * S: one image of the source
    block_dst,  # C_out * S: one image of the destination
    offset,  # first destination channel times S
    TO_DST: tl.constexpr,  # copy src -> dst (concat) or dst -> src (its backward)
    BLOCK: tl.constexpr,
):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    there = (offs // block_src) * block_dst + offset + offs % block_src
    if TO_DST:
        tl.store(dst_ptr + there, tl.load(src_ptr + offs, mask=mask), mask=mask)
    else:
        tl.store(src_ptr + offs, tl.load(dst_ptr + there, mask=mask), mask=mask)


def _blocks(xs: tuple[torch.Tensor, ...]) -> tuple[int, int]:
    """(S, sum C_i)."""
    spatial = xs[0][0, 0].numel() if xs[0].ndim > 2 else 1
    return spatial, sum(x.shape[1] for x in xs)


def channel_concat(xs: tuple[torch.Tensor, ...]) -> torch.Tensor:
    """The inputs (N, C_i, *spatial) joined along the channel axis."""
    spatial, channels = _blocks(xs)
    out = torch.empty((xs[0].shape[0], channels, *xs[0].shape[2:]), dtype=xs[0].dtype, device=xs[0].device)
    offset = 0
    for x in xs:
        x = x.contiguous()
        channel_copy_kernel[(triton.cdiv(x.numel(), BLOCK),)](
            x, out, x.numel(), x.shape[1] * spatial, channels * spatial, offset * spatial, TO_DST=True, BLOCK=BLOCK
        )
        offset += x.shape[1]
    return out


def channel_concat_backward(dy: torch.Tensor, xs: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, ...]:
    """dy split back into one gradient per input."""
    spatial, channels = _blocks(xs)
    dy = dy.contiguous()
    parts, offset = [], 0
    for x in xs:
        part = torch.empty_like(x)
        channel_copy_kernel[(triton.cdiv(x.numel(), BLOCK),)](
            part, dy, x.numel(), x.shape[1] * spatial, channels * spatial, offset * spatial, TO_DST=False, BLOCK=BLOCK
        )
        parts.append(part)
        offset += x.shape[1]
    return tuple(parts)


# Blocking: one program per BLOCK consecutive elements of input i; each image's C_i * S block
# is contiguous in both tensors, so the copy is a strided memcpy with one division per element.
