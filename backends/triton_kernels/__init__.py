"""Hand-written Triton kernels, one family per file. Each file reads top to bottom:
the kernel (constexpr meta-parameters in UPPER case, one argument per line with a
comment), then the launcher that takes torch tensors and returns torch tensors.

On a machine without CUDA, ``backends.triton_backend`` sets TRITON_INTERPRET=1
before these modules load, so the same kernels run on the CPU interpreter.
"""

import torch

BLOCK = 1024  # elements per program for the 1-D kernels


def tile_configs(triton, keys: dict[str, int]) -> list:
    """Autotuning candidates for the tl.dot kernels: on a GPU, square tiles of 32, 64 and
    128 with 4 or 8 warps (the usual sweet spots from the Triton matmul tutorial); on the
    interpreter, one 32-tile so CI stays fast."""
    import os

    if os.environ.get("TRITON_INTERPRET") == "1":
        return [triton.Config(keys, num_warps=4)]
    sizes = [(32, 4), (64, 4), (64, 8), (128, 8)]
    return [triton.Config({k: size for k in keys}, num_warps=warps) for size, warps in sizes]


def row_warps(block: int) -> int:
    """Warps for one-row-per-program kernels: more threads for longer rows (fused-softmax tutorial)."""
    return 4 if block <= 2048 else 8 if block <= 8192 else 16


Pair = int | tuple[int, int]  # a size given once for both spatial axes, or as (h, w)


def pair(v: Pair) -> tuple[int, int]:
    """An int or an (h, w) pair as an (h, w) pair of ints."""
    return (int(v), int(v)) if isinstance(v, int) else (int(v[0]), int(v[1]))


def broadcast(*tensors: torch.Tensor) -> list[torch.Tensor]:
    """The tensors broadcast to one shape (NumPy rules), each made contiguous."""
    return [t.contiguous() for t in torch.broadcast_tensors(*tensors)]
