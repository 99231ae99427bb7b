"""Step-by-step parity: does a backend train the network the way the reference does?

Both run the same steps from the same initial weights, batch order and dropout masks. After
every step t each records two numbers: the training loss l_t of the step, and the probe loss q_t,
the evaluation-mode loss on a fixed probe batch (the first 64 test images) - the probe sees the
running statistics and every parameter, so a slip that leaves the training loss alone (running
statistics updated the other way) shows there. The deviation of a run from the reference's
float64 run (r, s) is

    d_t = max(|l_t - r_t| / |r_t|,  |q_t - s_t| / |s_t|)

and the run keeps parity while d_t <= B_t at every step:

    float64:  B_t = 1e-10
    float32:  B_t = FACTOR * max(max_{u <= t} e_u, u32)      u32 = 2^-24, FACTOR = 16

where e_u is the deviation of the reference's own float32 run from its float64 run: how far
careful float32 arithmetic drifts on this very trajectory, up to step t. The reference runs under
the backend's declared conventions (BatchNorm's running variance and momentum direction...).

When parity breaks, ``locate`` names the op: it replays the backend's run to the first step
outside the bound, evaluates the reference op on exactly the inputs each of that step's op calls
received (promoted to float64; optimizer calls against a reference optimizer that has followed
the backend's own parameters and gradients since step 0) and returns the first call whose output
is off by more than OP_BOUND[dtype], normwise over the call's outputs together:
max |out - ref| / max |ref|. For an optimizer the
compared output is the update (new param - param), so a wrong momentum is not hidden by the size
of the parameter. When no single op is off, the drift built up over steps, and ``locate`` says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from cnnbench.backends.base import Backend
from cnnbench.backends.numpy_backend import NumpyBackend

from .data import Dataset
from .loop import RunConfig, evaluate, train
from .network import Ops

PROBE_EXAMPLES = 64
FLOAT64_BOUND = 1e-10
FLOAT32_FACTOR = 16.0
UNIT_ROUNDOFF = {"float64": 2.0**-53, "float32": 2.0**-24}
OP_BOUND = {"float64": 1e-9, "float32": 2.0**-12}  # a careful float32 op: up to 1.3e-5 here


@dataclass(frozen=True)
class Trace:
    """Per-step training loss and probe loss of one run (steps,)."""

    backend: str
    dtype: str
    loss: np.ndarray
    probe: np.ndarray


@dataclass(frozen=True)
class OpMismatch:
    """The first op call of a step whose output left its bound."""

    step: int
    label: str  # e.g. "forward bn1", "update conv1.w"
    op: str
    error: float  # normwise relative error of the output (for an optimizer: of the update)
    bound: float


@dataclass
class Parity:
    """A backend's trace against the reference's float64 trace, with the bound of every step."""

    trace: Trace
    reference: Trace
    bound: np.ndarray  # (steps,)
    deviation: np.ndarray = field(init=False)  # (steps,)

    def __post_init__(self) -> None:
        self.deviation = deviation(self.trace, self.reference)

    @property
    def first_failure(self) -> int | None:
        """The first step whose deviation left the bound (a non-finite one counts), or None."""
        outside = ~(self.deviation <= self.bound)
        return int(np.argmax(outside)) if outside.any() else None

    @property
    def ok(self) -> bool:
        return self.first_failure is None


def deviation(run: Trace, reference: Trace) -> np.ndarray:
    """d_t of the module docstring (steps,); inf for a step the run did not reach."""
    steps = len(reference.loss)
    d = np.full(steps, np.inf)
    n = min(steps, len(run.loss))
    with np.errstate(invalid="ignore", divide="ignore"):
        loss = np.abs(run.loss[:n] - reference.loss[:n]) / np.abs(reference.loss[:n])
        probe = np.abs(run.probe[:n] - reference.probe[:n]) / np.abs(reference.probe[:n])
    d[:n] = np.where(np.isnan(loss) | np.isnan(probe), np.inf, np.maximum(loss, probe))
    return d


def probe_batch(data: Dataset) -> tuple[np.ndarray, np.ndarray]:
    return data.x_test[:PROBE_EXAMPLES], data.y_test[:PROBE_EXAMPLES]


def trace(backend: Backend, dtype: str, data: Dataset, config: RunConfig, steps: int) -> Trace:
    """Train ``steps`` steps, recording the training and probe loss after each."""
    x_probe, y_probe = probe_batch(data)
    probe: list[float] = []
    record = lambda step, network, state, loss: probe.append(evaluate(network, state, x_probe, y_probe)[1])  # noqa: E731
    history, _ = train(backend, dtype, data, limited(config, data, steps), after_step=record)
    return Trace(backend.name, dtype, np.asarray(history.step_loss), np.asarray(probe))


def limited(config: RunConfig, data: Dataset, steps: int) -> RunConfig:
    """``config`` stopping after ``steps`` steps, with enough epochs to get there."""
    examples = len(data.x_train[: config.train_examples])
    epochs = -(-steps // -(-examples // config.batch_size))  # ceil(steps / steps per epoch)
    return replace(config, max_steps=steps, epochs=max(config.epochs, epochs))


def reference_for(backend: Backend) -> NumpyBackend:
    """The reference under the backend's declared conventions."""
    return NumpyBackend(dict(getattr(backend, "conventions", {})))


class References:
    """The reference's traces for one (data, config, steps), each run once per conventions and dtype:
    many backends (or planted bugs) are judged against the same ones."""

    def __init__(self, data: Dataset, config: RunConfig, steps: int = 200) -> None:
        self.data, self.config, self.steps = data, config, steps
        self._traces: dict[tuple, Trace] = {}

    def trace(self, reference: NumpyBackend, dtype: str) -> Trace:
        key = (tuple(sorted(reference.conventions.items())), dtype)
        if key not in self._traces:
            self._traces[key] = trace(reference, dtype, self.data, self.config, self.steps)
        return self._traces[key]

    def bound(self, reference: NumpyBackend, dtype: str) -> np.ndarray:
        """B_t of the module docstring (steps,)."""
        if dtype == "float64":
            return np.full(self.steps, FLOAT64_BOUND)
        if dtype != "float32":
            raise ValueError(f"dtype: parity is defined for float64 and float32, got {dtype!r}")
        careful = deviation(self.trace(reference, "float32"), self.trace(reference, "float64"))
        return FLOAT32_FACTOR * np.maximum(np.maximum.accumulate(careful), UNIT_ROUNDOFF["float32"])

    def parity(self, backend: Backend, dtype: str) -> Parity:
        """The backend's trace against the reference's float64 trace, with the bound of ``dtype``."""
        reference = reference_for(backend)
        bound = self.bound(reference, dtype)
        run = trace(backend, dtype, self.data, self.config, self.steps)
        return Parity(run, self.trace(reference, "float64"), bound)

    def locate(self, parity: Parity, backend: Backend) -> OpMismatch | None:
        """``locate`` at the first step of ``parity`` outside its bound (None when it kept parity)."""
        if parity.ok:
            return None
        return locate(backend, parity.trace.dtype, self.data, self.config, parity.first_failure)


def check(backend: Backend, dtype: str, data: Dataset, config: RunConfig, steps: int = 200) -> Parity:
    """The backend's trace against the reference's float64 trace, with the bound of ``dtype``."""
    return References(data, config, steps).parity(backend, dtype)


def _host(backend: Backend, value: Any) -> Any:
    """A native array as a NumPy array (floating point promoted to float64); anything else as is."""
    if value is None or isinstance(value, (bool, int, float, str, tuple, dict)):
        return value
    array = backend.to_numpy(value)
    return array.astype(np.float64) if np.issubdtype(array.dtype, np.floating) else array


def _normwise(pairs: list[tuple[np.ndarray, np.ndarray]]) -> float:
    """max |out - ref| / max |ref| over all the outputs of a call together: one output can be
    pure rounding noise (a bias gradient that BatchNorm cancels), measured on its siblings' scale."""
    error, scale = 0.0, 0.0
    for out, ref in pairs:
        out, ref = np.asarray(out, dtype=np.float64), np.asarray(ref, dtype=np.float64)
        if out.shape != ref.shape:
            return float("inf")
        error, scale = max(error, float(np.max(np.abs(out - ref)))), max(scale, float(np.max(np.abs(ref))))
    if not np.isfinite(error):
        return float("inf")
    return error / scale if scale > 0 else error


def locate(backend: Backend, dtype: str, data: Dataset, config: RunConfig, step: int) -> OpMismatch | None:
    """Replay the backend's run up to ``step`` and return the first op call of that step whose
    output is off the reference's on the same inputs by more than ``OP_BOUND`` (module docstring);
    None when every call is within it (the drift built up over the steps before)."""
    reference = reference_for(backend)
    shadow: dict[str, Any] = {}  # reference optimizer state, following the backend's own params and grads
    current = [0]
    found: list[OpMismatch] = []

    def observe(label: str, op: str, args: tuple, params: dict, out: Any) -> None:
        if found:
            return
        host = [_host(backend, a) for a in args]
        keywords = {k: _host(backend, v) for k, v in params.items() if k != "state"}
        if label.startswith("update "):
            name = label.removeprefix("update ")
            new, shadow[name] = reference.op(op)(*host, state=shadow.get(name), **keywords)
            pairs = [(_host(backend, out[0]) - host[0], new - host[0])]
        elif current[0] == step:
            expected = reference.op(op)(*host, **keywords)
            outs = out if isinstance(out, tuple) else (out,)
            refs = expected if isinstance(expected, tuple) else (expected,)
            pairs = [(_host(backend, o), r) for o, r in zip(outs, refs, strict=True)]
        else:
            return
        if current[0] != step:
            return
        error = _normwise(pairs)
        if not error <= OP_BOUND[dtype]:
            found.append(OpMismatch(step, label, op, error, OP_BOUND[dtype]))

    def advance(done: int, *_: Any) -> None:
        current[0] = done + 1

    train(backend, dtype, data, limited(config, data, step + 1), ops=Ops(backend, observe), after_step=advance)
    return found[0] if found else None


def describe(parity: Parity, mismatch: OpMismatch | None = None) -> str:
    """One line: parity kept (with the largest deviation) or where it broke and which op."""
    run = f"{parity.trace.backend} {parity.trace.dtype}"
    steps = len(parity.reference.loss)
    if parity.ok:
        worst = int(np.argmax(parity.deviation / parity.bound))
        return (
            f"{run} keeps parity for {steps} steps: largest deviation {np.max(parity.deviation):.2e}, "
            f"nearest its bound at step {worst} ({parity.deviation[worst]:.2e} <= {parity.bound[worst]:.2e})"
        )
    t = parity.first_failure
    line = f"{run} leaves parity at step {t}: deviation {parity.deviation[t]:.2e} > bound {parity.bound[t]:.2e}"
    if mismatch is not None:
        return line + (
            f"; first op outside its bound at that step: {mismatch.label} ({mismatch.op}), "
            f"error {mismatch.error:.2e} > {mismatch.bound:.0e}"
        )
    return line + "; no single op of that step is outside its bound: the drift built up over the steps before"
