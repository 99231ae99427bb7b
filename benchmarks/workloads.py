"""Training-step workloads (forward + backward), as the NumPy reference and as
plain PyTorch CPU code, built once so every benchmark times the same thing.

    conv2d:   N=32, C=16, 32x32, K=32, 3x3, padding 1, float32
    max_pool: the same input, 2x2 window, stride 2
    softmax_cross_entropy: 256 x 1000 logits, integer labels
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from cnnbench.reference import conv, losses, pool

WORKLOADS = ("conv2d", "max_pool2d", "softmax_cross_entropy")


def _arrays(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    f32 = np.float32
    return {
        "x": rng.standard_normal((32, 16, 32, 32)).astype(f32),
        "w": rng.standard_normal((32, 16, 3, 3)).astype(f32),
        "b": rng.standard_normal(32).astype(f32),
        "dy_conv": rng.standard_normal((32, 32, 32, 32)).astype(f32),
        "dy_pool": rng.standard_normal((32, 16, 16, 16)).astype(f32),
        "logits": rng.standard_normal((256, 1000)).astype(f32),
        "labels": rng.integers(0, 1000, 256),
    }


def reference_step(name: str) -> Callable[[], object]:
    a = _arrays()
    steps = {
        "conv2d": lambda: (
            conv.conv2d(a["x"], a["w"], a["b"], padding=1),
            conv.conv2d_backward(a["dy_conv"], a["x"], a["w"], a["b"], padding=1),
        ),
        "max_pool2d": lambda: (
            pool.max_pool2d(a["x"], kernel_size=2),
            pool.max_pool2d_backward(a["dy_pool"], a["x"], kernel_size=2),
        ),
        "softmax_cross_entropy": lambda: (
            losses.cross_entropy(a["logits"], target=a["labels"]),
            losses.cross_entropy_backward(np.float32(1.0), a["logits"], target=a["labels"]),
        ),
    }
    return steps[name]


def torch_step(name: str) -> Callable[[], object]:
    import torch
    import torch.nn.functional as F

    t = {k: torch.from_numpy(v) for k, v in _arrays().items()}
    x, w, b, logits = (t[k].clone().requires_grad_() for k in ("x", "w", "b", "logits"))
    steps = {
        "conv2d": lambda: torch.autograd.grad(F.conv2d(x, w, b, padding=1), (x, w, b), t["dy_conv"]),
        "max_pool2d": lambda: torch.autograd.grad(F.max_pool2d(x, 2), (x,), t["dy_pool"]),
        "softmax_cross_entropy": lambda: torch.autograd.grad(F.cross_entropy(logits, t["labels"]), (logits,)),
    }
    return steps[name]
