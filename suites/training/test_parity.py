"""Every backend trains the network the way the reference does, step by step (``cnnbench.training.parity``).

Each backend, in float64 and float32 where it runs them: 200 steps of momentum SGD on the
synthetic set (2 steps for a backend on an interpreter), training and probe loss within the bound
of every step. Negative controls: realistic slips planted in the reference itself - momentum 1 %
low and 1e-4 relative low, BatchNorm running statistics with the momentum read the other way or
unbiased behind a biased declaration, batch_norm_eval with the wrong eps (only the probe sees it),
dropout's backward without its 1 / (1 - p), the loss gradient summed instead of averaged, a
convolution rounded through half precision - leave parity in both dtypes, and the op-by-op
replay names the layer that went wrong wherever that layer's error is above the op bound.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from cnnbench.backends.base import OpNotSupported
from cnnbench.backends.numpy_backend import NumpyBackend
from cnnbench.training import data, parity
from cnnbench.training.loop import RunConfig
from cnnbench.training.optimizers import PRESETS, OptimizerConfig

CONFIG = RunConfig()
STEPS = 200
INTERPRETED_STEPS = 2
CONTROL_STEPS = 60
BINARY_MOMENTUM = replace(CONFIG, optimizer=OptimizerConfig(hyper={"momentum": 0.875}))
FINDINGS = {  # (backend, dtype): why it leaves parity; strict xfails, each also run with momentum 0.875
    ("tensorflow", "float64"): (
        "Keras holds SGD's momentum in float32: 0.9 becomes 0.89999998, 4e-9 relative off per step in "
        "float64; with momentum 0.875 (exact in float32) the same run keeps parity"
    ),
}
DTYPES = ("float64", "float32")
TEXTBOOK = NumpyBackend()  # the slips call the reference here: super().__getattr__ would cache it on self


@pytest.fixture(scope="module")
def synthetic() -> data.Dataset:
    return data.synthetic(0)


@pytest.fixture(scope="module")
def references(synthetic) -> dict[int, parity.References]:
    return {steps: parity.References(synthetic, CONFIG, steps) for steps in (STEPS, INTERPRETED_STEPS, CONTROL_STEPS)}


@pytest.mark.parametrize("precision", DTYPES)
def test_backend_keeps_parity_with_the_reference(request, loaded_backend, precision, synthetic, references) -> None:
    backend = loaded_backend.backend
    if precision not in backend.dtypes:
        pytest.skip(f"{loaded_backend.name} does not run {precision}")
    steps = INTERPRETED_STEPS if backend.interpreted else STEPS
    if (finding := FINDINGS.get((loaded_backend.name, precision))) is not None:
        binary = parity.References(synthetic, BINARY_MOMENTUM, steps)
        kept = binary.parity(backend, precision)
        assert kept.ok, parity.describe(kept, binary.locate(kept, backend))
        request.node.add_marker(pytest.mark.xfail(reason=finding, strict=True))
    refs = references[steps]
    try:
        result = refs.parity(backend, precision)
    except OpNotSupported as exc:
        pytest.skip(f"{loaded_backend.name} cannot train the network: {exc}")
    assert result.ok, parity.describe(result, refs.locate(result, backend))


OTHER_OPTIMIZERS = tuple(name for name in PRESETS if name != "momentum")  # momentum: the 200-step test
OPTIMIZER_STEPS = 40
KERAS_MOMENTUM = "keras holds SGD's momentum in float32 (0.9 becomes 0.89999998)"
OPTIMIZER_FINDINGS = {  # (backend, optimizer, dtype): why it leaves parity; strict xfails
    ("tensorflow", "nesterov", "float64"): KERAS_MOMENTUM,
    ("tensorflow", "adam", "float64"): "keras holds Adam's beta_2 = 0.999 in float32: 7e-6 off in the first update",
    ("tensorflow", "adam", "float32"): (
        "keras' float32 beta_2 (0.999 + 1.3e-8) puts its bias correction 1.3e-5 relative off, ~30x a careful "
        "float32 evaluation (as known_findings: adam defaults)"
    ),
}


@pytest.fixture(scope="module")
def optimizer_references(synthetic) -> dict[str, parity.References]:
    configs = {name: replace(CONFIG, optimizer=OptimizerConfig(name)) for name in OTHER_OPTIMIZERS}
    return {name: parity.References(synthetic, config, OPTIMIZER_STEPS) for name, config in configs.items()}


@pytest.mark.parametrize("optimizer", OTHER_OPTIMIZERS)
@pytest.mark.parametrize("precision", DTYPES)
def test_backend_keeps_parity_with_every_optimizer(
    request, loaded_backend, precision, optimizer, optimizer_references
) -> None:
    """40 steps with each other optimizer (Triton, on its interpreter, is left to the test above)."""
    backend = loaded_backend.backend
    if precision not in backend.dtypes or backend.interpreted:
        pytest.skip(f"{loaded_backend.name}: {precision} not run, or kernels on an interpreter (too slow here)")
    if (finding := OPTIMIZER_FINDINGS.get((loaded_backend.name, optimizer, precision))) is not None:
        request.node.add_marker(pytest.mark.xfail(reason=finding, strict=True))
    refs = optimizer_references[optimizer]
    try:
        result = refs.parity(backend, precision)
    except OpNotSupported as exc:
        pytest.skip(f"{loaded_backend.name} cannot train the network: {exc}")
    assert result.ok, parity.describe(result, refs.locate(result, backend))


class SlowMomentum(NumpyBackend):
    """Momentum 1 % low: passes a loose optimizer check, and drifts the whole run."""

    name = "slow-momentum"
    factor = 0.99

    def sgd_momentum(self, param, grad, *, momentum=0.9, **kw):
        return TEXTBOOK.sgd_momentum(param, grad, momentum=self.factor * momentum, **kw)


class SlightlySlowMomentum(SlowMomentum):
    """Momentum 1e-4 relative low: the smallest slip the float32 bound is shown to reject."""

    name = "slightly-slow-momentum"
    factor = 1 - 1e-4


class StatisticsReversed(NumpyBackend):
    """Running statistics keep the batch's share and take the old one's: momentum read the other way."""

    name = "statistics-reversed"

    def batch_norm_train(self, x, gamma, beta, *, momentum=0.9, **kw):
        return TEXTBOOK.batch_norm_train(x, gamma, beta, momentum=1.0 - momentum, **kw)


class UnbiasedRunningVariance(NumpyBackend):
    """Declares the biased running variance, keeps the unbiased one (m / (m - 1) = 1.0005 here)."""

    name = "unbiased-running-variance"

    def batch_norm_train(self, x, gamma, beta, **kw):
        return NumpyBackend({"bn_running_var": "unbiased"}).batch_norm_train(x, gamma, beta, **kw)


class EvaluationEpsilon(NumpyBackend):
    """batch_norm_eval with eps 1e-3 instead of the 1e-5 it is given: only the probe sees it."""

    name = "evaluation-epsilon"

    def batch_norm_eval(self, x, gamma, beta, *, eps=1e-5, **kw):
        return TEXTBOOK.batch_norm_eval(x, gamma, beta, eps=1e-3, **kw)


class DropoutBackwardUnscaled(NumpyBackend):
    """dropout's backward passes dy * mask, without the forward's 1 / (1 - p)."""

    name = "dropout-backward-unscaled"

    def dropout_backward(self, dy, x, *, mask, p):
        return (dy * mask,)


class LossGradientSummed(NumpyBackend):
    """Cross-entropy's gradient without the mean's 1 / N."""

    name = "loss-gradient-summed"

    def cross_entropy_backward(self, dy, logits, *, target, reduction="mean"):
        return TEXTBOOK.cross_entropy_backward(dy, logits, target=target, reduction="sum")


class HalfPrecisionConvolution(NumpyBackend):
    """conv2d rounded through float16: a half-precision accumulation."""

    name = "half-precision-convolution"

    def conv2d(self, x, w, b, **kw):
        out = TEXTBOOK.conv2d(x, w, b, **kw)
        return out.astype(np.float16).astype(out.dtype)


EVERY = dict.fromkeys(DTYPES)
CONTROLS = {  # planted slip: {dtype it must leave parity in: the op-by-op replay's first label, or None}
    SlowMomentum: dict.fromkeys(DTYPES, "update"),
    # a 1e-6 change of the update: under the op bound by design, so only the trace sees it
    SlightlySlowMomentum: EVERY,
    StatisticsReversed: dict.fromkeys(DTYPES, "forward bn1"),
    # running variance 5e-5 relative off after a step: within float32's op bound, not float64's
    UnbiasedRunningVariance: {"float64": "forward bn1", "float32": None},
    EvaluationEpsilon: dict.fromkeys(DTYPES, "evaluate bn1"),
    DropoutBackwardUnscaled: dict.fromkeys(DTYPES, "backward drop"),
    LossGradientSummed: dict.fromkeys(DTYPES, "backward loss"),
    HalfPrecisionConvolution: dict.fromkeys(DTYPES, "forward conv1"),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("slip", CONTROLS, ids=lambda cls: cls.__name__)
def test_planted_slip_leaves_parity_and_is_located(slip, dtype, references) -> None:
    refs = references[CONTROL_STEPS]
    backend = slip()
    result = refs.parity(backend, dtype)
    assert not result.ok, f"{slip.__name__} {dtype} kept parity: {parity.describe(result)}"
    label = CONTROLS[slip][dtype]
    if label is not None:
        mismatch = refs.locate(result, backend)
        assert mismatch is not None and mismatch.label.startswith(label), parity.describe(result, mismatch)


def test_float32_bound_stays_small(references) -> None:
    """The float32 bound through 200 steps, measured 1e-6 at step 0 and under 2e-5 at step 199:
    fails if it grows past 1e-4 (a looser bound than this would let a real slip through)."""
    bound = references[STEPS].bound(NumpyBackend(), "float32")
    assert bound[0] <= 2e-6 and np.all(bound <= 1e-4), f"float32 bound {bound[0]:.2e} .. {bound.max():.2e}"


def test_float32_is_judged_up_to_its_horizon_only() -> None:
    """Past the step where careful float32 leaves float64 by more than HORIZON, no bound holds:
    those steps are reported as not judged, and a non-finite loss there still fails."""
    careful = np.array([1e-7, 2e-7, 5e-5, 3e-4, 1e-5, 2e-1])  # a discrete event at step 3
    bound = parity.float32_bound(careful)
    assert np.allclose(bound[:3], parity.FLOAT32_FACTOR * np.array([1e-7, 2e-7, 5e-5]))
    assert np.all(np.isinf(bound[3:]))  # the running maximum keeps it past the horizon
    exact = parity.Trace("numpy", "float64", np.ones(6), np.ones(6))
    close = parity.Trace("b", "float32", np.ones(6) + 1e-7, np.ones(6))
    kept = parity.Parity(close, exact, bound)
    assert kept.ok and kept.judged == 3 and "steps 3..5 not judged" in parity.describe(kept)
    drifting = parity.Trace("b", "float32", np.array([1, 1, 1.01, 1, 1, 1.0]), np.ones(6))
    assert parity.Parity(drifting, exact, bound).first_failure == 2
    nan_late = parity.Trace("b", "float32", np.array([1, 1, 1, 1, np.nan, 1.0]), np.ones(6))
    assert parity.Parity(nan_late, exact, bound).first_failure == 4
    with pytest.raises(ValueError, match="not finite"):
        parity.float32_bound(np.array([1e-7, np.inf]))
