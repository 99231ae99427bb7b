"""Hand-written Triton kernels, one op family per file, named after it:

    activations.py     sigmoid, tanh, relu, leaky_relu, elu, step (and their backwards)
    gates.py           add_gate, mul_gate, max_gate (residual_add is add_gate)
    channel_concat.py  channel_concat and its backward
    matmul.py          the tiled tl.dot product behind fully_connected and maxout
    maxout.py          maxout
    conv.py            conv2d (implicit GEMM)
    pool.py            max_pool2d, avg_pool2d
    softmax.py         softmax, log_softmax
    cross_entropy.py   cross_entropy (fused with the softmax)
    mse.py             mse
    batchnorm.py       batch_norm_train, batch_norm_eval
    prelu.py           prelu
    preprocess.py      subtract_mean_image, subtract_channel_mean, standardize_channels
    per_channel.py     the per-channel view and two-pass mean / variance the three above share
    dropout.py         dropout and its Philox mask
    philox.py          the Philox initialisers (small_random, xavier_*, he_*)
    penalty.py         l1, l2 and elastic-net penalties
    optimizers.py      sgd, sgd_momentum, sgd_nesterov, adagrad, rmsprop, adam
    lr_schedules.py    step, exponential, inverse-time and cosine decay
    reduce.py          deterministic row sums, and sum_to for broadcast gradients

Each file reads top to bottom as in the Triton tutorials: the module docstring with the
formulas and shapes, the @triton.jit kernels (constexpr meta-parameters in UPPER case, one
argument per line with a comment), the launchers that take and return torch tensors, and a
closing note on the blocking. Half types load, accumulate in float32, and store.

On a machine without a GPU, ``cnnbench.numerics.pinned_numerics`` sets TRITON_INTERPRET=1
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


def broadcast(*tensors: torch.Tensor) -> list[torch.Tensor]:
    """The tensors broadcast to one shape (NumPy rules), each made contiguous."""
    return [t.contiguous() for t in torch.broadcast_tensors(*tensors)]
