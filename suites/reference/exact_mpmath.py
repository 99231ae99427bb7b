"""Arbitrary-precision judge for the reference: textbook formulas in mpmath.

Every formula here is the plain textbook one, written with loops over small
lists of ``mpf`` numbers, independently of ``reference/`` (nothing from there is
imported). Cancellation that would ruin them in float64 is harmless here: each
evaluation runs at growing precision (50, 100, 200, ... decimal digits) until
two successive results agree to 25 significant digits, so what comes back is
the exact value of the formula on the exact float64 inputs, to far below one
float64 ulp.

``judge`` also returns, per output element, the magnitude of the terms that
produce it: the root sum of squares, over every input element a_j, of
(d out_i / d a_j) a_j, the first-order change of out_i when a_j moves by its
own size. For an output linear in the upstream gradient (every backward) the
dy-part of that sum is exactly the textbook sum's terms, e.g. for softmax
backward dx_i = sum_j J_ji dy_j with J_ii = y_i (1 - y_i) and J_ji = -y_i y_j;
the rest accounts for the rounding of the coefficients' arguments (x_i - max
in an exponent, x_i - mean in BatchNorm), which no float64 program escapes.
Derivatives are relative forward differences (h = 1e-20) at 40 more digits
than the value needed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from mpmath import mp, mpf

AGREE = mpf(10) ** -25  # relative agreement of two successive precisions
NEGLIGIBLE = mpf(2) ** -1100  # absolute: far below float64's smallest subnormal, 2^-1074
START_DPS, MAX_DPS = 50, 6400

Vector = list  # of mpf


def mpfs(a: object) -> Vector:
    """Float64 values as exact mpf numbers (a float64 converts exactly)."""
    return [mpf(float(v)) for v in np.ravel(np.asarray(a, dtype=np.float64))]


def evaluate(kernel: Callable[..., Vector], inputs: Sequence[Vector], hyper: dict) -> tuple[Vector, int]:
    """kernel(*inputs, **hyper) at the lowest precision (from 50 digits, doubling) that two
    successive evaluations agree on; returns (values, digits used).

    Agreement cannot tell a result that cancels to exactly 0 at both precisions from a true 0;
    the kernels keep that from mattering (a value below 1e-50 of its terms is 0 to the test)
    or avoid it (ELU's expm1)."""
    previous, dps = None, START_DPS
    while dps <= MAX_DPS:
        with mp.workdps(dps):
            values = kernel(*inputs, **hyper)
            if previous is not None and all(
                abs(a - b) <= AGREE * abs(a) + NEGLIGIBLE for a, b in zip(values, previous, strict=True)
            ):
                return values, dps
        previous, dps = values, 2 * dps
    raise ArithmeticError(f"{kernel.__name__}: no agreement up to {MAX_DPS} digits")


def judge(
    kernel: Callable[..., Vector], inputs: Sequence[Vector], hyper: dict, terms: Callable[..., Vector] | None = None
) -> tuple[Vector, Vector]:
    """(exact values, magnitude of the terms) of kernel(*inputs, **hyper), element by element.

    ``terms`` (same arguments) gives the magnitudes in closed form, for ops whose rows are too
    long to difference one input at a time; ``test_closed_form_terms_equal_differences`` checks
    each against the differences."""
    values, dps = evaluate(kernel, inputs, hyper)
    with mp.workdps(dps + 40):
        if terms is not None:
            return values, terms(*inputs, **hyper)
        h = mpf(10) ** -20
        base = kernel(*inputs, **hyper)
        squares = [mpf(0)] * len(base)
        for which, vector in enumerate(inputs):
            for j, a in enumerate(vector):
                if a == 0:
                    continue  # (d out / d a) a = 0
                moved = list(vector)
                moved[j] = a * (1 + h)
                out = kernel(*inputs[:which], moved, *inputs[which + 1 :], **hyper)
                squares = [s + ((o - b) / h) ** 2 for s, o, b in zip(squares, out, base, strict=True)]
        terms = [mp.sqrt(s) for s in squares]
    return values, terms


# ---------------------------------------------------------------- softmax family, one row at a time
def softmax(x: Vector) -> Vector:
    """y_i = exp(x_i) / sum_j exp(x_j)."""
    e = [mp.exp(v) for v in x]
    total = mp.fsum(e)
    return [v / total for v in e]


def log_softmax(x: Vector) -> Vector:
    """x_i - log sum_j exp(x_j)."""
    lse = mp.log(mp.fsum(mp.exp(v) for v in x))
    return [v - lse for v in x]


def softmax_backward(dy: Vector, x: Vector) -> Vector:
    """dx_i = y_i (dy_i - sum_j y_j dy_j)."""
    y = softmax(x)
    dot = mp.fsum(a * b for a, b in zip(y, dy, strict=True))
    return [a * (d - dot) for a, d in zip(y, dy, strict=True)]


def log_softmax_backward(dy: Vector, x: Vector) -> Vector:
    """dx_i = dy_i - y_i sum_j dy_j."""
    y = softmax(x)
    total = mp.fsum(dy)
    return [d - a * total for a, d in zip(y, dy, strict=True)]


# Closed-form magnitudes of the terms (see ``judge``), O(n) per row. With y = softmax(x),
# d y_i / d x_j = y_i (delta_ij - y_j); "others" sums skip j = i without subtracting.
def _others(v: Vector) -> Vector:
    """[sum_{j != i} v_j for each i], from prefix and suffix sums."""
    n = len(v)
    before, after = [mpf(0)] * n, [mpf(0)] * n
    for i in range(1, n):
        before[i] = before[i - 1] + v[i - 1]
    for i in range(n - 2, -1, -1):
        after[i] = after[i + 1] + v[i + 1]
    return [b + a for b, a in zip(before, after, strict=True)]


def _probabilities_and_complements(x: Vector) -> tuple[Vector, Vector]:
    """(y, 1 - y), the complement as sum_{j != i} e_j / sum_j e_j."""
    e = [mp.exp(v) for v in x]
    total = mp.fsum(e)
    return [v / total for v in e], [r / total for r in _others(e)]


def _root(v) -> mpf:
    return mp.sqrt(max(v, mpf(0)))


def _softmax_x_squares(y: Vector, yc: Vector, x: Vector) -> Vector:
    """sum_j ((delta_ij - y_j) x_j)^2 = (1 - y_i)^2 x_i^2 + sum_{j != i} y_j^2 x_j^2."""
    q = _others([(a * v) ** 2 for a, v in zip(y, x, strict=True)])
    return [(c * v) ** 2 + r for c, v, r in zip(yc, x, q, strict=True)]


def softmax_terms(x: Vector) -> Vector:
    """d y_i / d x_j x_j = y_i (delta_ij - y_j) x_j."""
    y, yc = _probabilities_and_complements(x)
    return [a * _root(s) for a, s in zip(y, _softmax_x_squares(y, yc, x), strict=True)]


def log_softmax_terms(x: Vector) -> Vector:
    """(delta_ij - y_j) x_j."""
    y, yc = _probabilities_and_complements(x)
    return [_root(s) for s in _softmax_x_squares(y, yc, x)]


def softmax_backward_terms(dy: Vector, x: Vector) -> Vector:
    """dy_j: y_i (delta_ij - y_j) dy_j;  x_j: y_i (delta_ij A_i - y_j (A_i + A_j)) x_j,  A = dy - <y, dy>."""
    y, yc = _probabilities_and_complements(x)
    dot = mp.fsum(a * g for a, g in zip(y, dy, strict=True))
    big_a = [g - dot for g in dy]
    yx2 = [(a * v) ** 2 for a, v in zip(y, x, strict=True)]
    dy_others = _others([(a * g) ** 2 for a, g in zip(y, dy, strict=True)])
    r0 = _others(yx2)
    r1 = _others([w * aj for w, aj in zip(yx2, big_a, strict=True)])
    r2 = _others([w * aj**2 for w, aj in zip(yx2, big_a, strict=True)])
    out = []
    for i, (a, c, g, v, ai) in enumerate(zip(y, yc, dy, x, big_a, strict=True)):
        dy_part = (c * g) ** 2 + dy_others[i]
        x_part = (ai * (c - a) * v) ** 2 + ai**2 * r0[i] + 2 * ai * r1[i] + r2[i]
        out.append(a * _root(dy_part + max(x_part, mpf(0))))
    return out


def log_softmax_backward_terms(dy: Vector, x: Vector) -> Vector:
    """dy_j: (delta_ij - y_i) dy_j;  x_j: -(sum dy) y_i (delta_ij - y_j) x_j."""
    y, yc = _probabilities_and_complements(x)
    total = mp.fsum(dy)
    dy_others = _others([g**2 for g in dy])
    x_squares = _softmax_x_squares(y, yc, x)
    return [
        _root((c * g) ** 2 + a**2 * d + (total * a) ** 2 * s)
        for a, c, g, d, s in zip(y, yc, dy, dy_others, x_squares, strict=True)
    ]


# ---------------------------------------------------------------- cross-entropy, whole batch (rows of k)
def _rows(flat: Vector, k: int) -> list[Vector]:
    return [flat[i : i + k] for i in range(0, len(flat), k)]


def _probabilities(target: Vector, labels: Sequence[int] | None, k: int) -> list[Vector]:
    if labels is None:
        return _rows(target, k)
    return [[mpf(1) if j == label else mpf(0) for j in range(k)] for label in labels]


def cross_entropy(z: Vector, target: Vector, *, k: int, labels=None, reduction: str = "mean") -> Vector:
    """L = c sum_n sum_j -t_nj log softmax(z_n)_j, c = 1/N (mean) or 1 (sum)."""
    rows = _rows(z, k)
    c = mpf(1) / len(rows) if reduction == "mean" else mpf(1)
    t = _probabilities(target, labels, k)
    return [
        c
        * mp.fsum(
            -tj * lj for row, tn in zip(rows, t, strict=True) for tj, lj in zip(tn, log_softmax(row), strict=True)
        )
    ]


def cross_entropy_backward(
    dy: Vector, z: Vector, target: Vector, *, k: int, labels=None, reduction: str = "mean"
) -> Vector:
    """dz_nj = dy c (softmax(z_n)_j sum_i t_ni - t_nj)."""
    rows = _rows(z, k)
    c = dy[0] / len(rows) if reduction == "mean" else dy[0]
    t = _probabilities(target, labels, k)
    out = []
    for row, tn in zip(rows, t, strict=True):
        total = mp.fsum(tn)
        out += [c * (y * total - tj) for y, tj in zip(softmax(row), tn, strict=True)]
    return out


def _targets_and_scale(z: Vector, target: Vector, k: int, labels, reduction: str) -> tuple:
    rows = _rows(z, k)
    return rows, _probabilities(target, labels, k), (mpf(1) / len(rows) if reduction == "mean" else mpf(1))


def cross_entropy_terms(z: Vector, target: Vector, *, k: int, labels=None, reduction: str = "mean") -> Vector:
    """z_nj: c (y_nj T_n - t_nj) z_nj;  t_nj (soft targets only): -c log softmax(z_n)_j t_nj."""
    rows, t, c = _targets_and_scale(z, target, k, labels, reduction)
    squares = []
    for row, tn in zip(rows, t, strict=True):
        total = mp.fsum(tn)
        squares += [(c * (y * total - tj) * v) ** 2 for y, tj, v in zip(softmax(row), tn, row, strict=True)]
        if labels is None:
            squares += [(c * lj * tj) ** 2 for lj, tj in zip(log_softmax(row), tn, strict=True)]
    return [mp.sqrt(mp.fsum(squares))]


def cross_entropy_backward_terms(
    dy: Vector, z: Vector, target: Vector, *, k: int, labels=None, reduction: str = "mean"
) -> Vector:
    """dz_nj = D c (y_nj T_n - t_nj), D = dy: the dz itself (from D), D c T_n times softmax's
    z-terms, and (soft targets) D c (y_nj - delta_jm) t_nm."""
    rows, t, c = _targets_and_scale(z, target, k, labels, reduction)
    dc = dy[0] * c
    out = []
    for row, tn in zip(rows, t, strict=True):
        total = mp.fsum(tn)
        y, yc = _probabilities_and_complements(row)
        t_others = _others([tj**2 for tj in tn])
        for j, (s, a, cj, tj) in enumerate(zip(_softmax_x_squares(y, yc, row), y, yc, tn, strict=True)):
            square = (dc * (a * total - tj)) ** 2 + (dc * total * a) ** 2 * s
            if labels is None:
                square += dc**2 * ((cj * tj) ** 2 + a**2 * t_others[j])
            out.append(_root(square))
    return out


# ---------------------------------------------------------------- batch norm, one channel at a time
def _moments(x: Vector, eps) -> tuple:
    m = len(x)
    mu = mp.fsum(x) / m
    var = mp.fsum((v - mu) ** 2 for v in x) / m
    return mu, var, mp.sqrt(var + eps)


def batch_norm_train(x: Vector, gamma: Vector, beta: Vector, *, eps) -> Vector:
    """y_i = gamma (x_i - mu) / sqrt(var + eps) + beta for one channel (biased var)."""
    mu, _var, sigma = _moments(x, eps)
    return [gamma[0] * (v - mu) / sigma + beta[0] for v in x]


def batch_norm_running(
    x: Vector, running_mean: Vector, running_var: Vector, *, momentum, bn_running_var: str, bn_momentum: str
) -> Vector:
    """[new running mean, new running var]: r <- k r + (1 - k) s, k = m ("old") or 1 - m ("new"),
    s = mu, and var or var M / (M - 1) ("unbiased")."""
    m = len(x)
    mu, var, _sigma = _moments(x, 0)
    keep = mpf(momentum) if bn_momentum == "old" else 1 - mpf(momentum)
    var_r = var * m / (m - 1) if bn_running_var == "unbiased" else var
    return [keep * running_mean[0] + (1 - keep) * mu, keep * running_var[0] + (1 - keep) * var_r]


def batch_norm_train_backward(dy: Vector, x: Vector, gamma: Vector, *, eps) -> Vector:
    """[dx_1 .. dx_M, dgamma, dbeta]: dx = gamma / (M sigma) (M dy - sum dy - x_hat sum dy x_hat)."""
    m = len(x)
    mu, _var, sigma = _moments(x, eps)
    x_hat = [(v - mu) / sigma for v in x]
    sum_dy = mp.fsum(dy)
    sum_dy_xhat = mp.fsum(d * h for d, h in zip(dy, x_hat, strict=True))
    dx = [gamma[0] / (m * sigma) * (m * d - sum_dy - h * sum_dy_xhat) for d, h in zip(dy, x_hat, strict=True)]
    return [*dx, sum_dy_xhat, sum_dy]


def batch_norm_eval(
    x: Vector, gamma: Vector, beta: Vector, running_mean: Vector, running_var: Vector, *, eps
) -> Vector:
    """y = gamma (x - r_mu) / sqrt(r_var + eps) + beta."""
    sigma = mp.sqrt(running_var[0] + eps)
    return [gamma[0] * (v - running_mean[0]) / sigma + beta[0] for v in x]


def batch_norm_eval_backward(
    dy: Vector, x: Vector, gamma: Vector, running_mean: Vector, running_var: Vector, *, eps
) -> Vector:
    """[dx .., dgamma, dbeta]: dx = dy gamma / sqrt(r_var + eps)."""
    sigma = mp.sqrt(running_var[0] + eps)
    dx = [d * gamma[0] / sigma for d in dy]
    dgamma = mp.fsum(d * (v - running_mean[0]) / sigma for d, v in zip(dy, x, strict=True))
    return [*dx, dgamma, mp.fsum(dy)]


# ---------------------------------------------------------------- optimizers, one parameter element at a time
def adagrad(p0: Vector, grads: Vector, *, lr, eps, initial_accumulator=0.0, weight_decay=0.0, adagrad_eps="outside"):
    """G <- G + g^2;  p <- p - lr g / (sqrt(G) + eps)  (or sqrt(G + eps)).  Returns p_1 .. p_T."""
    p, acc, path = p0[0], mpf(initial_accumulator), []
    for g in grads:
        g = g + mpf(weight_decay) * p
        acc = acc + g * g
        root = mp.sqrt(acc) + eps if adagrad_eps == "outside" else mp.sqrt(acc + eps)
        p = p - lr * g / root
        path.append(p)
    return path


def rmsprop(p0: Vector, grads: Vector, *, lr, rho, eps, weight_decay=0.0, rmsprop_eps="outside"):
    """E <- rho E + (1 - rho) g^2;  p <- p - lr g / (sqrt(E) + eps)  (or sqrt(E + eps))."""
    p, acc, path = p0[0], mpf(0), []
    for g in grads:
        g = g + mpf(weight_decay) * p
        acc = mpf(rho) * acc + (1 - mpf(rho)) * g * g
        root = mp.sqrt(acc) + eps if rmsprop_eps == "outside" else mp.sqrt(acc + eps)
        p = p - lr * g / root
        path.append(p)
    return path


def adam(p0: Vector, grads: Vector, *, lr, beta1, beta2, eps, weight_decay=0.0, adam_eps="corrected"):
    """m, v moving averages; p <- p - lr m_hat / (sqrt(v_hat) + eps), or the uncorrected form."""
    p, m, v, path = p0[0], mpf(0), mpf(0), []
    b1, b2 = mpf(beta1), mpf(beta2)
    for t, g in enumerate(grads, start=1):
        g = g + mpf(weight_decay) * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        c1, c2 = 1 - b1**t, 1 - b2**t
        if adam_eps == "corrected":
            p = p - lr * (m / c1) / (mp.sqrt(v / c2) + eps)
        else:
            p = p - lr * mp.sqrt(c2) / c1 * m / (mp.sqrt(v) + eps)
        path.append(p)
    return path


OPTIMIZERS = {"adagrad": adagrad, "rmsprop": rmsprop, "adam": adam}


# ---------------------------------------------------------------- ELU, elementwise
def elu(x: Vector, *, alpha) -> Vector:
    """x if x > 0 else alpha (e^x - 1).

    mpmath's expm1 is e^x - 1 to full precision; the difference itself would be 0 at any
    precision below 300 digits for x = -1e-300, and ``evaluate`` would accept that 0."""
    return [v if v > 0 else mpf(alpha) * mp.expm1(v) for v in x]


def elu_backward(dy: Vector, x: Vector, *, alpha, grad_at_kink: str = "left") -> Vector:
    """dy if right of the kink else dy alpha e^x."""
    right = (lambda v: v >= 0) if grad_at_kink == "right" else (lambda v: v > 0)
    return [d if right(v) else d * mpf(alpha) * mp.exp(v) for d, v in zip(dy, x, strict=True)]
