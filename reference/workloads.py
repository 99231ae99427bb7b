"""The workload table: for every op of the catalog, one representative call of a CNN training
step at two sizes, what to time of it, and the work it does. asv, pytest-benchmark and
``cnnbench bench`` all read this table; nothing else defines a benchmark shape.

Sizes:

    small     CI-sized; the only size run on the Triton interpreter
    standard  the real measurement: images N=32, C=64, 32x32 (conv2d: K=64, 3x3, padding 1;
              pooling 2x2; BatchNorm and activations over the whole batch), fully connected
              256 x 2048 -> 1000, softmax and cross-entropy 256 x 1000, optimizers, penalties and
              initialisers over 1024 x 1024 = 1M parameters, preprocessing a 256 x 3 x 32 x 32 batch

Directions, derived from the catalog record:

    forward           every op
    forward+backward  differentiable ops: the forward, then the backward at the same inputs
    step              optimizers: one step from a warm state (that of one earlier step)

Work of one call, for rates:

    FLOPs     the matrix-product ops, 2 per multiply-add: conv2d 2 |y| C/g KH KW, fully connected
              2 |y| D, maxout 2 |y| P D (|y| the forward's output elements; bias adds not counted);
              the backward does the forward's work twice (one product for the input's gradient,
              one for the weights'), so forward+backward is 3x the forward
    elements  every op: the array elements a call must at least read and write, once each:
              forward reads its inputs (array parameters too: labels, masks, running statistics)
              and writes its outputs; the backward reads dy (shaped like the first output) and
              the inputs again and writes one gradient per input; an optimizer step reads the
              parameter, the gradient and its state and writes the parameter and its state
Bytes are elements times the timed dtype's size (integer labels and step numbers are charged
at that size too, a small overcount); GB/s is the rate of memory-bound ops.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from .cases import Case
from .catalog import CATALOG, Op

SIZES = ("small", "standard")
FORWARD, FORWARD_BACKWARD, STEP = "forward", "forward+backward", "step"
RATE_UNITS = {"flops": "GFLOP/s", "bytes": "GB/s"}
# multiply-adds per output element of the matrix-product ops: C/g KH KW, D, P D (w's shapes)
MULTIPLY_ADDS_PER_OUTPUT = {
    "conv2d": lambda x, w, b, groups=1, **_: int(np.prod(w.shape[1:])),  # w (K, C/g, KH, KW)
    "fully_connected": lambda x, w, b: w.shape[1],  # w (M, D)
    "maxout": lambda x, w, b: w.shape[0] * w.shape[2],  # w (P, M, D)
}

# Optimizer state arrays shaped like the parameter (read and written every step).
STATE_ARRAYS = {"sgd": 0, "sgd_momentum": 1, "sgd_nesterov": 1, "adagrad": 1, "rmsprop": 1, "adam": 2}


@dataclass(frozen=True)
class Dims:
    """The shapes one size is made of."""

    image: tuple[int, int, int, int]  # (N, C, H, W) activations
    kernels: int  # conv2d output channels K (3x3 kernels, padding 1)
    dense: tuple[int, int, int]  # fully connected (N, D, M); maxout uses D/2 -> M/2 with 2 pieces
    logits: tuple[int, int]  # (N, classes) for softmax and the losses
    params: tuple[int, int]  # parameter block of optimizers, penalties, initialisers
    batch: tuple[int, int, int, int]  # (N, 3, H, W) input images for preprocessing
    steps: int  # schedule length


DIMS = {
    "small": Dims((4, 8, 8, 8), 8, (16, 64, 32), (16, 100), (64, 64), (8, 3, 8, 8), 100),
    "standard": Dims((32, 64, 32, 32), 64, (256, 2048, 1000), (256, 1000), (1024, 1024), (256, 3, 32, 32), 10_000),
}

def _hyperparameters(op: Op) -> dict[str, Any]:
    """The scalar hyperparameters of the op's first catalog case (binary fractions, exact in every
    dtype): an optimizer's lr, momentum, ...; a schedule's lr, decay, ..."""
    return {k: v for k, v in op.cases()[0].params.items() if not isinstance(v, np.ndarray)}


def _normal(seed: int, shape: tuple[int, ...], scale: float = 1.0) -> np.ndarray:
    return scale * np.random.default_rng(seed).standard_normal(shape)


def _batch_norm(d: Dims) -> tuple[tuple[np.ndarray, ...], dict[str, Any]]:
    c = d.image[1]
    inputs = (_normal(1, d.image), np.random.default_rng(2).uniform(0.5, 1.5, c), _normal(3, (c,)))
    return inputs, {"running_mean": _normal(4, (c,), 0.1), "running_var": np.random.default_rng(5).uniform(0.5, 2, c)}


def _call(op: Op, d: Dims) -> tuple[tuple[np.ndarray, ...], dict[str, Any]]:
    """Positional inputs and keyword params of ``op``'s call at size ``d``."""
    n, c, h, w = d.image
    x = _normal(1, d.image)
    logits = _normal(1, d.logits, 2.0)
    family, name = op.family, op.name
    if name in ("softmax", "log_softmax"):
        return (logits,), {}
    if name == "cross_entropy":
        return (logits,), {"target": np.random.default_rng(2).integers(0, d.logits[1], d.logits[0])}
    if name == "mse":
        return (logits,), {"target": _normal(2, d.logits)}
    if name == "prelu":
        return (x, np.random.default_rng(2).uniform(0.05, 0.5, c)), {}
    if name == "maxout":
        rows, inner, outer = d.dense[0], d.dense[1] // 2, d.dense[2] // 2
        return (_normal(1, (rows, inner)), _normal(2, (2, outer, inner), inner**-0.5), _normal(3, (2, outer))), {}
    if family == "activation":
        return (x,), {}
    if name in ("add_gate", "mul_gate"):
        return (x, _normal(2, (1, c, 1, 1))), {}  # a per-channel bias or scale, broadcast
    if name in ("max_gate", "residual_add", "channel_concat"):
        return (x, _normal(2, d.image)), {}
    if name == "fully_connected":
        rows, inner, outer = d.dense
        return (_normal(1, (rows, inner)), _normal(2, (outer, inner), inner**-0.5), _normal(3, (outer,))), {}
    if name == "flatten":
        return (_normal(1, (n, c, h // 4, w // 4)),), {}  # the feature map a classifier head flattens
    if name == "conv2d":
        k = (d.kernels, c, 3, 3)
        return (x, _normal(2, k, (9 * c) ** -0.5), _normal(3, (d.kernels,))), {"padding": 1}
    if family == "pool":
        return (x,), {"kernel_size": 2}
    if family == "batchnorm":
        return _batch_norm(d)
    if name == "dropout":
        return (x,), {"mask": (np.random.default_rng(2).random(d.image) >= 0.5).astype(np.float64), "p": 0.5}
    if name == "dropout_mask":
        return (), {"shape": d.image, "p": 0.5, "seed": 7}
    if family == "init":
        return (), {"shape": d.params, "seed": 3}
    if family == "regularization":
        strengths = {"l1_penalty": {"l1": 0.375}, "l2_penalty": {"l2": 0.375}}
        return (_normal(1, d.params),), strengths.get(name, {"l1": 0.25, "l2": 0.5})
    if family == "optimizer":
        # gradients of 1/16: over the ~1e5 steps of a long timing, no state (AdaGrad's sum of g^2
        # included) leaves the float16 range, so every timed step works on finite numbers
        return (_normal(1, d.params),), {"grad": _normal(2, d.params, 2**-4), **_hyperparameters(op)}
    if family == "schedule":
        return (), {"steps": np.arange(d.steps), **_hyperparameters(op)}
    if family == "preprocess":
        return (_normal(1, d.batch, 3.0) + 100.0,), {}
    raise KeyError(f"op: no workload for {name!r}; add it to reference/workloads.py")


def _directions(op: Op) -> tuple[str, ...]:
    if op.kind == "trajectory":
        return (STEP,)
    return (FORWARD, FORWARD_BACKWARD) if op.differentiable else (FORWARD,)


@dataclass(frozen=True)
class Workload:
    """One op at one size. ``case`` holds float64 inputs (whoever times it rounds them to the
    dtype); for an optimizer, ``case.params["grad"]`` is the gradient of every timed step."""

    op: Op
    size: str

    @property
    def name(self) -> str:
        return f"{self.op.name}[{self.size}]"

    @property
    def directions(self) -> tuple[str, ...]:
        return _directions(self.op)

    @cached_property
    def case(self) -> Case:
        inputs, params = _call(self.op, DIMS[self.size])
        return Case(self.name, inputs, params)

    @property
    def measure(self) -> str:
        """What a rate of this op counts: "flops" (matrix products) or "bytes" (memory-bound)."""
        return "flops" if self.op.name in MULTIPLY_ADDS_PER_OUTPUT else "bytes"

    @cached_property
    def forward_flops(self) -> int:
        """2 x multiply-adds of one forward (module docstring; 0 for memory-bound ops)."""
        per_output = MULTIPLY_ADDS_PER_OUTPUT.get(self.op.name)
        return 0 if per_output is None else 2 * self.output_elements * per_output(*self.case.inputs, **self.case.params)

    @cached_property
    def output_sizes(self) -> tuple[int, ...]:
        """Elements of each of the forward's outputs (from the reference, once); an optimizer's: the parameter."""
        if self.op.kind == "trajectory":
            return (int(np.size(self.case.inputs[0])),)
        out = self.op.forward(*self.case.inputs, **self.case.params)
        return tuple(int(np.size(o)) for o in (out if isinstance(out, tuple) else (out,)))

    @property
    def output_elements(self) -> int:
        return sum(self.output_sizes)

    def flops(self, direction: str) -> int:
        """Floating-point operations of one call in ``direction`` (0 where the op is memory-bound)."""
        return self.forward_flops * (3 if direction == FORWARD_BACKWARD else 1)

    def elements(self, direction: str) -> int:
        """Array elements one call in ``direction`` must read and write at least (module docstring)."""
        if direction == STEP:
            return int(np.size(self.case.inputs[0])) * (3 + 2 * STATE_ARRAYS[self.op.name])
        inputs = sum(int(np.size(x)) for x in self.case.inputs)
        arrays = (v for v in self.case.params.values() if isinstance(v, np.ndarray))
        read = inputs + sum(int(np.size(v)) for v in arrays)
        forward = read + self.output_elements
        if direction == FORWARD:
            return forward
        dy = self.output_sizes[0]  # the cotangent of the first output (BatchNorm's y, not its running statistics)
        return forward + dy + read + inputs  # dy, the inputs again, the gradients

    def work(self, direction: str, itemsize: int) -> dict[str, int]:
        """``{"flops": ..., "bytes": ...}`` of one call in ``direction`` at ``itemsize`` bytes per element."""
        return {"flops": self.flops(direction), "bytes": self.elements(direction) * itemsize}

    @property
    def rate_unit(self) -> str:
        """"GFLOP/s" or "GB/s", after ``measure``."""
        return RATE_UNITS[self.measure]

    def rate(self, direction: str, itemsize: int, seconds: float) -> float:
        """GFLOP/s or GB/s (``rate_unit``) of one call in ``direction`` taking ``seconds``: work / t / 1e9."""
        return self.work(direction, itemsize)[self.measure] / seconds / 1e9


def _checked(size: str) -> str:
    if size not in SIZES:
        raise ValueError(f"size: expected one of {', '.join(SIZES)}, got {size!r}")
    return size


def workloads(size: str, ops: Mapping[str, Op] | None = None) -> list[Workload]:
    """One workload per op of the catalog (or of ``ops``), in catalog order."""
    return [Workload(op, _checked(size)) for op in (ops or CATALOG).values()]


def workload(op: str, size: str) -> Workload:
    """The workload of catalog op ``op`` at ``size``; a named error for an unknown op or size."""
    if op not in CATALOG:
        raise KeyError(f"op: unknown op {op!r}; known ops: {', '.join(sorted(CATALOG))}")
    return Workload(CATALOG[op], _checked(size))
