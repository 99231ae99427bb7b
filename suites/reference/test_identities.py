"""The notes' identities, checked on the reference.

Statistical checks state their false-alarm rate: each uses a z or KS bound at
alpha = 1e-6 with fixed seeds, so they never flicker.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from cnnbench.reference import activations, batchnorm, dropout, gates, init, losses, optim, softmax
from cnnbench.reference.cases import normal
from cnnbench.stats import Z_CRITICAL


def finite_difference_jacobian(f, x, h=1e-6):
    cols = []
    for i in range(x.size):
        e = np.zeros_like(x)
        e.flat[i] = h
        cols.append((f(x + e) - f(x - e)) / (2 * h))
    return np.stack(cols, axis=-1)


def test_softmax_jacobian_is_diag_minus_outer_product():
    x = normal(1, 6)
    y = softmax.softmax(x)
    jac = softmax.softmax_jacobian(x)
    np.testing.assert_allclose(np.diag(jac), y * (1 - y), rtol=1e-14)
    np.testing.assert_allclose(jac, finite_difference_jacobian(softmax.softmax, x), atol=1e-9)


def test_softmax_backward_is_jacobian_transpose_product():
    x, dy = normal(2, 4, 5), normal(3, 4, 5)
    (dx,) = softmax.softmax_backward(dy, x)
    np.testing.assert_allclose(dx, np.einsum("nij,ni->nj", softmax.softmax_jacobian(x), dy), rtol=1e-12, atol=1e-15)


def test_cross_entropy_gradient_is_yhat_minus_y():
    """Chain rule through softmax (dL/dy = -t / y / N) gives (y_hat - y) / N."""
    z = normal(4, 6, 5)
    labels = np.array([0, 4, 2, 2, 1, 3])
    onehot = np.eye(5)[labels]
    y_hat = softmax.softmax(z, axis=1)
    (via_chain,) = softmax.softmax_backward(-onehot / y_hat / 6, z, axis=1)
    (direct,) = losses.cross_entropy_backward(np.array(1.0), z, target=labels)
    np.testing.assert_allclose(via_chain, (y_hat - onehot) / 6, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(direct, (y_hat - onehot) / 6, rtol=1e-12, atol=1e-15)


def test_add_gate_distributes():
    a, b, dz = normal(5, 3, 4), normal(6, 3, 4), normal(7, 3, 4)
    da, db = gates.add_gate_backward(dz, a, b)
    assert np.array_equal(da, dz) and np.array_equal(db, dz)


def test_max_gate_routes_to_the_larger_input():
    a, b, dz = normal(8, 3, 4), normal(9, 3, 4), normal(10, 3, 4)
    da, db = gates.max_gate_backward(dz, a, b)
    np.testing.assert_array_equal(da, np.where(a > b, dz, 0))
    np.testing.assert_array_equal(db, np.where(b > a, dz, 0))


def test_mul_gate_switches_the_inputs():
    a, b, dz = normal(11, 3, 4), normal(12, 3, 4), normal(13, 3, 4)
    da, db = gates.mul_gate_backward(dz, a, b)
    np.testing.assert_array_equal(da, dz * b)
    np.testing.assert_array_equal(db, dz * a)


def test_broadcast_gradient_sums_back_to_the_input_shape():
    a, b = normal(14, 2, 3, 4), normal(15, 3, 1)
    da, db = gates.add_gate_backward(np.ones((2, 3, 4)), a, b)
    assert da.shape == a.shape and db.shape == b.shape
    np.testing.assert_array_equal(db, np.full((3, 1), 8.0))


def test_inverted_dropout_keeps_the_expectation():
    """Mean over 4000 masks of dropout(x) equals x: z-test at alpha 1e-6 per element."""
    p, draws = 0.3, 4000
    x = normal(16, 8)
    outs = np.stack(
        [dropout.dropout(x, mask=dropout.dropout_mask(shape=x.shape, p=p, seed=s), p=p) for s in range(draws)]
    )
    std_of_mean = np.abs(x) * math.sqrt(p / (1 - p)) / math.sqrt(draws)
    assert np.all(np.abs(outs.mean(axis=0) - x) <= Z_CRITICAL * std_of_mean)


@pytest.mark.parametrize("shape", [(64, 5), (8, 3, 6, 6)])
def test_batch_norm_train_output_is_standardized(shape):
    x = normal(17, *shape, scale=3.0) + 2.0
    c = shape[1]
    y, _, _ = batchnorm.batch_norm_train(
        x, np.ones(c), np.zeros(c), running_mean=np.zeros(c), running_var=np.ones(c), eps=1e-12
    )
    axes = tuple(i for i in range(len(shape)) if i != 1)
    np.testing.assert_allclose(y.mean(axis=axes), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=axes), 1, rtol=1e-9)


def test_batch_norm_eval_with_batch_statistics_equals_train():
    x = normal(18, 16, 4)
    gamma, beta = normal(19, 4), normal(20, 4)
    y_train, _, _ = batchnorm.batch_norm_train(x, gamma, beta, running_mean=np.zeros(4), running_var=np.ones(4))
    y_eval = batchnorm.batch_norm_eval(x, gamma, beta, running_mean=x.mean(0), running_var=x.var(0))
    np.testing.assert_allclose(y_eval, y_train, rtol=1e-12)


def test_batch_norm_momentum_conventions_agree_under_complementary_momentum():
    x = normal(21, 10, 3)
    stats = {"running_mean": normal(22, 3), "running_var": np.ones(3)}
    _, m_old, v_old = batchnorm.batch_norm_train(x, np.ones(3), np.zeros(3), **stats, momentum=0.9, bn_momentum="old")
    _, m_new, v_new = batchnorm.batch_norm_train(x, np.ones(3), np.zeros(3), **stats, momentum=0.1, bn_momentum="new")
    np.testing.assert_allclose(m_old, m_new, rtol=1e-14)
    np.testing.assert_allclose(v_old, v_new, rtol=1e-14)


INITS = [
    ("xavier_normal", lambda fi, fo: 2 / (fi + fo)),
    ("xavier_uniform", lambda fi, fo: 2 / (fi + fo)),
    ("he_normal", lambda fi, fo: 2 / fi),
    ("he_uniform", lambda fi, fo: 2 / fi),
    ("small_random", lambda fi, fo: 1e-4),
]


# variance of the draws relative to the formula's s^2, and their bound in units of s
NORMAL_KINDS = {
    "normal": (1.0, math.inf),
    "truncated": (1.0, 2 / init.TRUNCATED_STD),
    "truncated_unscaled": (0.77374, 2),
}


@pytest.mark.parametrize("init_normal", init.NORMALS)
@pytest.mark.parametrize("name,variance", INITS, ids=[n for n, _ in INITS])
@pytest.mark.parametrize("shape", [(300, 400), (64, 32, 3, 3)])
def test_initializer_variance(name, variance, shape, init_normal):
    """Sample variance against the formula: z-test at alpha 1e-6 using the sample fourth moment.
    Truncated at 2 s without rescaling, the variance is 0.77374 s^2."""
    normal = name in ("xavier_normal", "he_normal")
    kwargs = {"init_normal": init_normal} if normal else {}
    w = getattr(init, name)(shape=shape, seed=11, **kwargs).ravel()
    std = math.sqrt(variance(*init.fans(shape)))
    factor, limit = NORMAL_KINDS[init_normal] if normal else (1.0, math.inf)
    spread = math.sqrt((np.mean(w**4) - np.mean(w**2) ** 2) / w.size)
    assert abs(np.mean(w**2) - factor * std**2) <= Z_CRITICAL * spread
    if name.endswith("uniform"):
        assert np.abs(w).max() <= math.sqrt(3) * std
    assert np.abs(w).max() <= limit * std


def test_truncated_normal_variance_constant():
    """Var of N(0, 1) truncated to [-2, 2] = 1 - 4 phi(2) / (Phi(2) - Phi(-2)) = TRUNCATED_STD^2."""
    phi2 = math.exp(-2) / math.sqrt(2 * math.pi)
    mass = math.erf(2 / math.sqrt(2))
    assert init.TRUNCATED_STD**2 == pytest.approx(1 - 4 * phi2 / mass, rel=1e-15)
    assert init.TRUNCATED_STD**2 == pytest.approx(NORMAL_KINDS["truncated_unscaled"][0], rel=1e-5)


def test_initializer_variance_test_rejects_a_wrong_fan():
    """Negative control: He with fan_out instead of fan_in (a factor 2 here) fails the same test."""
    shape = (64, 32, 3, 3)
    w = init.he_normal(shape=(32, 64, 3, 3), seed=11).ravel()  # fans swapped
    target = 2 / init.fans(shape)[0]
    spread = math.sqrt((np.mean(w**4) - np.mean(w**2) ** 2) / w.size)
    assert abs(np.mean(w**2) - target) > Z_CRITICAL * spread


def test_adam_bias_correction_in_the_first_steps():
    """Step 1: m_hat = g and v_hat = g^2, so the update is lr * g / (|g| + eps), whatever the betas."""
    p, g = normal(23, 5), normal(24, 5)
    new, state = optim.adam(p, g, lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8)
    np.testing.assert_allclose(p - new, 0.01 * g / (np.abs(g) + 1e-8), rtol=1e-12)
    np.testing.assert_allclose(state["m"], 0.1 * g, rtol=1e-14)
    # step 2 with the same gradient: still exactly lr * sign(g) (up to eps)
    newer, _ = optim.adam(new, g, state=state, lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8)
    np.testing.assert_allclose(new - newer, 0.01 * g / (np.abs(g) + 1e-8), rtol=1e-9)


def test_momentum_matches_the_velocity_form_of_the_notes():
    """v <- rho v - lr g; p <- p + v is the same trajectory as v <- rho v + g; p <- p - lr v."""
    p, grads, lr, rho = normal(25, 4), normal(26, 6, 4), 0.05, 0.9
    ref, state = p.copy(), None
    q, v = p.copy(), np.zeros(4)
    for g in grads:
        ref, state = optim.sgd_momentum(ref, g, state=state, lr=lr, momentum=rho)
        v = rho * v - lr * g
        q = q + v
    np.testing.assert_allclose(ref, q, rtol=1e-13)


def test_nesterov_matches_the_look_ahead_form_of_the_notes():
    """x += -mu v_prev + (1 + mu) v with v = mu v - lr g: the CS231n form."""
    p, grads, lr, mu = normal(27, 4), normal(28, 6, 4), 0.05, 0.9
    ref, state = p.copy(), None
    q, v = p.copy(), np.zeros(4)
    for g in grads:
        ref, state = optim.sgd_nesterov(ref, g, state=state, lr=lr, momentum=mu)
        v_prev, v = v, mu * v - lr * g
        q = q - mu * v_prev + (1 + mu) * v
    np.testing.assert_allclose(ref, q, rtol=1e-12)


def test_learning_rate_schedules_at_landmarks():
    steps = np.array([0, 9, 10, 25, 80, 200])
    np.testing.assert_allclose(
        optim.step_decay(steps=steps, lr=1.0, drop=0.5, every=10), [1, 1, 0.5, 0.25, 2**-8, 2**-20]
    )
    np.testing.assert_allclose(optim.exponential_decay(steps=steps[:2], lr=2.0, gamma=0.5), [2.0, 2.0 * 0.5**9])
    np.testing.assert_allclose(optim.inverse_time_decay(steps=steps[:3], lr=1.0, k=0.1), [1, 1 / 1.9, 0.5])
    np.testing.assert_allclose(
        optim.cosine_decay(steps=np.array([0, 40, 80, 200]), lr=1.0, period=80, lr_min=0.1), [1.0, 0.55, 0.1, 0.1]
    )


def test_step_is_the_perceptron_threshold():
    np.testing.assert_array_equal(activations.step(np.array([-1.0, 0.0, 2.0])), [0.0, 0.0, 1.0])
