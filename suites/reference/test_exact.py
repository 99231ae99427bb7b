"""The reference is exact where it judges: float64 against arbitrary precision.

For every op where cancellation can occur (softmax, log-softmax, cross-entropy,
BatchNorm, the adaptive optimizers, ELU near 0) the reference's float64 result
is compared, element by element, with the textbook formula evaluated in mpmath
(``exact_mpmath``: 50 digits and up, until two precisions agree) on the same
float64 inputs, over the op's catalog cases and adversarial ones (near one-hot
rows spanning +-25 and +-40, tied maxima, logits of +-1000, an axis of length
one, BatchNorm with a batch of two and a channel of mean 1e4 and std 1, tiny
optimizer gradients with beta2 near one, ELU just left of 0).

Criterion, per output element i:

    |ref_i - exact_i| <= C (u scale_i + 2^-1074),   C = 8,  u = 2^-53
    scale_i = |exact_i| + sqrt(sum_j ((d exact_i / d a_j) a_j)^2)

the sum running over every element a_j of every float input (x, dy, gamma, the
targets, the gradient sequence; hyperparameters are exact binary fractions and
are held fixed). So the reference must be within a few ulps of the terms that
produce each element: for a backward, whose output is linear in dy, those are
the textbook sum's own terms (softmax: J_ji dy_j with J_ii = y_i (1 - y_i),
J_ji = -y_i y_j), plus the rounding any float64 program suffers in arguments
such as x_i - max or x_i - mean. Cancellation between terms is forgiven;
cancellation inside one (1 - y_k computed as a difference when y_k is near 1)
is not. The 2^-1074 term allows for results that underflow. The conformance
harness relies on exactly this: the reference's own error is negligible
against every backend tolerance, also on the ill-conditioned cases.

(A looser scale such as y_i (|dy_i| + sum_j y_j |dy_j|) for softmax backward
would not do: at the argmax it is about 2 |dy_k| where the terms are about
(1 - y_k) |dy|, so it passes dy_k - <y, dy> computed as a difference.)

The magnitudes come from differencing one input element at a time, except for
softmax, log-softmax and cross-entropy, whose rows may be 2048 long: there a
closed form, checked against the differences on small rows, gives them.
"""

from __future__ import annotations

import inspect
import zlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from mpmath import mpf

from cnnbench.reference import activations, batchnorm, losses, optim, softmax
from cnnbench.reference.cases import Case, normal, rng
from cnnbench.reference.catalog import CATALOG

from . import exact_mpmath as ex

C = 8
U = 2.0**-53
SUBNORMAL = 2.0**-1074


def default(function, keyword: str):
    """The reference's default for ``keyword`` (cases named "defaults" leave it out)."""
    return inspect.signature(function).parameters[keyword].default


def cotangent(name: str, shape: tuple[int, ...]) -> np.ndarray:
    """Seeded standard-normal dy of the forward output's shape."""
    return np.random.default_rng(zlib.crc32(name.encode())).standard_normal(shape)


def ulps_of_terms(ref: float, exact, terms) -> float:
    """|ref - exact| in units of u scale (+ the subnormal spacing)."""
    if not np.isfinite(ref):
        return float("inf")
    return float(abs(mpf(float(ref)) - exact) / (U * (abs(exact) + terms) + SUBNORMAL))


class Judged:
    """Collects (reference value, exact value, terms) per element and reports the worst."""

    def __init__(self, name: str):
        self.name = name
        self.rows: list[tuple[str, float, object, object]] = []

    def add(self, label: str, ref: np.ndarray, kernel, inputs, hyper, terms=None) -> None:
        exact, terms = ex.judge(kernel, inputs, hyper, terms)
        ref = np.ravel(np.asarray(ref, dtype=np.float64))
        assert ref.size == len(exact), f"{self.name} {label}: {ref.size} reference values, {len(exact)} exact"
        self.rows += [
            (f"{label}[{i}]", float(r), e, t) for i, (r, e, t) in enumerate(zip(ref, exact, terms, strict=True))
        ]

    def worst(self) -> tuple[float, str]:
        """(largest error in ulps of the terms, where and what)."""
        worst, where = 0.0, "no elements"
        for label, ref, exact, terms in self.rows:
            err = ulps_of_terms(ref, exact, terms)
            if not err <= worst:
                worst = err
                where = f"{label} = {ref!r}, exact {float(exact)!r} (terms {float(terms):.3g})"
        return worst, where

    def check(self) -> float:
        worst, where = self.worst()
        assert worst <= C, f"{self.name}: {where}: {worst:.3g} ulps of the terms, allowed {C}"
        return worst


# ---------------------------------------------------------------- softmax and log-softmax
def rows_along(a: np.ndarray, axis: int) -> np.ndarray:
    a = np.moveaxis(np.asarray(a, dtype=np.float64), axis, -1)
    return a.reshape(-1, a.shape[-1]) if a.size else a.reshape(0, 1)


def judge_softmax_family(name: str, x: np.ndarray, axis: int, dy: np.ndarray | None = None) -> Judged:
    forward, backward = getattr(softmax, name), getattr(softmax, f"{name}_backward")
    y = forward(x, axis=axis)
    dy = cotangent(f"{name}/{x.shape}", y.shape) if dy is None else dy
    (dx,) = backward(dy, x, axis=axis)
    judged = Judged(name)
    for r, (xr, yr, dyr, dxr) in enumerate(
        zip(rows_along(x, axis), rows_along(y, axis), rows_along(dy, axis), rows_along(dx, axis), strict=True)
    ):
        judged.add(f"forward row {r}", yr, getattr(ex, name), [ex.mpfs(xr)], {}, getattr(ex, f"{name}_terms"))
        backward_kernel, backward_terms = getattr(ex, f"{name}_backward"), getattr(ex, f"{name}_backward_terms")
        judged.add(f"backward row {r}", dxr, backward_kernel, [ex.mpfs(dyr), ex.mpfs(xr)], {}, backward_terms)
    return judged


NEAR_ONE_HOT_25 = np.array(
    [
        [25.0, -25.0, 3.0, -7.0, 1.5, 0.25, -3.0, 9.0],
        [-25.0, 2.0, 25.0, -1.0, -24.5, 0.0, 4.75, -12.0],
        [3.25, -25.0, -6.5, 25.0, -0.125, 10.0, -19.0, 1.0],
    ]
)
NEAR_ONE_HOT_40 = np.array(
    [
        [40.0, -40.0, 5.0, -12.0, 0.5, -3.0],
        [-40.0, 0.75, -7.0, 40.0, 2.0, -39.5],
    ]
)
ADVERSARIAL_LOGITS = {
    "near_one_hot_pm25": (NEAR_ONE_HOT_25, -1),
    "near_one_hot_pm40": (NEAR_ONE_HOT_40, -1),
    "near_one_hot_pm25_axis0": (NEAR_ONE_HOT_25.T.copy(), 0),
    "near_one_hot_random_rows": (normal(301, 5, 7, scale=3.0) + 30.0 * np.eye(5, 7, 2), -1),
    "two_tied_maxima": (np.array([[5.0, 5.0, -20.0, 1.0, 3.0], [25.0, -25.0, 25.0, 3.0, -1.0]]), -1),
    "huge_pm1000": (np.array([[1000.0, -1000.0, 999.5, -999.0], [1000.0, -1000.0, -1000.0, -1000.0]]), -1),
    "axis_of_length_one": (normal(302, 3, 1), -1),
    "axis1_of_length_one_3d": (normal(303, 2, 1, 4, scale=10.0), 1),
}


def softmax_params() -> list:
    params = []
    for name in ("softmax", "log_softmax"):
        for case in CATALOG[name].cases():
            axis = case.params.get("axis", -1)
            params.append(pytest.param(name, case.inputs[0], axis, id=f"{name}[{case.name}]"))
        for label, (x, axis) in ADVERSARIAL_LOGITS.items():
            params.append(pytest.param(name, x, axis, id=f"{name}[{label}]"))
    return params


@pytest.mark.parametrize("name,x,axis", softmax_params())
def test_softmax_family_is_exact(name, x, axis):
    judge_softmax_family(name, x, axis).check()


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("x", [NEAR_ONE_HOT_25, NEAR_ONE_HOT_40], ids=["pm25", "pm40"])
def test_softmax_family_is_exact_for_a_one_hot_upstream_gradient(name, x):
    """dy = -onehot(argmax) / y_k, the gradient of -log y_k: log-softmax's dx_k = (1 - y_k) dy_k
    is then all cancellation in dy_k - y_k sum(dy)."""
    y = softmax.softmax(x)
    dy = -np.eye(x.shape[1])[np.argmax(x, axis=1)] / y.max(axis=1, keepdims=True)
    judge_softmax_family(name, x, -1, dy).check()


def test_the_criterion_catches_the_textbook_softmax_backward():
    """Negative control: y * (dy - <y, dy>) in float64 loses 1 - y_k on a near one-hot row."""
    x = NEAR_ONE_HOT_25[:1]
    y = softmax.softmax(x)
    dy = cotangent("softmax/(1, 8)", x.shape)
    naive = y * (dy - (y * dy).sum(axis=-1, keepdims=True))
    judged = Judged("textbook softmax backward")
    judged.add("row 0", naive, ex.softmax_backward, [ex.mpfs(dy[0]), ex.mpfs(x[0])], {}, ex.softmax_backward_terms)
    with pytest.raises(AssertionError, match="ulps of the terms"):
        judged.check()


# ---------------------------------------------------------------- cross-entropy
def judge_cross_entropy(logits: np.ndarray, target: np.ndarray, reduction: str | None) -> Judged:
    params = {"target": target} if reduction is None else {"target": target, "reduction": reduction}
    reduction = reduction or default(losses.cross_entropy, "reduction")
    loss = losses.cross_entropy(logits, **params)
    dy = cotangent(f"cross_entropy/{logits.shape}/{reduction}", np.shape(loss))
    (dz,) = losses.cross_entropy_backward(dy, logits, **params)
    integer = np.issubdtype(np.asarray(target).dtype, np.integer)
    hyper = {"k": logits.shape[1], "labels": [int(t) for t in target] if integer else None, "reduction": reduction}
    t = [] if integer else ex.mpfs(target)
    judged = Judged("cross_entropy")
    judged.add("loss", loss, ex.cross_entropy, [ex.mpfs(logits), t], hyper, ex.cross_entropy_terms)
    dz_inputs = [ex.mpfs(dy), ex.mpfs(logits), t]
    judged.add("dz", dz, ex.cross_entropy_backward, dz_inputs, hyper, ex.cross_entropy_backward_terms)
    return judged


def one_hot(labels: np.ndarray, k: int) -> np.ndarray:
    return np.eye(k)[labels]


def cross_entropy_params() -> list:
    params = [
        pytest.param(case.inputs[0], case.params["target"], case.params.get("reduction"), id=case.name)
        for case in CATALOG["cross_entropy"].cases()
    ]
    dominant = np.argmax(NEAR_ONE_HOT_25, axis=1)
    nearly_one_hot = one_hot(dominant, 8) * (1 - 2**-30) + (1 - one_hot(dominant, 8)) * 2**-30 / 7
    adversarial = {
        "near_one_hot_pm25_labels_dominant": (NEAR_ONE_HOT_25, dominant, "mean"),
        "near_one_hot_pm25_labels_other": (NEAR_ONE_HOT_25, np.array([1, 0, 6]), "sum"),
        "near_one_hot_pm40_labels_dominant": (NEAR_ONE_HOT_40, np.argmax(NEAR_ONE_HOT_40, axis=1), "sum"),
        "near_one_hot_pm25_one_hot_float_targets": (NEAR_ONE_HOT_25, one_hot(dominant, 8), "mean"),
        "near_one_hot_pm25_nearly_one_hot_targets": (NEAR_ONE_HOT_25, nearly_one_hot, "sum"),
        "two_tied_maxima_labels": (ADVERSARIAL_LOGITS["two_tied_maxima"][0], np.array([0, 2]), "mean"),
        "huge_pm1000_labels": (ADVERSARIAL_LOGITS["huge_pm1000"][0], np.array([0, 0]), "mean"),
        "huge_pm1000_soft": (ADVERSARIAL_LOGITS["huge_pm1000"][0], rng(304).dirichlet(np.ones(4), 2), "sum"),
        "one_class": (normal(305, 3, 1), np.array([0, 0, 0]), "mean"),
    }
    return params + [pytest.param(z, t, reduction, id=label) for label, (z, t, reduction) in adversarial.items()]


@pytest.mark.parametrize("logits,target,reduction", cross_entropy_params())
def test_cross_entropy_is_exact(logits, target, reduction):
    judge_cross_entropy(logits, target, reduction).check()


# ---------------------------------------------------------------- the closed-form terms
def closed_form_params() -> list:
    rows = [
        NEAR_ONE_HOT_25[0],
        NEAR_ONE_HOT_40[1],
        np.array([5.0, 5.0, -20.0, 1.0]),
        np.array([1000.0, -1000.0, 999.5]),
    ]
    rows += [np.array([0.3]), normal(340, 6, scale=2.0)]
    params = []
    for r, x in enumerate(rows):
        dy = cotangent(f"closed_form/{r}", x.shape)
        for name in ("softmax", "log_softmax"):
            params.append(pytest.param(name, [ex.mpfs(x)], {}, id=f"{name}[row{r}]"))
            params.append(
                pytest.param(f"{name}_backward", [ex.mpfs(dy), ex.mpfs(x)], {}, id=f"{name}_backward[row{r}]")
            )
    z = np.concatenate([NEAR_ONE_HOT_25[:2, :5], normal(341, 1, 5)])
    for label, t, labels in [("labels", [], [0, 2, 4]), ("soft", ex.mpfs(rng(342).dirichlet(np.ones(5), 3)), None)]:
        hyper = {"k": 5, "labels": labels, "reduction": "mean"}
        params.append(pytest.param("cross_entropy", [ex.mpfs(z), t], hyper, id=f"cross_entropy[{label}]"))
        inputs = [[mpf(-1.5)], ex.mpfs(z), t]
        params.append(pytest.param("cross_entropy_backward", inputs, hyper, id=f"cross_entropy_backward[{label}]"))
    return params


@pytest.mark.parametrize("name,inputs,hyper", closed_form_params())
def test_closed_form_terms_equal_differences(name, inputs, hyper):
    """The O(n) closed forms used for softmax, log-softmax and cross-entropy give the same
    magnitudes as differencing one input element at a time."""
    kernel, closed_form = getattr(ex, name), getattr(ex, f"{name}_terms")
    exact, differenced = ex.judge(kernel, inputs, hyper)
    _, closed = ex.judge(kernel, inputs, hyper, closed_form)
    for e, d, c in zip(exact, differenced, closed, strict=True):
        assert abs(d - c) <= mpf(10) ** -6 * max(abs(d), abs(c)) + mpf(10) ** -30 * abs(e) + ex.NEGLIGIBLE, (d, c)


# ---------------------------------------------------------------- batch norm
def channels(a: np.ndarray) -> list[np.ndarray]:
    """One flat array per channel (axis 1)."""
    a = np.asarray(a, dtype=np.float64)
    return [np.moveaxis(a, 1, 0)[c].ravel() for c in range(a.shape[1])]


def bn_hyper(case: Case, function, *keywords: str) -> dict:
    return {k: case.params.get(k, default(function, k)) for k in keywords}


def judge_batch_norm_train(case: Case) -> Judged:
    """y and the backward (dx, dgamma, dbeta), one channel at a time."""
    x, gamma, beta = case.inputs
    y, _, _ = batchnorm.batch_norm_train(x, gamma, beta, **case.params)
    dy = cotangent(f"batch_norm_train/{case.name}", y.shape)
    dx, dgamma, dbeta = batchnorm.batch_norm_train_backward(dy, x, gamma, beta, **case.params)
    hyper = bn_hyper(case, batchnorm.batch_norm_train, "eps")
    judged = Judged("batch_norm_train")
    for c, (xc, yc, dyc, dxc) in enumerate(zip(channels(x), channels(y), channels(dy), channels(dx), strict=True)):
        g, b = ex.mpfs(gamma[c]), ex.mpfs(beta[c])
        judged.add(f"y channel {c}", yc, ex.batch_norm_train, [ex.mpfs(xc), g, b], hyper)
        ref = np.concatenate([dxc, [dgamma[c], dbeta[c]]])
        kernel = ex.batch_norm_train_backward
        judged.add(f"(dx, dgamma, dbeta) channel {c}", ref, kernel, [ex.mpfs(dyc), ex.mpfs(xc), g], hyper)
    return judged


def judge_batch_norm_running(case: Case, conventions: dict) -> Judged:
    x, gamma, beta = case.inputs
    _, new_mean, new_var = batchnorm.batch_norm_train(x, gamma, beta, **case.params, **conventions)
    hyper = {**bn_hyper(case, batchnorm.batch_norm_train, "momentum"), **conventions}
    judged = Judged("batch_norm_train running statistics")
    for c, xc in enumerate(channels(x)):
        stats = [ex.mpfs(case.params["running_mean"][c]), ex.mpfs(case.params["running_var"][c])]
        ref = [new_mean[c], new_var[c]]
        judged.add(f"(mean, var) channel {c}", ref, ex.batch_norm_running, [ex.mpfs(xc), *stats], hyper)
    return judged


def judge_batch_norm_eval(case: Case) -> Judged:
    x, gamma, beta = case.inputs
    y = batchnorm.batch_norm_eval(x, gamma, beta, **case.params)
    dy = cotangent(f"batch_norm_eval/{case.name}", y.shape)
    dx, dgamma, dbeta = batchnorm.batch_norm_eval_backward(dy, x, gamma, beta, **case.params)
    hyper = bn_hyper(case, batchnorm.batch_norm_eval, "eps")
    judged = Judged("batch_norm_eval")
    for c, (xc, yc, dyc, dxc) in enumerate(zip(channels(x), channels(y), channels(dy), channels(dx), strict=True)):
        stats = [ex.mpfs(case.params["running_mean"][c]), ex.mpfs(case.params["running_var"][c])]
        g, b = ex.mpfs(gamma[c]), ex.mpfs(beta[c])
        judged.add(f"y channel {c}", yc, ex.batch_norm_eval, [ex.mpfs(xc), g, b, *stats], hyper)
        ref = np.concatenate([dxc, [dgamma[c], dbeta[c]]])
        kernel = ex.batch_norm_eval_backward
        judged.add(f"(dx, dgamma, dbeta) channel {c}", ref, kernel, [ex.mpfs(dyc), ex.mpfs(xc), g, *stats], hyper)
    return judged


def bn_case(name: str, x: np.ndarray, **params) -> Case:
    c = x.shape[1]
    stats = {"running_mean": normal(310, c, scale=0.1), "running_var": rng(311).uniform(0.5, 2.0, c), "eps": 2**-17}
    return Case(name, (x, rng(312).uniform(0.5, 1.5, c), normal(313, c)), {**stats, "momentum": 0.875, **params})


LARGE_MEAN = normal(320, 16, 3)
LARGE_MEAN[:, 0] += 1e4  # mean 1e4, std 1
LARGE_MEAN_IMAGE = normal(321, 3, 2, 3, 3)
LARGE_MEAN_IMAGE[:, 1] += 1e4
ADVERSARIAL_BN = [
    bn_case("adversarial_batch_of_two", normal(322, 2, 3)),
    bn_case("adversarial_batch_of_two_eps_2^-10", normal(323, 2, 3, scale=0.125), eps=2**-10),
    bn_case("adversarial_batch_of_three", normal(325, 3, 4)),
    bn_case("adversarial_large_mean_channel", LARGE_MEAN),
    bn_case("adversarial_large_mean_channel_image", LARGE_MEAN_IMAGE),
    bn_case(
        "adversarial_large_mean_constant_channel",
        np.concatenate([np.full((4, 1), 1e4 + 0.5), normal(324, 4, 1)], axis=1),
    ),
]
BN_TRAIN_CASES = CATALOG["batch_norm_train"].cases() + ADVERSARIAL_BN
BN_CONVENTIONS = [{"bn_running_var": v, "bn_momentum": m} for v in ("biased", "unbiased") for m in ("old", "new")]


@pytest.mark.parametrize("case", BN_TRAIN_CASES, ids=lambda c: c.name)
def test_batch_norm_train_is_exact(case):
    judge_batch_norm_train(case).check()


@pytest.mark.parametrize("case", BN_TRAIN_CASES, ids=lambda c: c.name)
@pytest.mark.parametrize("conventions", BN_CONVENTIONS, ids=lambda c: "-".join(c.values()))
def test_batch_norm_running_statistics_are_exact(case, conventions):
    judge_batch_norm_running(case, conventions).check()


@pytest.mark.parametrize("case", CATALOG["batch_norm_eval"].cases() + ADVERSARIAL_BN, ids=lambda c: c.name)
def test_batch_norm_eval_is_exact(case):
    params = {k: v for k, v in case.params.items() if k != "momentum"}
    judge_batch_norm_eval(Case(case.name, case.inputs, params)).check()


# ---------------------------------------------------------------- optimizers
OPTIMIZER_CONVENTIONS = {
    "adagrad": ("adagrad_eps", ("outside", "inside")),
    "rmsprop": ("rmsprop_eps", ("outside", "inside")),
    "adam": ("adam_eps", ("corrected", "uncorrected")),
}


def judge_optimizer(name: str, case: Case, convention: str) -> Judged:
    step = getattr(optim, name)
    key, _ = OPTIMIZER_CONVENTIONS[name]
    (param,) = case.inputs
    hyper = {k: v for k, v in case.params.items() if k != "grads"}
    hyper[key] = convention
    grads = np.asarray(case.params["grads"], dtype=np.float64)
    p, state, path = param, None, []
    for g in grads:
        p, state = step(p, g, state=state, **hyper)
        path.append(p)
    path = np.stack(path).reshape(len(grads), -1)
    knobs = inspect.signature(ex.OPTIMIZERS[name]).parameters
    full = {k: hyper.get(k, default(step, k)) for k in knobs if k not in ("p0", "grads")}
    judged = Judged(name)
    for e, (p0, ge) in enumerate(zip(np.ravel(param), grads.reshape(len(grads), -1).T, strict=True)):
        judged.add(f"element {e} steps", path[:, e], ex.OPTIMIZERS[name], [ex.mpfs(p0), ex.mpfs(ge)], full)
    return judged


def tiny_gradient_cases(name: str) -> list[Case]:
    """Gradients of 1e-20 (g^2 and sqrt(v) far below eps = 2^-27) and of about 1, from zero and
    from normal parameters, with decay rates 1 - 2^-9 where bias correction 1 - beta^t cancels."""
    hyper = {
        "adagrad": {"lr": 0.125, "eps": 2**-27},
        "rmsprop": {"lr": 2**-6, "rho": 1 - 2**-9, "eps": 2**-27},
        "adam": {"lr": 2**-6, "beta1": 0.875, "beta2": 1 - 2**-9, "eps": 2**-27},
    }[name]
    cases = []
    for scale in (1e-20, 1.0):
        grads = normal(330, 8, 4, scale=scale)
        cases.append(Case(f"grads_{scale:g}_from_zero", (np.zeros(4),), {"grads": grads, **hyper}))
        cases.append(Case(f"grads_{scale:g}_from_normal", (normal(331, 4),), {"grads": grads, **hyper}))
    same_sign = np.abs(normal(332, 12, 3))
    cases.append(Case("same_sign_grads_from_zero", (np.zeros(3),), {"grads": same_sign, **hyper}))
    if name == "adam":
        textbook = {**hyper, "beta1": 0.9, "beta2": 0.999}
        cases.append(Case("same_sign_beta1_0.9_beta2_0.999", (np.zeros(3),), {"grads": same_sign, **textbook}))
    return cases


def optimizer_params() -> list:
    return [
        pytest.param(name, case, convention, id=f"{name}[{case.name}-{convention}]")
        for name, (_, choices) in OPTIMIZER_CONVENTIONS.items()
        for case in CATALOG[name].cases() + tiny_gradient_cases(name)
        for convention in choices
    ]


@pytest.mark.parametrize("name,case,convention", optimizer_params())
def test_optimizer_trajectory_is_exact(name, case, convention):
    judge_optimizer(name, case, convention).check()


# ---------------------------------------------------------------- ELU
def kink_keyword() -> str:
    return next(k for k in inspect.signature(activations.elu_backward).parameters if k.endswith("grad_at_kink"))


def judge_elu(x: np.ndarray, params: dict) -> Judged:
    alpha = params.get("alpha", default(activations.elu, "alpha"))
    side = params.get(kink_keyword(), default(activations.elu_backward, kink_keyword()))
    y = activations.elu(x, alpha=alpha)
    dy = cotangent(f"elu/{x.shape}", y.shape)
    (dx,) = activations.elu_backward(dy, x, alpha=alpha, **{kink_keyword(): side})
    judged = Judged("elu")
    for i, (xi, yi, dyi, dxi) in enumerate(zip(np.ravel(x), np.ravel(y), np.ravel(dy), np.ravel(dx), strict=True)):
        judged.add(f"forward {i}", yi, ex.elu, [ex.mpfs(xi)], {"alpha": alpha})
        hyper = {"alpha": alpha, "grad_at_kink": side}
        judged.add(f"backward {i}", dxi, ex.elu_backward, [ex.mpfs(dyi), ex.mpfs(xi)], hyper)
    return judged


@pytest.mark.parametrize("case", CATALOG["elu"].cases(), ids=lambda c: c.name)
@pytest.mark.parametrize("side", ["left", "right"])
def test_elu_catalog_cases_are_exact(case, side):
    judge_elu(case.inputs[0], {**case.params, kink_keyword(): side}).check()


def test_elu_just_left_of_zero_is_exact():
    """alpha (e^x - 1) for x = -1e-8, -1e-3, -1e-300: exp(x) - 1 would lose every digit."""
    judge_elu(np.array([-1e-8, -1e-3, -1e-300, -(2.0**-60)]), {"alpha": 0.75}).check()


# ---------------------------------------------------------------- generated cases
@st.composite
def logits_cases(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(logits (N, K), integer labels, soft targets): some rows near one-hot, some tied."""
    n, k = draw(st.integers(1, 3)), draw(st.integers(1, 6))
    scale = draw(st.sampled_from([0.1, 1.0, 10.0, 300.0]))
    seed = draw(st.integers(0, 2**31 - 1))
    gen = rng(seed)
    z = scale * gen.standard_normal((n, k))
    spike = draw(st.sampled_from([0.0, 20.0, 25.0, 40.0, 60.0]))
    hot = gen.integers(0, k, n)
    z[np.arange(n), hot] += spike
    if draw(st.booleans()) and k > 1:  # a tie with the row maximum
        z[:, (hot + 1) % k] = z[np.arange(n), hot]
    labels = np.where(gen.random(n) < 0.5, hot, gen.integers(0, k, n))
    if draw(st.booleans()):
        soft = gen.dirichlet(np.ones(k), n)
    else:
        soft = one_hot(labels, k)
    return z, labels, soft


@given(case=logits_cases())
def test_generated_softmax_and_cross_entropy_are_exact(case):
    z, labels, soft = case
    judge_softmax_family("softmax", z, -1).check()
    judge_softmax_family("log_softmax", z, -1).check()
    judge_cross_entropy(z, labels, "mean").check()
    judge_cross_entropy(z, soft, "sum").check()
