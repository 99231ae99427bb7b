"""Learning-rate schedules evaluated for a vector of step numbers t:

step:        lr * drop^floor(t / every)
exponential: lr * gamma^t
inverse:     lr / (1 + k t)
cosine:      lr_min + (lr - lr_min) (1 + cos(pi min(t, T) / T)) / 2, computed as cos^2(pi min(t, T) / 2T)
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

from . import BLOCK


@triton.jit
def schedule_kernel(
    t_ptr,  # step numbers (int64)
    out_ptr,  # learning rates
    n,
    lr,
    a,  # drop (step), gamma (exponential), k (inverse), lr_min (cosine)
    b,  # every (step), period (cosine)
    KIND: tl.constexpr,  # "step" | "exponential" | "inverse" | "cosine"
    BLOCK: tl.constexpr,
):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    t = tl.load(t_ptr + offs, mask=mask).to(tl.float32)
    if KIND == "step":
        out = lr * tl.exp(tl.log(a) * tl.floor(t / b))
    elif KIND == "exponential":
        out = lr * tl.exp(tl.log(a) * t)
    elif KIND == "inverse":
        out = lr / (1.0 + a * t)
    else:
        # (1 + cos theta) / 2 = cos^2(theta / 2): no cancellation as theta nears pi
        half = tl.cos(1.5707963267948966 * tl.minimum(t, b) / b)
        out = a + (lr - a) * half * half
    tl.store(out_ptr + offs, out, mask=mask)


def schedule(kind: str, steps: torch.Tensor, lr: float, a: float, b: float = 1.0) -> torch.Tensor:
    out = torch.empty(steps.shape, dtype=torch.float32, device=steps.device)
    schedule_kernel[(triton.cdiv(steps.numel(), BLOCK),)](
        steps.contiguous(), out, steps.numel(), lr, a, b, KIND=kind, BLOCK=BLOCK
    )
    return out
