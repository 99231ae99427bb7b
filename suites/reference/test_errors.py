"""Bad input gets a clear error naming the argument and what was expected."""

from __future__ import annotations

import numpy as np
import pytest

from cnnbench.reference import (
    activations,
    batchnorm,
    connections,
    conv,
    dropout,
    gates,
    init,
    linear,
    losses,
    optim,
    pool,
    regularization,
    softmax,
)
from cnnbench.reference.conventions import validate

x4 = np.zeros((2, 3, 5, 5))
w4 = np.zeros((4, 3, 3, 3))
b4 = np.zeros(4)

BAD = [
    ("conv: 3-D input", lambda: conv.conv2d(np.zeros((3, 5, 5)), w4, b4), ValueError, r"x: expected a 4-D array"),
    ("conv: integer input", lambda: conv.conv2d(x4.astype(int), w4, b4), TypeError, r"x: expected a real floating"),
    ("conv: complex input", lambda: conv.conv2d(x4.astype(complex), w4, b4), TypeError, r"x: .*complex"),
    (
        "conv: negative stride",
        lambda: conv.conv2d(x4, w4, b4, stride=-1),
        ValueError,
        r"stride: expected integers >= 1",
    ),
    (
        "conv: zero stride",
        lambda: conv.conv2d(x4, w4, b4, stride=(1, 0)),
        ValueError,
        r"stride: expected integers >= 1",
    ),
    (
        "conv: negative padding",
        lambda: conv.conv2d(x4, w4, b4, padding=-1),
        ValueError,
        r"padding: expected integers >= 0",
    ),
    (
        "conv: kernel too large",
        lambda: conv.conv2d(x4, np.zeros((4, 3, 8, 8)), b4),
        ValueError,
        r"w: kernel extent 8 along H .*larger than the padded input",
    ),
    (
        "conv: channel mismatch",
        lambda: conv.conv2d(x4, np.zeros((4, 2, 3, 3)), b4),
        ValueError,
        r"w: expected shape \(4, 3",
    ),
    ("conv: bad groups", lambda: conv.conv2d(x4, w4, b4, groups=2), ValueError, r"groups: expected a divisor"),
    ("conv: bias shape", lambda: conv.conv2d(x4, w4, np.zeros(3)), ValueError, r"b: expected shape \(4,\)"),
    ("pool: kernel too large", lambda: pool.max_pool2d(x4, kernel_size=6), ValueError, r"kernel_size: .*larger"),
    (
        "pool: padding over half",
        lambda: pool.max_pool2d(x4, kernel_size=2, padding=2),
        ValueError,
        r"padding: expected at most half",
    ),
    (
        "pool: stride 0",
        lambda: pool.avg_pool2d(x4, kernel_size=2, stride=0),
        ValueError,
        r"stride: expected integers >= 1",
    ),
    (
        "dropout: p = 1",
        lambda: dropout.dropout(np.ones(3), mask=np.ones(3), p=1.0),
        ValueError,
        r"p: expected a probability in \[0, 1\)",
    ),
    (
        "dropout: p < 0",
        lambda: dropout.dropout_mask(shape=(3,), p=-0.1, seed=0),
        ValueError,
        r"p: expected a probability",
    ),
    (
        "dropout: mask shape",
        lambda: dropout.dropout(np.ones(3), mask=np.ones(4), p=0.5),
        ValueError,
        r"mask: expected shape \(3,\)",
    ),
    (
        "dropout: mask values",
        lambda: dropout.dropout(np.ones(2), mask=np.array([0.5, 1]), p=0.5),
        ValueError,
        r"mask: expected only 0",
    ),
    (
        "ce: label count",
        lambda: losses.cross_entropy(np.zeros((4, 3)), target=np.array([0, 1, 2])),
        ValueError,
        r"target: expected 4 labels",
    ),
    (
        "ce: label range",
        lambda: losses.cross_entropy(np.zeros((2, 3)), target=np.array([0, 3])),
        ValueError,
        r"target: expected labels in \[0, 3\)",
    ),
    (
        "ce: reduction",
        lambda: losses.cross_entropy(np.zeros((2, 3)), target=np.array([0, 1]), reduction="avg"),
        ValueError,
        r"reduction: expected one of 'mean', 'sum'",
    ),
    ("concat: no arrays", lambda: connections.channel_concat(), ValueError, r"xs: expected at least one array"),
    ("mse: shapes", lambda: losses.mse(np.zeros(3), target=np.zeros(4)), ValueError, r"target: expected shape \(3,\)"),
    ("softmax: axis", lambda: softmax.softmax(np.zeros((2, 3)), axis=2), ValueError, r"axis: expected an axis"),
    (
        "fc: width",
        lambda: linear.fully_connected(np.zeros((2, 3)), np.zeros((4, 5)), np.zeros(4)),
        ValueError,
        r"w: expected shape \(M, 3\)",
    ),
    (
        "gate: broadcast",
        lambda: gates.add_gate(np.zeros((2, 3)), np.zeros((4,))),
        ValueError,
        r"b: shape \(4,\) does not broadcast",
    ),
    (
        "prelu: slopes",
        lambda: activations.prelu(np.zeros((2, 3)), np.zeros(2)),
        ValueError,
        r"alpha: expected shape \(1,\) or \(3,\)",
    ),
    (
        "bn: gamma shape",
        lambda: batchnorm.batch_norm_eval(
            np.zeros((2, 3)), np.ones(2), np.zeros(3), running_mean=np.zeros(3), running_var=np.ones(3)
        ),
        ValueError,
        r"gamma: expected shape \(3,\)",
    ),
    (
        "bn: eps",
        lambda: batchnorm.batch_norm_eval(
            np.zeros((2, 3)), np.ones(3), np.zeros(3), running_mean=np.zeros(3), running_var=np.ones(3), eps=0
        ),
        ValueError,
        r"eps: expected a positive",
    ),
    (
        "relu: unknown convention",
        lambda: activations.relu_backward(np.ones(2), np.ones(2), grad_at_kink="middle"),
        ValueError,
        r"grad_at_kink: expected one of 'left', 'right'",
    ),
    (
        "leaky relu: unknown convention",
        lambda: activations.leaky_relu_backward(np.ones(2), np.ones(2), leaky_relu_grad_at_kink="up"),
        ValueError,
        r"leaky_relu_grad_at_kink: expected one of 'left', 'right'",
    ),
    (
        "elu: unknown convention",
        lambda: activations.elu_backward(np.ones(2), np.ones(2), elu_grad_at_kink="up"),
        ValueError,
        r"elu_grad_at_kink: expected one of 'left', 'right'",
    ),
    (
        "prelu: unknown convention",
        lambda: activations.prelu_backward(np.ones((2, 1)), np.ones((2, 1)), np.ones(1), prelu_grad_at_kink="up"),
        ValueError,
        r"prelu_grad_at_kink: expected one of 'left', 'right'",
    ),
    (
        "l1: unknown sign at zero",
        lambda: regularization.l1_penalty_backward(np.ones(()), np.zeros(2), l1=0.5, l1_grad_at_zero="half"),
        ValueError,
        r"l1_grad_at_zero: expected one of 'zero', 'one', 'minus_one'",
    ),
    (
        "init: unknown normal",
        lambda: init.he_normal(shape=(3, 4), seed=0, init_normal="clipped"),
        ValueError,
        r"init_normal: expected one of 'normal', 'truncated', 'truncated_unscaled'",
    ),
    (
        "pool: unknown tie rule",
        lambda: pool.max_pool2d_backward(np.ones((2, 3, 2, 2)), x4, kernel_size=2, maxpool_tie="last"),
        ValueError,
        r"maxpool_tie: expected one of",
    ),
    (
        "adam: beta",
        lambda: optim.adam(np.ones(2), np.ones(2), lr=0.1, beta1=1.0),
        ValueError,
        r"beta1: expected a decay rate",
    ),
    ("sgd: lr", lambda: optim.sgd(np.ones(2), np.ones(2), lr=-1), ValueError, r"lr: expected a positive"),
    ("sgd: grad shape", lambda: optim.sgd(np.ones(2), np.ones(3), lr=0.1), ValueError, r"grad: expected shape \(2,\)"),
    ("init: 1-D shape", lambda: init.he_normal(shape=(5,), seed=0), ValueError, r"shape: expected a weight shape"),
    (
        "backend conventions",
        lambda: validate({"adam_eps": "inside"}, "mybackend"),
        ValueError,
        r"mybackend: convention 'adam_eps' must be one of",
    ),
    (
        "backend conventions name",
        lambda: validate({"relu_at_zero": "left"}, "mybackend"),
        ValueError,
        r"mybackend: unknown convention",
    ),
]


@pytest.mark.parametrize("call,error,message", [pytest.param(c, e, m, id=i) for i, c, e, m in BAD])
def test_bad_input_is_named(call, error, message):
    with pytest.raises(error, match=message):
        call()
