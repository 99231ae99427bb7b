"""The training loop: mini-batch steps through a backend's ops, evaluated every epoch.

One step on a batch (x, y) with dropout keep-mask m:

    loss, grads = network.gradients(params, x, y, m)      forward, cross-entropy, backward
    params[k], state[k] = <optimizer op>(params[k], grads[k], state=state[k], lr=lr_epoch, ...)

Everything random is a function of the run's seed: the batch order of epoch e is
``default_rng([seed, e]).permutation``, the dropout mask of step t is the catalog's
``dropout_mask(seed=seed * 1_000_003 + t)``, the augmentation shifts of step t come from
``default_rng([seed, t, 1])``. Two backends given the same seed see the same batches and masks.

A loss that is not finite ends the run: ``History.diverged_at`` is its step, not a crash.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from cnnbench.backends.base import Backend
from cnnbench.reference import dropout, losses

from .data import Dataset
from .network import Architecture, Network, Ops, initial_buffers, initial_parameters
from .optimizers import OptimizerConfig

EVAL_BATCH = 512
PROBE_EXAMPLES = 64  # the probe batch: the first test images, evaluated after every step by parity checks


@dataclass(frozen=True)
class RunConfig:
    """One training run: the network, the optimizer, and how the data are fed."""

    arch: Architecture = field(default_factory=Architecture)
    optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)
    epochs: int = 30
    batch_size: int = 32
    seed: int = 0
    shift: int = 0  # augmentation: translate each training image by up to this many pixels (zero fill)
    train_examples: int | None = None  # train on the first n training examples only
    max_steps: int | None = None  # stop after this many steps (parity traces)
    frozen: tuple[str, ...] = ()  # parameters the optimizer leaves alone (transfer learning)
    target_accuracy: float = 0.97  # steps and seconds until test accuracy first reaches it

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ValueError(f"{name}: expected a positive integer, got {getattr(self, name)!r}")
        if self.seed < 0:
            raise ValueError(f"seed: expected a non-negative integer, got {self.seed!r}")


@dataclass
class History:
    """What a run measured. Losses are per step; accuracies, test loss and seconds per epoch
    (seconds: cumulative training time, evaluation excluded)."""

    backend: str
    dtype: str
    data: str
    config: dict[str, Any]
    step_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    steps_per_epoch: int = 0
    diverged_at: int | None = None  # first step whose loss was not finite
    steps_to_target: int | None = None
    seconds_to_target: float | None = None

    @property
    def final_test_accuracy(self) -> float:
        return self.test_accuracy[-1] if self.test_accuracy else float("nan")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class TrainingState:
    """A network's native parameters, running statistics and optimizer state on one backend."""

    params: dict[str, Any]
    buffers: dict[str, Any]
    states: dict[str, Any]

    @classmethod
    def create(
        cls, backend: Backend, dtype: str, params: dict[str, np.ndarray], buffers: dict[str, np.ndarray]
    ) -> TrainingState:
        native = lambda arrays: {k: backend.asarray(v, dtype) for k, v in arrays.items()}  # noqa: E731
        return cls(native(params), native(buffers), dict.fromkeys(params))

    def to_numpy(self, backend: Backend) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """Float64 copies of the parameters and running statistics."""
        host = lambda arrays: {k: backend.to_numpy(v).astype(np.float64) for k, v in arrays.items()}  # noqa: E731
        return host(self.params), host(self.buffers)


def batch_order(n: int, batch_size: int, seed: int, epoch: int) -> Iterator[np.ndarray]:
    """Indices of each mini-batch of epoch ``epoch`` (the last one may be smaller)."""
    order = np.random.default_rng([seed, epoch]).permutation(n)
    for start in range(0, n, batch_size):
        yield order[start : start + batch_size]


def dropout_keep_mask(config: RunConfig, step: int, rows: int) -> np.ndarray | None:
    """The keep-mask (rows, features) of step ``step``, or None without dropout."""
    if config.arch.dropout == 0:
        return None
    p, seed = config.arch.dropout, config.seed * 1_000_003 + step
    return dropout.dropout_mask(shape=(rows, config.arch.features), p=p, seed=seed)


def probe_batch(data: Dataset) -> tuple[np.ndarray, np.ndarray]:
    """The probe batch: images (P, C, H, W) and labels (P,) of the first ``PROBE_EXAMPLES`` test examples."""
    return data.x_test[:PROBE_EXAMPLES], data.y_test[:PROBE_EXAMPLES]


def shifted(x: np.ndarray, limit: int, rng: np.random.Generator) -> np.ndarray:
    """Each image (N, C, H, W) translated by (dy, dx) uniform in [-limit, limit]^2, zero fill."""
    n, _, h, w = x.shape
    padded = np.pad(x, ((0, 0), (0, 0), (limit, limit), (limit, limit)))
    offsets = rng.integers(0, 2 * limit + 1, size=(n, 2))
    return np.stack([padded[i, :, dy : dy + h, dx : dx + w] for i, (dy, dx) in enumerate(offsets)])


def train_step(network: Network, config: RunConfig, state: TrainingState, x: Any, y: Any, mask: Any, lr: float) -> Any:
    """One step: forward, backward, the optimizer on every parameter not frozen. Returns the
    native loss; ``state`` is updated."""
    loss, grads = network.gradients(state.params, state.buffers, x, y, mask)
    keywords = config.optimizer.keywords(lr)
    for name, grad in grads.items():
        if name in config.frozen:
            continue
        state.params[name], state.states[name] = network.ops(
            f"update {name}", config.optimizer.op, state.params[name], grad, state=state.states[name], **keywords
        )
    return loss


def evaluate(network: Network, state: TrainingState, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(accuracy, mean cross-entropy) in evaluation mode: running statistics, no dropout."""
    backend = network.backend
    logits = np.concatenate([
        backend.to_numpy(
            network.logits(state.params, state.buffers, backend.asarray(x[i : i + EVAL_BATCH], network.dtype),
                           training=False)
        ).astype(np.float64)
        for i in range(0, len(x), EVAL_BATCH)
    ])  # fmt: skip  # (N, K)
    if not np.isfinite(logits).all():
        return float(np.mean(logits.argmax(axis=1) == y)), float("nan")
    return float(np.mean(logits.argmax(axis=1) == y)), float(losses.cross_entropy(logits, target=y))


StepHook = Callable[[int, Network, TrainingState, float], None]


def train(
    backend: Backend,
    dtype: str,
    data: Dataset,
    config: RunConfig,
    *,
    initial: tuple[dict[str, np.ndarray], dict[str, np.ndarray]] | None = None,
    ops: Ops | None = None,
    after_step: StepHook | None = None,
    progress: bool = False,
) -> tuple[History, TrainingState]:
    """Train on ``data`` as ``config`` says, from ``initial`` (parameters, running statistics;
    default: the catalog's initialisers seeded with ``config.seed``). ``after_step(step, network,
    state, loss)`` runs after every step (parity traces); ``progress`` shows a bar of steps."""
    from tqdm.auto import tqdm

    network = Network(backend, config.arch, dtype, ops)
    params, buffers = initial or (initial_parameters(config.arch, config.seed), initial_buffers(config.arch))
    state = TrainingState.create(backend, dtype, params, buffers)
    x_train, y_train = data.x_train[: config.train_examples], data.y_train[: config.train_examples]
    history = History(backend.name, dtype, data.name, _plain(config))
    history.steps_per_epoch = -(-len(x_train) // config.batch_size)
    total = history.steps_per_epoch * config.epochs
    if config.max_steps is not None:
        total = min(total, config.max_steps)
    rates = config.optimizer.rates(config.epochs)
    step, elapsed = 0, 0.0
    bar = tqdm(total=total, disable=not progress, unit="step", desc=f"{backend.name} {dtype}")
    with bar, np.errstate(over="ignore", invalid="ignore"):  # a diverging run is reported by its loss
        for epoch in range(config.epochs):
            started = time.perf_counter()
            for rows in batch_order(len(x_train), config.batch_size, config.seed, epoch):
                if step == total:
                    break
                x = x_train[rows]
                if config.shift:
                    x = shifted(x, config.shift, np.random.default_rng([config.seed, step, 1]))
                mask = dropout_keep_mask(config, step, len(rows))
                loss = train_step(
                    network, config, state, backend.asarray(x, dtype), backend.asarray(y_train[rows]),
                    None if mask is None else backend.asarray(mask, dtype), float(rates[epoch]),
                )  # fmt: skip
                value = float(backend.to_numpy(loss))
                history.step_loss.append(value)
                if after_step is not None:
                    after_step(step, network, state, value)
                step += 1
                bar.update()
                if not np.isfinite(value):
                    history.diverged_at = step - 1
                    bar.set_postfix_str(f"loss not finite at step {step - 1}")
                    return history, state
            elapsed += time.perf_counter() - started
            _record_epoch(history, network, state, data, x_train, y_train, elapsed, config, step)
            bar.set_postfix(loss=f"{np.mean(history.step_loss[-history.steps_per_epoch:]):.4f}",
                            test=f"{history.test_accuracy[-1]:.4f}")  # fmt: skip
            if step == total:
                break
    return history, state


def _record_epoch(history, network, state, data, x_train, y_train, elapsed, config, step) -> None:
    train_accuracy, _ = evaluate(network, state, x_train, y_train)
    test_accuracy, test_loss = evaluate(network, state, data.x_test, data.y_test)
    history.train_accuracy.append(train_accuracy)
    history.test_accuracy.append(test_accuracy)
    history.test_loss.append(test_loss)
    history.seconds.append(elapsed)
    if history.steps_to_target is None and test_accuracy >= config.target_accuracy:
        history.steps_to_target, history.seconds_to_target = step, elapsed


def _plain(config: RunConfig) -> dict[str, Any]:
    """The config as JSON-ready data."""
    plain = asdict(config)
    plain["arch"]["image_shape"] = list(config.arch.image_shape)
    return plain
