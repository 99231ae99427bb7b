"""The network of ``network`` written the way a PyTorch user writes it: the anchor that shows the
op-composed ``Network`` and ``loop.train`` are assembled right.

    model = nn.Sequential(
        conv1  nn.Conv2d(1, C1, 3, padding=1, bias=False)    (N, C1, 8, 8)   (bias=True without BatchNorm)
        bn1    nn.BatchNorm2d(C1, momentum=0.1, eps=1e-5)     running <- 0.9 running + 0.1 batch
        act1   nn.ReLU() | nn.Tanh() | nn.Sigmoid()
        pool1  nn.MaxPool2d(2)                                (N, C1, 4, 4)
        conv2  nn.Conv2d(C1, C2, 3, padding=1)                (N, C2, 4, 4)
        act2   as act1
        pool2  nn.MaxPool2d(2)                                (N, C2, 2, 2)
        flat   nn.Flatten()                                   (N, 4 C2)
        drop   GivenMaskDropout(p): x * mask / (1 - p)        training only
        fc     nn.Linear(4 C2, K)                             (N, K)
    )
    loss = nn.CrossEntropyLoss()(model(x), y);  optimizer.zero_grad(); loss.backward(); optimizer.step()

with a ``torch.optim`` optimizer for the run's ``OptimizerConfig`` (the epoch's learning rate set in
its ``param_groups``). Everything random is fed in rather than drawn: the initial weights and running
statistics (``network.initial_parameters`` / ``initial_buffers``), the batch order
(``loop.batch_order``), the dropout keep-masks (``loop.dropout_keep_mask``) and the shifts
(``loop.shifted``), so the anchor and the op-composed run see the same numbers. After every step the
model is put in ``eval()`` mode for the cross-entropy of a fixed probe batch (the first
``PROBE_EXAMPLES`` test images), which shows the running statistics.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from .data import Dataset
from .loop import RunConfig, batch_order, dropout_keep_mask, probe_batch, shifted
from .network import BN_EPS, BN_KEEP, Architecture, initial_buffers, initial_parameters
from .optimizers import OptimizerConfig

ACTIVATIONS: dict[str, type[nn.Module]] = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}
TORCH_NAMES = {"w": "weight", "b": "bias", "gamma": "weight", "beta": "bias"}  # our kind -> nn's attribute
OPTIMIZER_KEYWORDS = {"rho": "alpha", "initial_accumulator": "initial_accumulator_value"}  # ours -> torch.optim's


class GivenMaskDropout(nn.Module):
    """Inverted dropout with a keep-mask (N, F) set before each training forward: x * mask / (1 - p)."""

    def __init__(self, p: float) -> None:
        super().__init__()
        self.p = p
        self.mask: torch.Tensor | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return x
        return x * self.mask / (1.0 - self.p)


def build_model(arch: Architecture) -> nn.Sequential:
    """The network as ``nn.Sequential`` (torch's own initialisation; ``load_initial`` replaces it)."""
    (c0, _, _), (c1, c2) = arch.image_shape, arch.channels
    act = ACTIVATIONS[arch.activation]
    layers: list[tuple[str, nn.Module]] = [("conv1", nn.Conv2d(c0, c1, 3, padding=1, bias=not arch.batch_norm))]
    if arch.batch_norm:
        layers.append(("bn1", nn.BatchNorm2d(c1, momentum=1.0 - BN_KEEP, eps=BN_EPS)))
    layers += [
        ("act1", act()),
        ("pool1", nn.MaxPool2d(2)),
        ("conv2", nn.Conv2d(c1, c2, 3, padding=1)),
        ("act2", act()),
        ("pool2", nn.MaxPool2d(2)),
        ("flat", nn.Flatten()),
    ]
    if arch.dropout > 0:
        layers.append(("drop", GivenMaskDropout(arch.dropout)))
    layers.append(("fc", nn.Linear(arch.features, arch.classes)))
    return nn.Sequential(OrderedDict(layers))


def torch_name(name: str) -> str:
    """``"conv1.w"`` -> ``"conv1.weight"``; running statistics keep their names."""
    layer, kind = name.split(".")
    return f"{layer}.{TORCH_NAMES.get(kind, kind)}"


def load_initial(model: nn.Module, params: dict[str, np.ndarray], buffers: dict[str, np.ndarray]) -> None:
    """Copy our float64 parameters and running statistics into the model's tensors (their dtype)."""
    state = model.state_dict()
    with torch.no_grad():
        for name, value in (params | buffers).items():
            target = state[torch_name(name)]
            target.copy_(torch.from_numpy(value).to(target.dtype))


def make_optimizer(parameters: list[nn.Parameter], config: OptimizerConfig, lr: float) -> torch.optim.Optimizer:
    """The ``torch.optim`` optimizer for ``config`` at learning rate ``lr``."""
    keywords = {OPTIMIZER_KEYWORDS.get(k, k): v for k, v in config.keywords(lr).items()}
    if "beta1" in keywords or "beta2" in keywords:
        keywords["betas"] = (keywords.pop("beta1", 0.9), keywords.pop("beta2", 0.999))
    if config.name == "sgd":
        return torch.optim.SGD(parameters, **keywords)
    if config.name in ("momentum", "nesterov"):
        return torch.optim.SGD(parameters, nesterov=config.name == "nesterov", **keywords)
    optimizer = {"adagrad": torch.optim.Adagrad, "rmsprop": torch.optim.RMSprop, "adam": torch.optim.Adam}
    return optimizer[config.name](parameters, **keywords)


@dataclass
class AnchorTrace:
    """Per step: the training loss and, after the step, the evaluation-mode loss of the probe batch;
    the final parameters and running statistics as float64, keyed like ``initial_parameters``."""

    step_loss: list[float] = field(default_factory=list)
    probe_loss: list[float] = field(default_factory=list)
    params: dict[str, np.ndarray] = field(default_factory=dict)
    buffers: dict[str, np.ndarray] = field(default_factory=dict)


Builder = Callable[[Architecture], nn.Module]
Loader = Callable[[nn.Module, dict[str, np.ndarray], dict[str, np.ndarray]], None]
OptimizerFactory = Callable[[list[nn.Parameter], OptimizerConfig, float], torch.optim.Optimizer]


def anchor_run(
    data: Dataset,
    config: RunConfig,
    dtype: str,
    steps: int | None = None,
    *,
    build: Builder = build_model,
    load: Loader = load_initial,
    optimizer: OptimizerFactory = make_optimizer,
) -> AnchorTrace:
    """Train as ``loop.train`` does with ``config`` for at most ``steps`` steps (None: the run's
    ``max_steps``, else all its epochs), on the CPU in ``dtype``. A non-finite loss ends the run.
    ``build``, ``load`` and ``optimizer`` make the model, fill it and make the optimizer."""
    torch_dtype = getattr(torch, dtype)
    model = build(config.arch).to(torch_dtype)
    load(model, initial_parameters(config.arch, config.seed), initial_buffers(config.arch))
    rates = config.optimizer.rates(config.epochs)
    frozen = {torch_name(name) for name in config.frozen}
    trained = [p for name, p in model.named_parameters() if name not in frozen]
    opt = optimizer(trained, config.optimizer, float(rates[0]))
    criterion = nn.CrossEntropyLoss()
    x_train, y_train = data.x_train[: config.train_examples], data.y_train[: config.train_examples]
    x_probe, y_probe = probe_batch(data)
    x_probe, y_probe = torch.from_numpy(x_probe).to(torch_dtype), torch.from_numpy(y_probe)
    total = -(-len(x_train) // config.batch_size) * config.epochs
    total = min([total, *(s for s in (config.max_steps, steps) if s is not None)])
    trace = AnchorTrace()
    for step, (epoch, rows) in zip(range(total), _batches(len(x_train), config), strict=False):
        for group in opt.param_groups:
            group["lr"] = float(rates[epoch])
        x = x_train[rows]
        if config.shift:
            x = shifted(x, config.shift, np.random.default_rng([config.seed, step, 1]))
        mask = dropout_keep_mask(config, step, len(rows))
        if mask is not None:
            model.drop.mask = torch.from_numpy(mask).to(torch_dtype)
        model.train()
        loss = criterion(model(torch.from_numpy(x).to(torch_dtype)), torch.from_numpy(y_train[rows]))
        opt.zero_grad()
        loss.backward()
        opt.step()
        model.eval()
        with torch.no_grad():
            trace.probe_loss.append(criterion(model(x_probe), y_probe).item())
        trace.step_loss.append(loss.item())
        if not np.isfinite(trace.step_loss[-1]):
            break
    state = model.state_dict()
    trace.params = {n: state[torch_name(n)].double().numpy() for n in config.arch.parameter_shapes()}
    trace.buffers = {n: state[n].double().numpy() for n in initial_buffers(config.arch)}
    return trace


def _batches(n: int, config: RunConfig) -> Iterator[tuple[int, np.ndarray]]:
    """(epoch, indices) of every mini-batch of the run, in order."""
    for epoch in range(config.epochs):
        for rows in batch_order(n, config.batch_size, config.seed, epoch):
            yield epoch, rows
