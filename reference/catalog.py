"""The catalog: one record per op. Suites, benchmarks, reports and the CLI read it;
nothing else keeps a list of ops.

An op's ``kind`` says how a backend is checked against it:

    elementwise  forward (and backward) outputs compared element by element
    trajectory   optimizer steps run over a gradient sequence, state carried
    statistical  seeded samples compared with the reference's by distribution tests
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from . import (
    activations,
    batchnorm,
    cases,
    connections,
    conv,
    dropout,
    gates,
    init,
    linear,
    losses,
    optim,
    pool,
    preprocess,
    regularization,
    softmax,
    strategies,
)
from .cases import Case


@dataclass(frozen=True)
class Op:
    name: str
    family: str
    forward: Callable
    backward: Callable | None
    cases: Callable[[], list[Case]]
    kind: str = "elementwise"
    conventions: tuple[str, ...] = ()
    strategy: Callable | None = None  # () -> hypothesis strategy of Case
    # "exact": data movement, no arithmetic; "products": sums of products of two inputs, exact in a
    # float32 accumulator even for half types, so only the sum is rounded; "rounding": other arithmetic
    tolerance: str = "rounding"

    @property
    def differentiable(self) -> bool:
        return self.backward is not None


def _op(module, name: str, family: str, cases, **kw) -> Op:
    """Record for ``module.name`` with its ``name_backward`` if the module has one."""
    return Op(name, family, getattr(module, name), getattr(module, f"{name}_backward", None), cases, **kw)


OPS: tuple[Op, ...] = (
    # output and loss
    _op(softmax, "softmax", "softmax", cases.softmax_cases, strategy=strategies.softmax),
    _op(softmax, "log_softmax", "softmax", cases.softmax_cases, strategy=strategies.softmax),
    _op(losses, "cross_entropy", "loss", cases.cross_entropy_cases),
    _op(losses, "mse", "loss", cases.mse_cases),
    # activations
    _op(activations, "sigmoid", "activation", partial(cases.smooth_activation_cases, 30)),
    _op(activations, "tanh", "activation", partial(cases.smooth_activation_cases, 33)),
    _op(activations, "relu", "activation", partial(cases.kinked_activation_cases, 36), conventions=("grad_at_kink",)),
    _op(
        activations,
        "leaky_relu",
        "activation",
        partial(cases.kinked_activation_cases, 39, cases.NOT_FLOAT64, negative_slope=0.25),
        conventions=("leaky_relu_grad_at_kink",),
    ),
    _op(activations, "prelu", "activation", cases.prelu_cases, conventions=("prelu_grad_at_kink",)),
    _op(
        activations,
        "elu",
        "activation",
        partial(cases.kinked_activation_cases, 45, alpha=0.75),
        conventions=("elu_grad_at_kink",),
    ),
    _op(activations, "maxout", "activation", cases.maxout_cases, conventions=("maxout_tie",)),
    _op(activations, "step", "activation", partial(cases.kinked_activation_cases, 48)),
    # gates
    _op(gates, "add_gate", "gate", partial(cases.gate_cases, 190), strategy=strategies.broadcast_pair),
    _op(gates, "mul_gate", "gate", partial(cases.gate_cases, 200), strategy=strategies.broadcast_pair),
    _op(
        gates,
        "max_gate",
        "gate",
        partial(cases.gate_cases, 210, tie=True),
        conventions=("max_gate_tie",),
        strategy=strategies.broadcast_pair,
    ),
    # layers
    _op(
        linear,
        "fully_connected",
        "layer",
        cases.fully_connected_cases,
        strategy=strategies.fully_connected,
        tolerance="products",
    ),
    _op(linear, "flatten", "layer", cases.flatten_cases, tolerance="exact"),
    _op(conv, "conv2d", "conv", cases.conv2d_cases, strategy=strategies.conv2d, tolerance="products"),
    _op(
        pool,
        "max_pool2d",
        "pool",
        partial(cases.pool_cases, 220),
        conventions=("maxpool_tie",),
        strategy=strategies.pool,
    ),
    _op(
        pool,
        "avg_pool2d",
        "pool",
        partial(cases.pool_cases, 230),
        conventions=("avgpool_count_pad",),
        strategy=strategies.pool,
    ),
    _op(connections, "residual_add", "connection", cases.residual_add_cases),
    _op(connections, "channel_concat", "connection", cases.channel_concat_cases, tolerance="exact"),
    # normalisation and dropout
    _op(
        batchnorm,
        "batch_norm_train",
        "batchnorm",
        cases.batch_norm_train_cases,
        conventions=("bn_running_var", "bn_momentum"),
        strategy=strategies.batch_norm_train,
    ),
    _op(batchnorm, "batch_norm_eval", "batchnorm", cases.batch_norm_eval_cases),
    _op(dropout, "dropout", "dropout", cases.dropout_cases),
    _op(dropout, "dropout_mask", "dropout", cases.dropout_mask_cases, kind="statistical"),
    # initialisation
    _op(init, "small_random", "init", partial(cases.init_cases, {"scale": 0.05}), kind="statistical"),
    _op(init, "large_random", "init", partial(cases.init_cases, {"scale": 0.5}), kind="statistical"),
    _op(
        init,
        "xavier_normal",
        "init",
        partial(cases.init_cases, {"gain": 2.0}),
        kind="statistical",
        conventions=("init_normal",),
    ),
    _op(init, "xavier_uniform", "init", partial(cases.init_cases, {"gain": 2.0}), kind="statistical"),
    _op(init, "he_normal", "init", cases.init_cases, kind="statistical", conventions=("init_normal",)),
    _op(init, "he_uniform", "init", cases.init_cases, kind="statistical"),
    # regularization
    _op(
        regularization,
        "l1_penalty",
        "regularization",
        partial(cases.penalty_cases, l1=0.375),
        conventions=("l1_grad_at_zero",),
    ),
    _op(
        regularization,
        "l2_penalty",
        "regularization",
        partial(cases.penalty_cases, l2=0.375),
        conventions=("l2_scale",),
    ),
    _op(
        regularization,
        "elastic_net_penalty",
        "regularization",
        partial(cases.penalty_cases, l1=0.25, l2=0.5),
        conventions=("l2_scale", "l1_grad_at_zero"),
    ),
    # optimizers and schedules
    _op(optim, "sgd", "optimizer", partial(cases.optimizer_cases, lr=0.125), kind="trajectory"),
    _op(
        optim, "sgd_momentum", "optimizer", partial(cases.optimizer_cases, lr=0.0625, momentum=0.875), kind="trajectory"
    ),
    _op(
        optim, "sgd_nesterov", "optimizer", partial(cases.optimizer_cases, lr=0.0625, momentum=0.875), kind="trajectory"
    ),
    _op(
        optim,
        "adagrad",
        "optimizer",
        partial(cases.optimizer_cases, lr=0.125, eps=2**-33),
        kind="trajectory",
        conventions=("adagrad_eps",),
    ),
    _op(
        optim,
        "rmsprop",
        "optimizer",
        partial(cases.optimizer_cases, lr=2**-6, rho=0.875, eps=2**-27),
        kind="trajectory",
        conventions=("rmsprop_eps",),
    ),
    _op(
        optim,
        "adam",
        "optimizer",
        partial(cases.optimizer_cases, lr=2**-6, beta1=0.875, beta2=1 - 2**-9, eps=2**-27),
        kind="trajectory",
        conventions=("adam_eps",),
    ),
    _op(optim, "step_decay", "schedule", partial(cases.schedule_cases, lr=0.125, drop=0.5, every=10)),
    _op(optim, "exponential_decay", "schedule", partial(cases.schedule_cases, lr=0.125, gamma=0.96875)),
    _op(optim, "inverse_time_decay", "schedule", partial(cases.schedule_cases, lr=0.125, k=0.0625)),
    _op(
        optim,
        "cosine_decay",
        "schedule",
        partial(cases.schedule_cases, {"lr_min": 2**-10}, last=80, lr=0.125, period=80),
    ),
    # preprocessing
    _op(preprocess, "subtract_mean_image", "preprocess", cases.preprocess_cases),
    _op(preprocess, "subtract_channel_mean", "preprocess", cases.preprocess_cases),
    _op(preprocess, "standardize_channels", "preprocess", cases.preprocess_cases),
)

CATALOG: dict[str, Op] = {op.name: op for op in OPS}


def get(name: str) -> Op:
    try:
        return CATALOG[name]
    except KeyError:
        raise KeyError(f"op: unknown op {name!r}; known ops: {', '.join(sorted(CATALOG))}") from None
