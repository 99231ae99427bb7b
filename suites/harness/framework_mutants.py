"""Planted bugs in copies of the PyTorch, TensorFlow and Triton backends.

Each is a slip a maintainer could make in an adapter: a wrong keyword, a
forgotten argument, a flipped convention, a numerically naive formula, a sum
accumulated in half precision. The suite must catch every one, in every dtype
the parent backend runs (``test_framework_mutants.py``); ``dtypes`` narrows that
only where the slip changes nothing (float32 arithmetic inside a float32 op).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

HALF = ("float16", "bfloat16")


def in_dtype_sum(terms: Any, dim: int) -> Any:
    """Sum of a torch tensor along ``dim``, term after term, each partial sum rounded to its dtype:
    the accumulation a naive half-precision kernel does."""
    total = terms.select(dim, 0)
    for k in range(1, terms.shape[dim]):
        total = total + terms.select(dim, k)
    return total


@dataclass(frozen=True)
class FrameworkMutant:
    backend: str  # built-in backend it is planted in
    name: str
    op: str
    body: str  # source of the replacement method, in the backend module's namespace
    dtypes: tuple[str, ...] | None = None  # where the slip changes the result (None: every dtype)

    def build(self, base: type) -> Any:
        """An instance of a subclass of ``base`` with the planted method."""
        namespace: dict[str, Any] = {}
        module = __import__(base.__module__, fromlist=["*"])
        exec(self.body, vars(module) | {"in_dtype_sum": in_dtype_sum}, namespace)
        return type(f"Planted_{self.op}", (base,), namespace)()


TORCH = [
    (
        "softmax without max shift",
        "softmax",
        "def softmax(self, x, *, axis=-1):\n    e = torch.exp(x)\n    return e / e.sum(dim=axis, keepdim=True)",
    ),
    (
        "log of softmax",
        "log_softmax",
        "def log_softmax(self, x, *, axis=-1):\n    return torch.log(torch.softmax(x, dim=axis))",
    ),
    (
        "label smoothing",
        "cross_entropy",
        "def cross_entropy(self, logits, *, target, reduction='mean'):\n    return F.cross_entropy(logits, target, reduction=reduction, label_smoothing=0.05)",
    ),
    (
        "mse halved",
        "mse",
        "def mse(self, pred, *, target, reduction='mean'):\n    return 0.5 * F.mse_loss(pred, target, reduction=reduction)",
    ),
    (
        "leaky slope ignored",
        "leaky_relu",
        "def leaky_relu(self, x, *, negative_slope=0.01):\n    return F.leaky_relu(x)",
    ),
    ("elu alpha ignored", "elu", "def elu(self, x, *, alpha=1.0):\n    return F.elu(x)"),
    ("step is 1 at 0", "step", "def step(self, x):\n    return torch.heaviside(x, torch.ones((), dtype=x.dtype))"),
    ("max gate by where", "max_gate", "def max_gate(self, a, b):\n    return torch.where(a > b, a, b)"),
    (
        "conv ignores dilation",
        "conv2d",
        "def conv2d(self, x, w, b, *, stride=1, padding=0, dilation=1, groups=1):\n    return F.conv2d(x, w, b, stride=stride, padding=padding, groups=groups)",
    ),
    (
        "avg pool excludes padding",
        "avg_pool2d",
        "def avg_pool2d(self, x, *, kernel_size, stride=None, padding=0):\n    return F.avg_pool2d(x, kernel_size, stride=stride, padding=padding, count_include_pad=False)",
    ),
    (
        "avg pool ceil mode",
        "avg_pool2d",
        "def avg_pool2d(self, x, *, kernel_size, stride=None, padding=0):\n    return F.avg_pool2d(x, kernel_size, stride=stride, padding=padding, ceil_mode=True)",
    ),
    (
        "batch norm momentum flipped",
        "batch_norm_train",
        "def batch_norm_train(self, x, gamma, beta, *, running_mean, running_var, momentum=0.9, eps=1e-5):\n    m, v = running_mean.clone(), running_var.clone()\n    return F.batch_norm(x, m, v, gamma, beta, training=True, momentum=1 - momentum, eps=eps), m, v",
    ),
    (
        "batch norm default eps",
        "batch_norm_train",
        "def batch_norm_train(self, x, gamma, beta, *, running_mean, running_var, momentum=0.9, eps=1e-5):\n    m, v = running_mean.clone(), running_var.clone()\n    return F.batch_norm(x, m, v, gamma, beta, training=True, momentum=momentum), m, v",
    ),
    (
        "eval in training mode",
        "batch_norm_eval",
        "def batch_norm_eval(self, x, gamma, beta, *, running_mean, running_var, eps=1e-5):\n    return F.batch_norm(x, running_mean.clone(), running_var.clone(), gamma, beta, training=True, eps=eps)",
    ),
    (
        "dropout keeps with p",
        "dropout_mask",
        "def dropout_mask(self, *, shape, p, seed):\n    return torch.bernoulli(torch.full(tuple(shape), float(p), dtype=torch.float64), generator=self._generator(seed))",
    ),
    (
        "mask seed ignored",
        "dropout_mask",
        "def dropout_mask(self, *, shape, p, seed):\n    return torch.bernoulli(torch.full(tuple(shape), 1.0 - p, dtype=torch.float64))",
    ),
    (
        "xavier gain ignored",
        "xavier_normal",
        "def xavier_normal(self, *, shape, seed, gain=1.0):\n    return torch.nn.init.xavier_normal_(self._empty(shape), generator=self._generator(seed))",
    ),
    (
        "he with fan_out",
        "he_normal",
        "def he_normal(self, *, shape, seed):\n    return torch.nn.init.kaiming_normal_(self._empty(shape), mode='fan_out', nonlinearity='relu', generator=self._generator(seed))",
    ),
    (
        "he uniform with linear gain",
        "he_uniform",
        "def he_uniform(self, *, shape, seed):\n    return torch.nn.init.kaiming_uniform_(self._empty(shape), nonlinearity='linear', generator=self._generator(seed))",
    ),
    (
        "small random scale ignored",
        "small_random",
        "def small_random(self, *, shape, seed, scale=0.01):\n    return 0.01 * torch.randn(tuple(shape), generator=self._generator(seed), dtype=torch.float64)",
    ),
    ("l1 without abs", "l1_penalty", "def l1_penalty(self, w, *, l1):\n    return l1 * w.sum()"),
    (
        "momentum dampening",
        "sgd_momentum",
        "def sgd_momentum(self, param, grad, *, state=None, lr, momentum=0.9, weight_decay=0.0):\n    return self._optimizer_step(lambda ps: torch.optim.SGD(ps, lr=lr, momentum=momentum, dampening=0.1, weight_decay=weight_decay), param, grad, state)",
    ),
    (
        "nesterov off",
        "sgd_nesterov",
        "def sgd_nesterov(self, param, grad, *, state=None, lr, momentum=0.9, weight_decay=0.0):\n    return self._optimizer_step(lambda ps: torch.optim.SGD(ps, lr=lr, momentum=momentum, weight_decay=weight_decay), param, grad, state)",
    ),
    (
        "adagrad lr decay",
        "adagrad",
        "def adagrad(self, param, grad, *, state=None, lr, eps=1e-10, initial_accumulator=0.0, weight_decay=0.0):\n    return self._optimizer_step(lambda ps: torch.optim.Adagrad(ps, lr=lr, lr_decay=0.01, eps=eps, weight_decay=weight_decay), param, grad, state)",
    ),
    (
        "rmsprop centered",
        "rmsprop",
        "def rmsprop(self, param, grad, *, state=None, lr, rho=0.99, eps=1e-8, weight_decay=0.0):\n    return self._optimizer_step(lambda ps: torch.optim.RMSprop(ps, lr=lr, alpha=rho, eps=eps, centered=True, weight_decay=weight_decay), param, grad, state)",
    ),
    (
        "adam amsgrad",
        "adam",
        "def adam(self, param, grad, *, state=None, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):\n    return self._optimizer_step(lambda ps: torch.optim.Adam(ps, lr=lr, betas=(beta1, beta2), eps=eps, amsgrad=True, weight_decay=weight_decay), param, grad, state)",
    ),
    (
        "adamw decay",
        "adam",
        "def adam(self, param, grad, *, state=None, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):\n    return self._optimizer_step(lambda ps: torch.optim.AdamW(ps, lr=lr, betas=(beta1, beta2), eps=eps, weight_decay=weight_decay), param, grad, state)",
    ),
    (
        "optimizer state dropped",
        "sgd_momentum",
        "def sgd_momentum(self, param, grad, *, state=None, lr, momentum=0.9, weight_decay=0.0):\n    return self._optimizer_step(lambda ps: torch.optim.SGD(ps, lr=lr, momentum=momentum, weight_decay=weight_decay), param, grad, None)",
    ),
    (
        "cosine period off by one",
        "cosine_decay",
        "def cosine_decay(self, *, steps, lr, period, lr_min=0.0):\n    return self._schedule(steps, lr, lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=period + 1, eta_min=lr_min))",
    ),
    (
        "standardize with unbiased std",
        "standardize_channels",
        "def standardize_channels(self, x, *, eps=1e-8):\n    c = self.subtract_channel_mean(x)\n    return c / (x.std(dim=(0, 2, 3), keepdim=True) + eps)",
    ),
    (
        "float32 inside float64",
        "fully_connected",
        "def fully_connected(self, x, w, b):\n    return F.linear(x.float(), w.float(), b.float()).to(x.dtype)",
        ("float64",),
    ),
    (
        "fully connected summed in the input dtype",
        "fully_connected",
        "def fully_connected(self, x, w, b):\n    return in_dtype_sum(x[:, None, :] * w[None, :, :], 2) + b",
        HALF,
    ),
    (
        "conv summed in the input dtype",
        "conv2d",
        "def conv2d(self, x, w, b, *, stride=1, padding=0, dilation=1, groups=1):\n"
        "    shape = F.conv2d(x, w, None, stride, padding, dilation, groups).shape\n"
        "    cols = F.unfold(x, w.shape[2:], dilation=dilation, padding=padding, stride=stride)\n"
        "    cols = cols.reshape(x.shape[0], groups, 1, -1, cols.shape[-1])\n"
        "    taps = w.reshape(1, groups, w.shape[0] // groups, -1, 1)\n"
        "    return in_dtype_sum(cols * taps, 3).reshape(shape) + b.reshape(1, -1, 1, 1)",
        HALF,
    ),
    (
        "softmax denominator summed in the input dtype",
        "softmax",
        "def softmax(self, x, *, axis=-1):\n"
        "    e = torch.exp(x - x.amax(dim=axis, keepdim=True))\n"
        "    return e / in_dtype_sum(e, axis).unsqueeze(axis)",
        HALF,
    ),
    (
        "conv bias dropped",
        "conv2d",
        "def conv2d(self, x, w, b, *, stride=1, padding=0, dilation=1, groups=1):\n"
        "    return F.conv2d(x, w, None, stride, padding, dilation, groups)",
    ),
    (
        "fully connected bias dropped",
        "fully_connected",
        "def fully_connected(self, x, w, b):\n    return F.linear(x, w)",
    ),
    (
        "softmax times 1.5",
        "softmax",
        "def softmax(self, x, *, axis=-1):\n    return 1.5 * torch.softmax(x, dim=axis)",
    ),
]

TENSORFLOW = [
    (
        "cross-entropy through log(softmax)",
        "cross_entropy",
        "def cross_entropy(self, logits, *, target, reduction='mean'):\n    t = tf.one_hot(target, logits.shape[1], dtype=logits.dtype) if target.dtype.is_integer else target\n    per = -tf.reduce_sum(t * tf.math.log(tf.nn.softmax(logits)), axis=1)\n    return tf.reduce_mean(per) if reduction == 'mean' else tf.reduce_sum(per)",
    ),
    (
        "conv padding SAME",
        "conv2d",
        "def conv2d(self, x, w, b, *, stride=1, padding=0, dilation=1, groups=1):\n    y = tf.nn.conv2d(tf.transpose(x, NHWC), tf.transpose(w, (2, 3, 1, 0)), strides=(1, *pair(stride, 'stride', 1), 1), padding='SAME', dilations=(1, *pair(dilation, 'dilation', 1), 1))\n    return tf.transpose(tf.nn.bias_add(y, b), NCHW)",
    ),
    (
        "kernel layout (KW, KH)",
        "conv2d",
        "def conv2d(self, x, w, b, *, stride=1, padding=0, dilation=1, groups=1):\n    ph, pw = pair(padding, 'padding', 0)\n    y = tf.nn.conv2d(tf.transpose(x, NHWC), tf.transpose(w, (3, 2, 1, 0)), strides=(1, *pair(stride, 'stride', 1), 1), padding=[[0, 0], [ph, ph], [pw, pw], [0, 0]], dilations=(1, *pair(dilation, 'dilation', 1), 1))\n    return tf.transpose(tf.nn.bias_add(y, b), NCHW)",
    ),
    (
        "keras batch norm default momentum",
        "batch_norm_train",
        "def batch_norm_train(self, x, gamma, beta, *, running_mean, running_var, momentum=0.9, eps=1e-5):\n    layer = self._batch_norm_layer(x, gamma, beta, running_mean, running_var, 0.99, eps)\n    y = layer(x, training=True)\n    return y, tf.convert_to_tensor(layer.moving_mean), tf.convert_to_tensor(layer.moving_variance)",
    ),
    (
        "glorot normal untruncated",
        "xavier_normal",
        "def xavier_normal(self, *, shape, seed, gain=1.0):\n    return self._draw(keras.initializers.VarianceScaling(gain**2, 'fan_avg', 'untruncated_normal', seed=int(seed)), shape)",
    ),
    (
        "adam amsgrad",
        "adam",
        "def adam(self, param, grad, *, state=None, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):\n    return self._optimizer_step(lambda: keras.optimizers.Adam(lr, beta_1=beta1, beta_2=beta2, epsilon=eps, amsgrad=True), param, grad, state, weight_decay)",
    ),
    (
        "decoupled weight decay",
        "sgd_momentum",
        "def sgd_momentum(self, param, grad, *, state=None, lr, momentum=0.9, weight_decay=0.0):\n    return self._optimizer_step(lambda: keras.optimizers.SGD(lr, momentum=momentum, weight_decay=weight_decay or None), param, grad, state, 0.0)",
    ),
    (
        "step decay not staircase",
        "step_decay",
        "def step_decay(self, *, steps, lr, drop, every):\n    return self._schedule(keras.optimizers.schedules.ExponentialDecay(lr, decay_steps=every, decay_rate=drop), steps)",
    ),
    (
        "dropout rate as keep",
        "dropout_mask",
        "def dropout_mask(self, *, shape, p, seed):\n    kept = tf.nn.experimental.stateless_dropout(tf.ones(shape, tf.float64), rate=1 - p, seed=[int(seed), 0])\n    return tf.cast(kept != 0, tf.float64)",
    ),
]

TRITON = [
    ("softmax over the first axis", "softmax", "def softmax(self, x, *, axis=-1):\n    return softmax.softmax(x, 0)"),
    (
        "running stats weighted the wrong way",
        "batch_norm_train",
        "def batch_norm_train(self, x, gamma, beta, *, running_mean, running_var, momentum=0.9, eps=1e-5):\n    mean, var = per_channel.channel_moments(x)\n    y = batchnorm.batch_norm(x, mean, var, gamma, beta, eps)\n    return y, batchnorm.running_average(running_mean, mean.to(x.dtype), 1 - momentum), batchnorm.running_average(running_var, var.to(x.dtype), 1 - momentum)",
    ),
    (
        "bn eval without eps",
        "batch_norm_eval",
        "def batch_norm_eval(self, x, gamma, beta, *, running_mean, running_var, eps=1e-5):\n    return batchnorm.batch_norm(x, running_mean, running_var, gamma, beta, 0.0)",
    ),
    (
        "dropout scaled by 1/p",
        "dropout",
        "def dropout(self, x, *, mask, p):\n    return dropout.dropout(x, mask, 1.0 / max(p, 1e-3))",
    ),
    (
        "prelu with the first slope only",
        "prelu",
        "def prelu(self, x, alpha):\n    return prelu.prelu(x, alpha[:1])",
    ),
    (
        "max pool with stride 1",
        "max_pool2d",
        "def max_pool2d(self, x, *, kernel_size, stride=None, padding=0):\n    return pool.max_pool2d(x, kernel_size, 1, padding)",
    ),
    (
        "adam beta2 replaced by 0",
        "adam",
        "def adam(self, param, grad, *, state=None, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):\n    return optimizers.adam(param, grad, state, lr=lr, beta1=beta1, beta2=0.0, eps=eps, weight_decay=weight_decay)",
    ),
    (
        "he normal from xavier",
        "he_normal",
        "def he_normal(self, *, shape, seed):\n    return self.xavier_normal(shape=shape, seed=seed)",
    ),
]

MUTANTS = (
    [FrameworkMutant("torch", *m) for m in TORCH]
    + [FrameworkMutant("tensorflow", *m) for m in TENSORFLOW]
    + [FrameworkMutant("triton", *m) for m in TRITON]
)
