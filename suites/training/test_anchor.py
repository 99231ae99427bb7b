"""The idiomatic PyTorch anchor (``cnnbench.training.anchor``) against the op-composed network on the
torch backend (``loop.train``), fed the same initial weights, batches, dropout masks and shifts.

Compared per run (anchor a, op-composed c):

    step loss, probe loss:      max_t |a_t - c_t| / |c_t|                    over every step t
    each parameter / buffer:    max |a - c| / (largest |c| of its layer)     final values, float64

(a layer's scale, not the tensor's own: the first convolution's bias gets no gradient through the
batch norm that follows, so it is rounding noise around 0 and only makes sense next to its weights).

float64: every deviation <= 1e-10. float32: each quantity q gets its own bound

    bound_q = FACTOR * dev_q(numpy reference float32, numpy reference float64),  FACTOR = 4

the careful implementation's own float32 drift over the same steps, scaled: two float32 runs that each
drift from the float64 trajectory by about that much differ by at most about twice it, and a second
factor 2 covers the run-to-run spread of how rounding grows through training.

Negative controls: plausible slips in the anchor (BatchNorm momentum 0.9 instead of 0.1, SGD momentum
0.89 instead of 0.9, dropout without 1 / (1 - p), the initial weights not copied, the convolution
kernels transposed) must each leave a bound, in float64 and in float32. They are injected through
``anchor_run``'s ``build`` / ``load`` / ``optimizer`` arguments; the production code has no switches.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from functools import cache
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from cnnbench.backends.registry import load  # noqa: E402
from cnnbench.timed_call import pinned_threads  # noqa: E402
from cnnbench.training import loop  # noqa: E402
from cnnbench.training.anchor import (  # noqa: E402
    AnchorTrace,
    GivenMaskDropout,
    anchor_run,
    build_model,
    load_initial,
    make_optimizer,
)
from cnnbench.training.data import Dataset, digits, synthetic  # noqa: E402
from cnnbench.training.network import Architecture  # noqa: E402
from cnnbench.training.optimizers import OptimizerConfig  # noqa: E402

FLOAT64_BOUND = 1e-10
FACTOR = 4.0
RUN = loop.RunConfig(max_steps=200)  # momentum SGD, relu, batch norm, dropout 0.25; synthetic: 10 epochs of 20
DTYPES = ("float64", "float32")


@pytest.fixture(scope="module", autouse=True)
def one_thread() -> Iterator[None]:
    """One thread per pool: on a busy shared machine multithreaded runs slow by 10x and more."""
    before = torch.get_num_threads()
    with pinned_threads([load("torch").backend], 1):
        yield
    torch.set_num_threads(before)


@cache
def data(name: str) -> Dataset:
    return digits() if name == "digits" else synthetic(0)


def composed(backend: str, dtype: str, data: Dataset, config: loop.RunConfig) -> AnchorTrace:
    """The op-composed run's trace: step losses, and the probe batch's loss after every step."""
    trace = AnchorTrace()
    x_probe, y_probe = loop.probe_batch(data)

    def after_step(step: int, network: Any, state: loop.TrainingState, loss: float) -> None:
        trace.probe_loss.append(loop.evaluate(network, state, x_probe, y_probe)[1])

    native = load(backend).backend
    history, state = loop.train(native, dtype, data, config, after_step=after_step)
    trace.step_loss = history.step_loss
    trace.params, trace.buffers = state.to_numpy(native)
    return trace


@cache
def reference(backend: str, dtype: str) -> AnchorTrace:
    return composed(backend, dtype, data("synthetic"), RUN)


def deviations(a: AnchorTrace, c: AnchorTrace) -> dict[str, float]:
    """Relative deviation of ``a`` from ``c`` per quantity (formulas in the module docstring)."""
    out = {}
    for name in ("step_loss", "probe_loss"):
        x, y = np.asarray(getattr(a, name)), np.asarray(getattr(c, name))
        out[name] = float(np.max(np.abs(x - y) / np.abs(y))) if x.shape == y.shape else np.inf
    final, anchor = c.params | c.buffers, a.params | a.buffers
    for name, y in final.items():
        layer = name.split(".")[0]
        scale = max(np.max(np.abs(v)) for k, v in final.items() if k.split(".")[0] == layer)
        out[name] = float(np.max(np.abs(anchor[name] - y)) / scale)
    return out


@cache
def bounds(dtype: str) -> dict[str, float]:
    """Per quantity: FLOAT64_BOUND in float64; FACTOR x the reference's own float32 drift in float32."""
    if dtype == "float64":
        return dict.fromkeys(deviations(reference("torch", dtype), reference("torch", dtype)), FLOAT64_BOUND)
    drift = deviations(reference("numpy", "float32"), reference("numpy", "float64"))
    return {name: FACTOR * value for name, value in drift.items()}


def exceeded(a: AnchorTrace, c: AnchorTrace, dtype: str) -> dict[str, float]:
    """The quantities whose deviation is over its bound (or not a number), with the deviation."""
    limit = bounds(dtype)  # float64: one bound for every quantity, whatever the architecture's parameters
    return {name: dev for name, dev in deviations(a, c).items() if not dev <= limit.get(name, FLOAT64_BOUND)}


# ------------------------------------------------------------ the slips, injected from outside
def bn_momentum_09(arch: Architecture) -> torch.nn.Module:
    model = build_model(arch)
    model.bn1.momentum = 0.9  # the keep fraction where torch wants the new statistic's weight
    return model


class UnscaledDropout(GivenMaskDropout):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.mask if self.training else x


def unscaled_dropout(arch: Architecture) -> torch.nn.Module:
    model = build_model(arch)
    model.drop = UnscaledDropout(arch.dropout)
    return model


def momentum_089(parameters: list, config: OptimizerConfig, lr: float) -> torch.optim.Optimizer:
    return make_optimizer(parameters, replace(config, hyper={**config.hyper, "momentum": 0.89}), lr)


def fresh_torch_init(model: torch.nn.Module, params: dict, buffers: dict) -> None:
    torch.manual_seed(0)
    for module in model.modules():
        if hasattr(module, "reset_parameters"):
            module.reset_parameters()


def transposed_kernels(model: torch.nn.Module, params: dict, buffers: dict) -> None:
    turned = {k: v.swapaxes(-1, -2) if k.startswith("conv") and k.endswith(".w") else v for k, v in params.items()}
    load_initial(model, turned, buffers)


SLIPS: dict[str, dict[str, Callable]] = {
    "bn momentum 0.9": {"build": bn_momentum_09},
    "sgd momentum 0.89": {"optimizer": momentum_089},
    "dropout unscaled": {"build": unscaled_dropout},
    "weights not copied": {"load": fresh_torch_init},
    "kernels transposed": {"load": transposed_kernels},
}


# ------------------------------------------------------------ the checks
@pytest.mark.parametrize("dtype", DTYPES)
def test_anchor_matches_the_op_composed_run(dtype: str) -> None:
    anchor = anchor_run(data("synthetic"), RUN, dtype)
    assert len(anchor.step_loss) == RUN.max_steps
    assert exceeded(anchor, reference("torch", dtype), dtype) == {}


@pytest.mark.parametrize("slip", SLIPS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_a_slip_in_the_anchor_is_caught(dtype: str, slip: str) -> None:
    anchor = anchor_run(data("synthetic"), RUN, dtype, **SLIPS[slip])
    over = exceeded(anchor, reference("torch", dtype), dtype)
    assert over, f"{slip}: every deviation within its bound"
    if slip == "bn momentum 0.9":  # training losses use batch statistics: only evaluation shows it
        assert "probe_loss" in over and "bn1.running_var" in over


def test_float32_bounds_are_sharper_than_a_slip_and_wider_than_float64() -> None:
    """The derived float32 bounds sit between float64 rounding and a plausible slip's effect."""
    limit = bounds("float32")
    assert all(1e-8 < value < 1e-2 for value in limit.values()), limit


VARIANTS = {
    "sgd tanh decay exponential": loop.RunConfig(
        Architecture(activation="tanh"), OptimizerConfig("sgd", weight_decay=1e-3, schedule="exponential"), epochs=2
    ),
    "nesterov sigmoid no batch norm": loop.RunConfig(
        Architecture(activation="sigmoid", batch_norm=False), OptimizerConfig("nesterov", schedule="step"), epochs=2
    ),
    "adagrad no dropout shifted": loop.RunConfig(Architecture(dropout=0.0), OptimizerConfig("adagrad"), shift=1),
    "rmsprop frozen first layer": loop.RunConfig(optimizer=OptimizerConfig("rmsprop"), frozen=("conv1.w", "conv1.b")),
    "adam xavier cosine": loop.RunConfig(
        Architecture(init="xavier"), OptimizerConfig("adam", weight_decay=1e-4, schedule="cosine"), epochs=2
    ),
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_anchor_matches_across_optimizers_and_architectures(variant: str) -> None:
    config = replace(VARIANTS[variant], max_steps=40)
    anchor = anchor_run(data("synthetic"), config, "float64")
    assert exceeded(anchor, composed("torch", "float64", data("synthetic"), config), "float64") == {}


def test_anchor_matches_on_the_digits() -> None:
    config = replace(RUN, max_steps=100)
    anchor = anchor_run(data("digits"), config, "float64")
    assert exceeded(anchor, composed("torch", "float64", data("digits"), config), "float64") == {}
