"""Planted bugs: copies of the correct NumPy backend with one subtle slip each.

Every mutant must be caught by the conformance check (at least one failing case)
while the unmodified backend passes everything; ``test_mutants.py`` asserts both.
They cover numerical-stability slips, convention slips, off-by-one shapes and
windows, missing scale factors and wrong optimizer details.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from cnnbench.backends.numpy_backend import NumpyBackend
from cnnbench.reference import activations, batchnorm, conv, init, linear, optim, pool, regularization, softmax


@dataclass(frozen=True)
class Mutant:
    name: str
    op: str
    method: str  # the backend method replaced
    replacement: Callable

    def backend(self) -> NumpyBackend:
        b = NumpyBackend()
        setattr(b, self.method, self.replacement)
        return b


def _naive_softmax(x, *, axis=-1):
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(x)
        return e / e.sum(axis=axis, keepdims=True)


def _log_of_softmax(x, *, axis=-1):
    with np.errstate(divide="ignore"):
        return np.log(softmax.softmax(x, axis=axis))


def _convolution_with_flipped_kernel(x, w, b, **kw):
    return conv.conv2d(x, w[:, :, ::-1, ::-1], b, **kw)


def _conv_backward_ignoring_dilation(dy, x, w, b, **kw):
    if kw.get("dilation", 1) in (1, (1, 1)):
        return conv.conv2d_backward(dy, x, w, b, **kw)
    dx, dw, db = conv.conv2d_backward(dy, x, w, b, **kw)
    return dx, dw * 0.999, db


def _pool_ties_to_last(dy, x, **kw):
    flipped = pool.max_pool2d_backward(dy[..., ::-1, ::-1], x[..., ::-1, ::-1], **kw)[0]
    return (flipped[..., ::-1, ::-1],)


def _bn_unbiased_running_var(x, gamma, beta, **kw):
    return batchnorm.batch_norm_train(x, gamma, beta, **{**kw, "bn_running_var": "unbiased"})


def _bn_eps_outside_sqrt(x, gamma, beta, *, running_mean, running_var, eps=1e-5, **kw):
    axes = tuple(i for i in range(x.ndim) if i != 1)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    _y, m, v = batchnorm.batch_norm_train(
        x, gamma, beta, running_mean=running_mean, running_var=running_var, eps=eps, **kw
    )
    mu, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    return gamma.reshape(shape) * (x - mu) / (np.sqrt(var) + eps) + beta.reshape(shape), m, v


def _bn_backward_without_projection(dy, x, gamma, beta, *, eps=1e-5, **kw):
    axes = tuple(i for i in range(x.ndim) if i != 1)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    var = x.var(axis=axes, keepdims=True)
    g = dy * gamma.reshape(shape)
    dx = (g - g.mean(axis=axes, keepdims=True)) / np.sqrt(var + eps)  # drops the x_hat * mean(g x_hat) term
    _, dgamma, dbeta = batchnorm.batch_norm_train_backward(dy, x, gamma, beta, eps=eps, **kw)
    return dx, dgamma, dbeta


def _bn_eval_with_batch_stats(x, gamma, beta, *, running_mean, running_var, eps=1e-5):
    return batchnorm.batch_norm_train(x, gamma, beta, running_mean=running_mean, running_var=running_var, eps=eps)[0]


def _adam_without_bias_correction(param, grad, *, state=None, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
    g = grad + weight_decay * param
    m = (0 if state is None else state["m"]) * beta1 + (1 - beta1) * g
    v = (0 if state is None else state["v"]) * beta2 + (1 - beta2) * g * g
    return param - lr * m / (np.sqrt(v) + eps), {"m": m, "v": v}


def _nesterov_as_momentum(param, grad, **kw):
    return optim.sgd_momentum(param, grad, **kw)


def _rmsprop_eps_inside(param, grad, **kw):
    return optim.rmsprop(param, grad, **kw, rmsprop_eps="inside")


def _weight_decay_ignored(param, grad, *, weight_decay=0.0, **kw):
    return optim.sgd_momentum(param, grad, **kw)


def _dropout_without_rescale(x, *, mask, p):
    return x * mask


def _dropout_mask_keeps_p(*, shape, p, seed):
    return (np.random.default_rng(seed).random(shape) < p).astype(np.float64)


def _he_normal_fan_out(*, shape, seed, **kw):
    return init.he_normal(shape=(shape[1], shape[0], *shape[2:]), seed=seed, **kw)


def _xavier_uniform_as_normal(*, shape, seed, gain=1.0):
    return init.xavier_normal(shape=shape, seed=seed, gain=gain)


def _relu_grad_one_at_zero(dy, x):
    return activations.relu_backward(dy, x, grad_at_kink="right")


def _tanh_backward_unsquared(dy, x):
    return (dy * (1 - np.tanh(x)),)


def _sigmoid_overflowing(x):
    with np.errstate(over="ignore", invalid="ignore"):
        return np.exp(x) / (1 + np.exp(x))


def _elu_backward_ignores_alpha(dy, x, *, alpha=1.0):
    return activations.elu_backward(dy, x, alpha=1.0)


def _prelu_slope_grad_first_sample(dy, x, alpha):
    dx, _dalpha = activations.prelu_backward(dy, x, alpha)
    _, first = activations.prelu_backward(dy[:1], x[:1], alpha)
    return dx, first


def _fc_bias_grad_mean(dy, x, w, b):
    dx, dw, _ = linear.fully_connected_backward(dy, x, w, b)
    return dx, dw, dy.mean(axis=0)


def _flatten_fortran_order(x):
    return x.reshape(x.shape[0], -1, order="F")


def _concat_backward_reversed(dy, *xs):
    """Splits dy as if the inputs had been concatenated last-first."""
    pieces = np.split(dy, np.cumsum([x.shape[1] for x in xs[::-1]])[:-1], axis=1)
    return tuple(pieces[::-1])


def _mse_backward_without_two(dy, pred, *, target, reduction="mean"):
    scale = 1.0 / pred.size if reduction == "mean" else 1.0
    return (dy * scale * (pred - target),)


def _ce_backward_without_mean(dy, logits, *, target, reduction="mean"):
    from cnnbench.reference.losses import cross_entropy_backward

    return cross_entropy_backward(dy, logits, target=target, reduction="sum")


def _avg_pool_excluding_pad(x, **kw):
    return pool.avg_pool2d(x, **kw, avgpool_count_pad="exclude")


def _l2_full_scale(w, *, l2):
    return regularization.l2_penalty(w, l2=l2, l2_scale="full")


def _step_decay_off_by_one(*, steps, lr, drop, every):
    return optim.step_decay(steps=np.asarray(steps) + 1, lr=lr, drop=drop, every=every)


def _softmax_in_half_precision(x, *, axis=-1):
    return softmax.softmax(np.asarray(x).astype(np.float16).astype(np.float32), axis=axis).astype(np.asarray(x).dtype)


def _max_gate_ties_split(dz, a, b):
    from cnnbench.reference.gates import max_gate_backward

    return max_gate_backward(dz, a, b, max_gate_tie="split")


MUTANTS: tuple[Mutant, ...] = (
    Mutant("softmax without max shift", "softmax", "softmax", _naive_softmax),
    Mutant("log-softmax as log(softmax)", "log_softmax", "log_softmax", _log_of_softmax),
    Mutant("softmax through float16", "softmax", "softmax", _softmax_in_half_precision),
    Mutant("sigmoid as e^x / (1 + e^x)", "sigmoid", "sigmoid", _sigmoid_overflowing),
    Mutant("cross-entropy gradient without 1/N", "cross_entropy", "cross_entropy_backward", _ce_backward_without_mean),
    Mutant("MSE gradient without the 2", "mse", "mse_backward", _mse_backward_without_two),
    Mutant("tanh' = 1 - y", "tanh", "tanh_backward", _tanh_backward_unsquared),
    Mutant("ReLU'(0) = 1 against a left declaration", "relu", "relu_backward", _relu_grad_one_at_zero),
    Mutant("ELU gradient ignores alpha", "elu", "elu_backward", _elu_backward_ignores_alpha),
    Mutant("PReLU slope gradient from one sample", "prelu", "prelu_backward", _prelu_slope_grad_first_sample),
    Mutant("max gate splits ties against a first declaration", "max_gate", "max_gate_backward", _max_gate_ties_split),
    Mutant("fully connected bias gradient averaged", "fully_connected", "fully_connected_backward", _fc_bias_grad_mean),
    Mutant("flatten in Fortran order", "flatten", "flatten", _flatten_fortran_order),
    Mutant("convolution instead of cross-correlation", "conv2d", "conv2d", _convolution_with_flipped_kernel),
    Mutant("conv weight gradient off when dilated", "conv2d", "conv2d_backward", _conv_backward_ignoring_dilation),
    Mutant("max-pool ties routed to the last", "max_pool2d", "max_pool2d_backward", _pool_ties_to_last),
    Mutant("average pool excludes padding", "avg_pool2d", "avg_pool2d", _avg_pool_excluding_pad),
    Mutant(
        "channel concat gradient split reversed", "channel_concat", "channel_concat_backward", _concat_backward_reversed
    ),
    Mutant("BatchNorm running variance unbiased", "batch_norm_train", "batch_norm_train", _bn_unbiased_running_var),
    Mutant("BatchNorm eps outside the sqrt", "batch_norm_train", "batch_norm_train", _bn_eps_outside_sqrt),
    Mutant(
        "BatchNorm dx missing the projection term",
        "batch_norm_train",
        "batch_norm_train_backward",
        _bn_backward_without_projection,
    ),
    Mutant("BatchNorm eval with batch statistics", "batch_norm_eval", "batch_norm_eval", _bn_eval_with_batch_stats),
    Mutant("dropout without 1/(1-p)", "dropout", "dropout", _dropout_without_rescale),
    Mutant("dropout mask keeps with probability p", "dropout_mask", "dropout_mask", _dropout_mask_keeps_p),
    Mutant("He normal with fan_out", "he_normal", "he_normal", _he_normal_fan_out),
    Mutant("Xavier uniform drawn from a normal", "xavier_uniform", "xavier_uniform", _xavier_uniform_as_normal),
    Mutant("L2 penalty without the 1/2", "l2_penalty", "l2_penalty", _l2_full_scale),
    Mutant("Adam without bias correction", "adam", "adam", _adam_without_bias_correction),
    Mutant("Nesterov as plain momentum", "sgd_nesterov", "sgd_nesterov", _nesterov_as_momentum),
    Mutant("RMSProp eps inside the sqrt", "rmsprop", "rmsprop", _rmsprop_eps_inside),
    Mutant("weight decay ignored", "sgd_momentum", "sgd_momentum", _weight_decay_ignored),
    Mutant("step decay off by one step", "step_decay", "step_decay", _step_decay_off_by_one),
)
