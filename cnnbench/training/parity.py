"""Step-by-step parity: does a backend train the network the way the reference does?

Both run the same steps from the same initial weights, batch order and dropout masks. After
every step t each records two numbers: the training loss l_t of the step, and the probe loss q_t,
the evaluation-mode loss on the probe batch (``loop.probe_batch``: the first 64 test images) -
the probe sees the running statistics and every parameter, so a slip that leaves the training
loss alone (running statistics updated the other way) shows there. The deviation of a run from
the reference's float64 run (r, s) is

    d_t = max(|l_t - r_t| / |r_t|,  |q_t - s_t| / |s_t|)

and the run keeps parity while d_t <= B_t at every step:

    float64:  B_t = 1e-10
    float32:  B_t = FACTOR * max(max_{u <= t} e_u, u32)      u32 = 2^-24, FACTOR = 16

where e_u is the deviation of the reference's own float32 run from its float64 run: how far
careful float32 arithmetic drifts on this very trajectory, up to step t (a running maximum, so
the bound never shrinks). FACTOR: another careful float32 implementation rounds differently, so
its drift is a different walk of the same size; two such walks differ by up to about twice one,
and the growth along a trajectory varies with the rounding pattern, by a few times between runs
(measured: numpy and torch float32 stay within 1/6 of this bound over 200 steps). Careful
float32 follows float64 only so far: a discrete event (a max-pool tie or a ReLU kink decided the
other way) can send it off for good (seen: 6e-4 and 0.13 within 200 steps for some seeds). So
float32 is judged up to its horizon only, the steps before e_t first exceeds HORIZON = 1e-4;
after it B_t = inf and the steps are reported as not judged, never as kept. A reference float32
run that stops being finite leaves no bound: that is an error.
The reference runs under the backend's declared conventions (BatchNorm's running variance and
momentum direction...).

When parity breaks, ``locate`` names the op: it replays the backend's run to the first step
outside the bound, evaluates the reference op on exactly the inputs each of that step's op calls
received (promoted to float64; optimizer calls against a reference optimizer that has followed
the backend's own parameters and gradients since step 0; then the probe's evaluation, labelled
``evaluate <layer>``) and returns the first call whose output is off by more than
OP_BOUND[dtype], normwise:

    forward:   max over outputs i of  max |out_i - ref_i| / max |ref_i|   (each on its own scale:
               BatchNorm's running statistics are not judged on the size of its output)
    backward:  max |out - ref| / max |ref| over all gradients together (one upstream gradient
               scales them all; a bias gradient BatchNorm cancels is rounding noise on its own)
    optimizer: the update (new param - param), so a wrong momentum is not hidden by the size
               of the parameter

OP_BOUND is a localisation aid, not a verdict: a careful float32 op stays within 1.3e-5 of the
reference here, 18x inside 2^-12. When no single op is off, the deviation built up over the
steps before, and ``describe`` says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from cnnbench.backends.base import Backend
from cnnbench.backends.numpy_backend import NumpyBackend
from cnnbench.tolerance import UNIT_ROUNDOFF

from .data import Dataset
from .loop import RunConfig, TrainingState, evaluate, probe_batch, train
from .network import Network, Ops

FLOAT64_BOUND = 1e-10
FLOAT32_FACTOR = 16.0
HORIZON = 1e-4  # float32 is judged while the careful float32 run stays this close to float64
OP_BOUND = {"float64": 1e-9, "float32": 2.0**-12}


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
    label: str  # e.g. "forward bn1", "update conv1.w", "evaluate bn1"
    op: str
    error: float  # normwise relative error (module docstring)
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
    def judged(self) -> int:
        """How many steps have a finite bound (all but those past float32's horizon)."""
        finite = np.isfinite(self.bound)
        return int(np.argmin(finite)) if not finite.all() else len(finite)

    @property
    def first_failure(self) -> int | None:
        """The first step whose deviation left the bound, or None. A non-finite deviation (a loss
        that is not a number, a step the run did not reach) counts at every step, judged or not."""
        outside = ~(self.deviation <= self.bound) | ~np.isfinite(self.deviation)
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


def trace(backend: Backend, dtype: str, data: Dataset, config: RunConfig, steps: int) -> Trace:
    """Train ``steps`` steps, recording the training and probe loss after each."""
    x_probe, y_probe = probe_batch(data)
    probe: list[float] = []
    record = lambda step, network, state, loss: probe.append(evaluate(network, state, x_probe, y_probe)[1])  # noqa: E731
    history, _ = train(backend, dtype, data, limited(config, data, steps), after_step=record)
    return Trace(backend.name, dtype, np.asarray(history.step_loss), np.asarray(probe))


def limited(config: RunConfig, data: Dataset, steps: int) -> RunConfig:
    """``config`` stopping after ``steps`` steps; its epochs (and so its learning-rate schedule)
    unchanged, which must hold that many steps."""
    per_epoch = -(-len(data.x_train[: config.train_examples]) // config.batch_size)
    if steps > per_epoch * config.epochs:
        raise ValueError(f"steps: {config.epochs} epochs of {per_epoch} steps hold fewer than {steps}")
    return replace(config, max_steps=steps)


def float32_bound(careful: np.ndarray) -> np.ndarray:
    """B_t (steps,) from e_t, the careful float32 run's deviation (module docstring): inf past the horizon."""
    if not np.isfinite(careful).all():
        raise ValueError("the reference's own float32 run is not finite: no float32 bound for this run")
    drift = np.maximum.accumulate(careful)
    bound = FLOAT32_FACTOR * np.maximum(drift, UNIT_ROUNDOFF["float32"])
    bound[drift > HORIZON] = np.inf
    return bound


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
        return float32_bound(deviation(self.trace(reference, "float32"), self.trace(reference, "float64")))

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


def _host(backend: Backend, value: Any) -> Any:
    """A native array as a NumPy array (floating point promoted to float64); anything else as is."""
    if value is None or isinstance(value, (bool, int, float, str, tuple, dict)):
        return value
    array = backend.to_numpy(value)
    return array.astype(np.float64) if np.issubdtype(array.dtype, np.floating) else array


def _normwise(pairs: list[tuple[np.ndarray, np.ndarray]]) -> float:
    """max |out - ref| / max |ref| over the (output, reference) pairs taken together."""
    error, scale = 0.0, 0.0
    for out, ref in pairs:
        out, ref = np.asarray(out, dtype=np.float64), np.asarray(ref, dtype=np.float64)
        if out.shape != ref.shape:
            return float("inf")
        error, scale = max(error, float(np.max(np.abs(out - ref)))), max(scale, float(np.max(np.abs(ref))))
    if not np.isfinite(error):
        return float("inf")
    return error / scale if scale > 0 else error


def _call_error(op: str, pairs: list[tuple[np.ndarray, np.ndarray]]) -> float:
    """The module docstring's error of one call: gradients together, forward outputs each alone."""
    if op.endswith("_backward"):
        return _normwise(pairs)
    return max(_normwise([pair]) for pair in pairs)


def locate(backend: Backend, dtype: str, data: Dataset, config: RunConfig, step: int) -> OpMismatch | None:
    """Replay the backend's run up to ``step`` and return the first op call of that step (its
    training step, then the probe's evaluation) whose output is off the reference's on the same
    inputs by more than ``OP_BOUND``; None when every call is within it."""
    reference = reference_for(backend)
    shadow: dict[str, Any] = {}  # reference optimizer state, following the backend's own params and grads
    current = [0]
    found: list[OpMismatch] = []
    x_probe, y_probe = probe_batch(data)

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
        error = _call_error(op, pairs)
        if not error <= OP_BOUND[dtype]:
            found.append(OpMismatch(step, label, op, error, OP_BOUND[dtype]))

    def after_step(done: int, network: Network, state: TrainingState, loss: float) -> None:
        if done == step:
            evaluate(network, state, x_probe, y_probe)  # observed too: its ops are labelled "evaluate"
        current[0] = done + 1

    train(backend, dtype, data, limited(config, data, step + 1), ops=Ops(backend, observe), after_step=after_step)
    return found[0] if found else None


def describe(parity: Parity, mismatch: OpMismatch | None = None) -> str:
    """One line: parity kept (with the largest deviation) or where it broke and which op."""
    run = f"{parity.trace.backend} {parity.trace.dtype}"
    steps = len(parity.reference.loss)
    if parity.ok:
        judged = parity.judged
        if judged == 0:
            return f"{run}: not judged (the reference's own float32 run leaves float64 by over {HORIZON:.0e} at once)"
        worst = int(np.argmax(parity.deviation[:judged] / parity.bound[:judged]))
        line = (
            f"{run} keeps parity for {judged} steps: largest deviation {np.max(parity.deviation[:judged]):.2e}, "
            f"nearest its bound at step {worst} ({parity.deviation[worst]:.2e} <= {parity.bound[worst]:.2e})"
        )
        if judged < steps:
            line += (
                f"; steps {judged}..{steps - 1} not judged: the reference's own float32 run leaves float64 "
                f"by over {HORIZON:.0e} there"
            )
        return line
    t = parity.first_failure
    line = f"{run} leaves parity at step {t}: deviation {parity.deviation[t]:.2e} > bound {parity.bound[t]:.2e}"
    if mismatch is not None:
        return line + (
            f"; first op outside its bound at that step: {mismatch.label} ({mismatch.op}), "
            f"error {mismatch.error:.2e} > {mismatch.bound:.0e}"
        )
    if t == 0:
        return line + "; no op of that step (training or probe) is outside its own bound"
    return line + "; no op of that step is outside its own bound: the deviation built up over the steps before"
