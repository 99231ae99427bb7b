"""Fused optimizer steps: one launch per parameter tensor, updating in place.

With g = grad + wd * p (coupled weight decay):
    sgd:       p -= lr g
    momentum:  v = rho v + g;            p -= lr v
    nesterov:  v = rho v + g;            p -= lr (g + rho v)
    adagrad:   s += g^2;                 p -= lr g / (sqrt(s) + eps)
    rmsprop:   s = rho s + (1 - rho) g^2; p -= lr g / (sqrt(s) + eps)
    adam:      m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
               p -= lr (m / c1) / (sqrt(v / c2) + eps),  c1 = 1 - b1^t, c2 = 1 - b2^t
The launcher keeps the pure-step contract by updating copies.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

from . import BLOCK


@triton.jit
def optimizer_step_kernel(
    p_ptr,  # parameter, updated in place
    g_ptr,  # gradient
    s1_ptr,  # first state slot (velocity, sum of squares, mean square, m), in place
    s2_ptr,  # second state slot (adam's v), in place
    n,
    lr,
    weight_decay,
    rho,  # momentum, rmsprop decay, or adam beta1
    beta2,
    eps,
    c1,  # adam bias corrections 1 - beta^t
    c2,
    KIND: tl.constexpr,  # "sgd" | "momentum" | "nesterov" | "adagrad" | "rmsprop" | "adam"
    BLOCK: tl.constexpr,
):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    p = tl.load(p_ptr + offs, mask=mask).to(tl.float32)
    g = tl.load(g_ptr + offs, mask=mask).to(tl.float32) + weight_decay * p
    if KIND == "sgd":
        p = p - lr * g
    else:
        s1 = tl.load(s1_ptr + offs, mask=mask).to(tl.float32)
        if KIND == "momentum":
            s1 = rho * s1 + g
            p = p - lr * s1
        elif KIND == "nesterov":
            s1 = rho * s1 + g
            p = p - lr * (g + rho * s1)
        elif KIND == "adagrad":
            s1 = s1 + g * g
            p = p - lr * g / (tl.sqrt(s1) + eps)
        elif KIND == "rmsprop":
            s1 = rho * s1 + (1.0 - rho) * g * g
            p = p - lr * g / (tl.sqrt(s1) + eps)
        else:  # adam
            s1 = rho * s1 + (1.0 - rho) * g
            s2 = beta2 * tl.load(s2_ptr + offs, mask=mask).to(tl.float32) + (1.0 - beta2) * g * g
            p = p - lr * (s1 / c1) / (tl.sqrt(s2 / c2) + eps)
            tl.store(s2_ptr + offs, s2, mask=mask)
        tl.store(s1_ptr + offs, s1, mask=mask)
    tl.store(p_ptr + offs, p, mask=mask)


def step_in_place(kind: str, p, g, s1, s2, t: int, *, lr, weight_decay=0.0, rho=0.0, beta2=0.0, eps=0.0) -> None:
    """Update p, s1, s2 in place: the fused step after t - 1 earlier ones."""
    c1, c2 = (1.0 - rho**t, 1.0 - beta2**t) if kind == "adam" else (1.0, 1.0)
    optimizer_step_kernel[(triton.cdiv(p.numel(), BLOCK),)](
        p, g, s1, s2, p.numel(), lr, weight_decay, rho, beta2, eps, c1, c2, KIND=kind, BLOCK=BLOCK
    )


def step(kind: str, param, grad, state, *, initial=0.0, **hyper):
    """One step on copies of ``param`` and ``state`` (the pure-step contract); returns (param, state)."""
    p = param.contiguous().clone()
    if state is None:
        state = {"t": 0, "s1": torch.full_like(p, initial), "s2": torch.zeros_like(p)}
    state = {"t": state["t"] + 1, "s1": state["s1"].clone(), "s2": state["s2"].clone()}
    step_in_place(kind, p, grad.contiguous(), state["s1"], state["s2"], state["t"], **hyper)
    return p, state
