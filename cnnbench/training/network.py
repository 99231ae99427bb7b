"""A small CNN assembled from catalog ops, run through any backend's ops on its native arrays.

    x (N, 1, 8, 8)
    conv1  conv2d 3x3, padding 1        (N, C1, 8, 8)     He-normal weights; a constant zero bias
                                                          before BatchNorm (which would cancel a
                                                          trained one), else a trained zero-started one
    bn1    batch_norm_train / _eval     (N, C1, 8, 8)     gamma 1, beta 0; running mean 0, var 1
    act1   relu (or tanh, sigmoid)
    pool1  max_pool2d 2x2               (N, C1, 4, 4)
    conv2  conv2d 3x3, padding 1        (N, C2, 4, 4)
    act2   relu (or tanh, sigmoid)
    pool2  max_pool2d 2x2               (N, C2, 2, 2)
    flat   flatten                      (N, 4 C2)
    drop   dropout with a given keep-mask, inverted scaling 1 / (1 - p)
    fc     fully_connected              (N, K)            Xavier-normal weights, zero bias
    loss   cross_entropy, mean over the batch

Backward runs the same layers in reverse through each op's ``<op>_backward``. Parameters and
running statistics live in dicts of native arrays keyed ``"conv1.w"``, ``"bn1.running_mean"``.
Every op call goes through ``Ops``, which can hand each output to an observer: that is how a
divergence is traced to the first op that left its bound.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cnnbench.backends.base import Backend
from cnnbench.reference import init

ACTIVATIONS = ("relu", "tanh", "sigmoid")
INITS = ("he", "xavier", "small", "large")
BN_KEEP = 0.9  # running <- 0.9 running + 0.1 batch statistic
BN_EPS = 1e-5

Observer = Callable[[str, str, tuple, dict, Any], None]  # (label, op, args, params, output)


@dataclass(frozen=True)
class Architecture:
    """What varies between runs of the network (the experiments vary it)."""

    channels: tuple[int, int] = (16, 32)
    activation: str = "relu"
    batch_norm: bool = True
    dropout: float = 0.25
    init: str = "he"  # he: He-normal convolutions, Xavier-normal classifier; xavier: Xavier-normal everywhere
    image_shape: tuple[int, int, int] = (1, 8, 8)
    classes: int = 10

    def __post_init__(self) -> None:
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation: expected one of {', '.join(ACTIVATIONS)}, got {self.activation!r}")
        if self.init not in INITS:
            raise ValueError(f"init: expected one of {', '.join(INITS)}, got {self.init!r}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout: expected a probability in [0, 1), got {self.dropout!r}")
        if self.image_shape[1] % 4 or self.image_shape[2] % 4:
            raise ValueError(f"image_shape: expected H and W divisible by 4 (two 2x2 pools), got {self.image_shape}")

    @property
    def features(self) -> int:
        _, h, w = self.image_shape
        return self.channels[1] * (h // 4) * (w // 4)

    def parameter_shapes(self) -> dict[str, tuple[int, ...]]:
        c0 = self.image_shape[0]
        c1, c2 = self.channels
        shapes = {"conv1.w": (c1, c0, 3, 3)}
        # BatchNorm subtracts each channel's mean, bias included: a bias before it gets a gradient
        # of pure rounding noise, which AdaGrad, RMSProp and Adam would scale up to full steps
        shapes |= {"bn1.gamma": (c1,), "bn1.beta": (c1,)} if self.batch_norm else {"conv1.b": (c1,)}
        return shapes | {
            "conv2.w": (c2, c1, 3, 3),
            "conv2.b": (c2,),
            "fc.w": (self.classes, self.features),
            "fc.b": (self.classes,),
        }


def initial_parameters(arch: Architecture, seed: int) -> dict[str, np.ndarray]:
    """Float64 parameters from the catalog's initialisers, reproducible from ``seed``."""
    params = {}
    for i, (name, shape) in enumerate(arch.parameter_shapes().items()):
        layer, kind = name.split(".")
        if kind == "w":
            scheme = "xavier" if arch.init == "he" and not layer.startswith("conv") else arch.init
            params[name] = initial_weights(scheme, shape, seed * 101 + i)
        else:
            params[name] = np.ones(shape) if kind == "gamma" else np.zeros(shape)
    return params


def initial_weights(scheme: str, shape: tuple[int, ...], seed: int) -> np.ndarray:
    """A weight (out, in, ...) from the catalog's initialisers: small 0.01 N(0, 1), large N(0, 1),
    xavier Xavier-normal, he He-normal."""
    if scheme == "small":
        return init.small_random(shape=shape, seed=seed, scale=0.01)
    if scheme == "large":
        return init.large_random(shape=shape, seed=seed, scale=1.0)
    return (init.he_normal if scheme == "he" else init.xavier_normal)(shape=shape, seed=seed)


def initial_buffers(arch: Architecture) -> dict[str, np.ndarray]:
    """Running statistics: mean 0, variance 1 per channel of the first convolution."""
    if not arch.batch_norm:
        return {}
    c1 = arch.channels[0]
    return {"bn1.running_mean": np.zeros(c1), "bn1.running_var": np.ones(c1)}


class Ops:
    """A backend's ops by name; with an observer, each call is handed to ``observe(label, op, args,
    params, output)`` after it returns."""

    def __init__(self, backend: Backend, observe: Observer | None = None) -> None:
        self.backend = backend
        self.observe = observe
        self._methods: dict[str, Callable[..., Any]] = {}

    def __call__(self, label: str, op: str, *args: Any, **params: Any) -> Any:
        method = self._methods.get(op)
        if method is None:
            method = self._methods[op] = self.backend.op(op)
        out = method(*args, **params)
        if self.observe is not None:
            self.observe(label, op, args, params, out)
        return out


@dataclass
class Tape:
    """What the forward pass keeps for the backward pass: each layer's input, in order."""

    inputs: list[tuple[str, Any]] = field(default_factory=list)


class Network:
    """The CNN of the module docstring on one backend in one dtype."""

    def __init__(self, backend: Backend, arch: Architecture, dtype: str, ops: Ops | None = None) -> None:
        self.backend = backend
        self.arch = arch
        self.dtype = dtype
        self._zero_biases: dict[str, Any] = {}
        self.ops = ops or Ops(backend)
        # which "momentum" the backend's batch_norm_train takes for keeping 0.9 of the old statistic
        old = backend.conventions.get("bn_momentum", "old") == "old"
        self.bn_momentum = BN_KEEP if old else 1.0 - BN_KEEP

    def layers(self) -> list[tuple[str, str]]:
        """(layer name, op) in forward order."""
        act = self.arch.activation
        first = [("conv1", "conv2d")] + ([("bn1", "batch_norm_train")] if self.arch.batch_norm else [])
        rest = [
            ("act1", act),
            ("pool1", "max_pool2d"),
            ("conv2", "conv2d"),
            ("act2", act),
            ("pool2", "max_pool2d"),
            ("flat", "flatten"),
        ]
        drop = [("drop", "dropout")] if self.arch.dropout > 0 else []
        return first + rest + drop + [("fc", "fully_connected")]

    def _call(
        self,
        layer: str,
        op: str,
        x: Any,
        params: dict[str, Any],
        buffers: dict[str, Any],
        mask: Any,
        training: bool,
        direction: str,
        dy: Any = None,
    ) -> Any:
        """Forward (``dy`` None) or backward of one layer, as one op call labelled
        ``"<direction> <layer>"``; a backward returns (dx, gradients of the layer's parameters...)."""
        suffix = "" if dy is None else "_backward"
        lead = () if dy is None else (dy,)
        label = f"{direction} {layer}"
        if op == "conv2d":
            bias = params.get(f"{layer}.b")
            if bias is None:
                bias = self._zero_bias(params[f"{layer}.w"], layer)
            return self.ops(label, "conv2d" + suffix, *lead, x, params[f"{layer}.w"], bias, padding=1)
        if op == "fully_connected":
            return self.ops(label, op + suffix, *lead, x, params[f"{layer}.w"], params[f"{layer}.b"])
        if op == "batch_norm_train":
            g, b = params[f"{layer}.gamma"], params[f"{layer}.beta"]
            stats = {"running_mean": buffers[f"{layer}.running_mean"], "running_var": buffers[f"{layer}.running_var"]}
            if not training:
                return self.ops(label, "batch_norm_eval", x, g, b, eps=BN_EPS, **stats)
            return self.ops(label, op + suffix, *lead, x, g, b, momentum=self.bn_momentum, eps=BN_EPS, **stats)
        if op == "max_pool2d":
            return self.ops(label, op + suffix, *lead, x, kernel_size=2)
        if op == "dropout":
            if not training:
                return x
            return self.ops(label, op + suffix, *lead, x, mask=mask, p=self.arch.dropout)
        return self.ops(label, op + suffix, *lead, x)  # activations, flatten

    def logits(
        self,
        params: dict[str, Any],
        buffers: dict[str, Any],
        x: Any,
        *,
        mask: Any = None,
        training: bool,
        tape: Tape | None = None,
    ) -> Any:
        """Forward to the logits (N, K); in training, batch statistics (running ones updated in
        ``buffers``) and the dropout ``mask`` (N, F); in evaluation, running statistics, no dropout."""
        for layer, op in self.layers():
            if tape is not None:
                tape.inputs.append((layer, x))
            out = self._call(layer, op, x, params, buffers, mask, training, "forward" if training else "evaluate")
            if op == "batch_norm_train" and training:
                out, buffers[f"{layer}.running_mean"], buffers[f"{layer}.running_var"] = out
            x = out
        return x

    def loss(self, logits: Any, labels: Any, label: str = "forward loss") -> Any:
        return self.ops(label, "cross_entropy", logits, target=labels)

    def gradients(
        self, params: dict[str, Any], buffers: dict[str, Any], x: Any, labels: Any, mask: Any
    ) -> tuple[Any, dict[str, Any]]:
        """(loss, gradient of the loss for every parameter), one training forward and backward."""
        tape = Tape()
        logits = self.logits(params, buffers, x, mask=mask, training=True, tape=tape)
        loss = self.loss(logits, labels)
        one = self.backend.asarray(np.ones(()), self.dtype)
        (dy,) = self.ops("backward loss", "cross_entropy_backward", one, logits, target=labels)
        grads: dict[str, Any] = {}
        for (layer, op), (_, x_in) in zip(reversed(self.layers()), reversed(tape.inputs), strict=True):
            out = self._call(layer, op, x_in, params, buffers, mask, True, "backward", dy=dy)
            dy = out[0]
            for kind, g in zip(self._parameter_kinds(op), out[1:], strict=False):
                if f"{layer}.{kind}" in params:  # not the constant bias before BatchNorm
                    grads[f"{layer}.{kind}"] = g
        return loss, grads

    def _zero_bias(self, weight: Any, layer: str) -> Any:
        """The constant zero bias (K,) of a convolution without a trained one, made once."""
        if layer not in self._zero_biases:
            channels = self.arch.parameter_shapes()[f"{layer}.w"][0]
            self._zero_biases[layer] = self.backend.asarray(np.zeros(channels), self.dtype)
        return self._zero_biases[layer]

    @staticmethod
    def _parameter_kinds(op: str) -> tuple[str, ...]:
        if op in ("conv2d", "fully_connected"):
            return ("w", "b")
        if op == "batch_norm_train":
            return ("gamma", "beta")
        return ()
