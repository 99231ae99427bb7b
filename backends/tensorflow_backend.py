"""TensorFlow as users call it: tf.nn and keras ops with tf.GradientTape backwards,
keras optimizers, schedules, initializers, regularizers and BatchNormalization.

Arrays cross the boundary in NCHW; conv and pooling run in TensorFlow's NHWC and
the transposes stay in here. Keras stores a dense kernel (in, out) and a conv
kernel (KH, KW, in, out): initialisers draw in that layout and transpose back.
Ops with no public API (dropout with a given mask, maxout, preprocessing) are
written with TensorFlow primitives. Keras' optimizer weight_decay is decoupled
(AdamW-style), so the reference's L2 weight decay is added to the gradient.
"""

from __future__ import annotations

import platform
from typing import Any

import numpy as np

from cnnbench.reference.arguments import pair

from .base import Backend

try:
    import keras
    import tensorflow as tf
except ImportError:  # reported by available()
    tf = None

DTYPES = ("float64", "float32", "float16", "bfloat16")
NHWC, NCHW = (0, 2, 3, 1), (0, 3, 1, 2)


def _pad_spatial(x_nhwc, padding, value=0.0):
    ph, pw = pair(padding, "padding", 0)
    return tf.pad(x_nhwc, [[0, 0], [ph, ph], [pw, pw], [0, 0]], constant_values=value)


class TensorFlowBackend(Backend):
    name = "tensorflow"
    dtypes = DTYPES
    devices = ("cpu", "gpu")
    # Observed, and textbook so not listed: tf.nn.relu, tf.nn.leaky_relu, the tf.where PReLU and
    # keras' elu (alpha != 1 is tf.where(x > 0, ...)) take the slope left of x = 0; tf.abs's
    # gradient at 0 is sign(0) = 0 (keras L1 regularizers too).
    conventions = {  # noqa: RUF012 (read-only declaration)
        "maxout_tie": "split",  # reduce_max's gradient is shared among ties
        "init_normal": "truncated",  # keras GlorotNormal / HeNormal
        "l2_scale": "full",  # keras.regularizers.L2 is l2 * sum(w^2)
        "adagrad_eps": "inside",
        "rmsprop_eps": "inside",
        "adam_eps": "uncorrected",
    }

    def available(self) -> tuple[bool, str]:
        if tf is None:
            return False, "tensorflow is not installed (pip install 'cnnbench[tensorflow-cpu]')"
        return True, ""

    def vjp(self, op, dy, *inputs, **params):
        """Every backward but BatchNorm's (below): the tf.GradientTape gradient of the forward's
        first output, one per positional input (zeros for an input the output does not depend on)."""
        xs = [tf.identity(x) for x in inputs]
        with tf.GradientTape() as tape:
            for x in xs:
                tape.watch(x)
            out = getattr(self, op)(*xs, **params)
            out = out[0] if isinstance(out, tuple) else out
        grads = tape.gradient(out, xs, output_gradients=dy)
        return tuple(tf.zeros_like(x) if g is None else g for x, g in zip(xs, grads, strict=True))

    def synchronize(self) -> None:
        """Wait for queued device work: eager ops on a GPU return before they finish."""
        tf.test.experimental.sync_devices()

    def set_threads(self, count: int) -> dict[str, int]:
        """TensorFlow takes thread counts only before its runtime starts (its first op); later
        they stay as they were, and what is in effect is returned (0: TensorFlow's default, all cores)."""
        threading = tf.config.threading
        try:
            threading.set_intra_op_parallelism_threads(count)
            threading.set_inter_op_parallelism_threads(count)
        except RuntimeError:
            pass
        return {
            "tensorflow intra-op": threading.get_intra_op_parallelism_threads(),
            "tensorflow inter-op": threading.get_inter_op_parallelism_threads(),
        }

    def versions(self) -> dict[str, str]:
        return {
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
        }

    def asarray(self, array: np.ndarray, dtype: str | None = None) -> Any:
        return tf.constant(array, dtype=dtype) if dtype else tf.constant(array)

    def to_numpy(self, value: Any) -> np.ndarray:
        return tf.convert_to_tensor(value).numpy()  # bfloat16 comes back as ml_dtypes.bfloat16

    def unsupported(self, exc: Exception) -> str | None:
        """Missing kernels. The locked CPU build lacks only conv2d backward with dilation or groups
        above 1, a limit of the case: every op runs in every dtype, so nothing is in ``op_dtypes``."""
        if isinstance(exc, (tf.errors.NotFoundError, tf.errors.UnimplementedError)):  # no kernel for this dtype
            return exc.message.splitlines()[0]
        if isinstance(exc, tf.errors.InvalidArgumentError) and (  # e.g. CPU conv backprop, dilation > 1
            "not yet support" in exc.message or "not supported" in exc.message
        ):
            return exc.message.split("}}")[-1].strip().splitlines()[0]
        return None

    # ------------------------------------------------------------ output and loss
    def softmax(self, x, *, axis=-1):
        return tf.nn.softmax(x, axis=axis)

    def log_softmax(self, x, *, axis=-1):
        return tf.nn.log_softmax(x, axis=axis)

    def cross_entropy(self, logits, *, target, reduction="mean"):
        if target.dtype.is_integer:
            per_sample = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=target, logits=logits)
        else:
            per_sample = tf.nn.softmax_cross_entropy_with_logits(labels=target, logits=logits)
        return tf.reduce_mean(per_sample) if reduction == "mean" else tf.reduce_sum(per_sample)

    def mse(self, pred, *, target, reduction="mean"):
        squares = tf.square(pred - target)
        return tf.reduce_mean(squares) if reduction == "mean" else tf.reduce_sum(squares)

    # ------------------------------------------------------------ activations
    def sigmoid(self, x):
        return tf.nn.sigmoid(x)

    def tanh(self, x):
        return tf.nn.tanh(x)

    def relu(self, x):
        return tf.nn.relu(x)

    def leaky_relu(self, x, *, negative_slope=0.01):
        return tf.nn.leaky_relu(x, alpha=negative_slope)

    def prelu(self, x, alpha):
        slope = tf.reshape(alpha, (1, -1) + (1,) * (len(x.shape) - 2))  # one per channel (axis 1) or shared
        return tf.where(x > 0, x, slope * x)

    def elu(self, x, *, alpha=1.0):
        return keras.activations.elu(x, alpha=alpha)

    def maxout(self, x, w, b):
        return tf.reduce_max(tf.einsum("nd,pmd->npm", x, w) + b, axis=1)

    def step(self, x):
        return tf.cast(x > 0, x.dtype)

    # ------------------------------------------------------------ gates and layers
    def add_gate(self, a, b):
        return tf.add(a, b)

    def mul_gate(self, a, b):
        return tf.multiply(a, b)

    def max_gate(self, a, b):
        return tf.maximum(a, b)

    def fully_connected(self, x, w, b):
        return tf.matmul(x, w, transpose_b=True) + b

    def flatten(self, x):
        return tf.reshape(x, (x.shape[0], -1))

    def conv2d(self, x, w, b, *, stride=1, padding=0, dilation=1, groups=1):
        # tf.nn.conv2d has no groups argument: it infers groups = C / (C/G) from the filter's
        # input depth, which w's shape (K, C/G, KH, KW) already carries. (On the CPU its
        # gradient refuses grouped filters: that backward is reported not implemented.)
        ph, pw = pair(padding, "padding", 0)
        y = tf.nn.conv2d(
            tf.transpose(x, NHWC),
            tf.transpose(w, (2, 3, 1, 0)),  # (K, C/G, KH, KW) -> (KH, KW, C/G, K)
            strides=(1, *pair(stride, "stride", 1), 1),
            padding=[[0, 0], [ph, ph], [pw, pw], [0, 0]],
            dilations=(1, *pair(dilation, "dilation", 1), 1),
        )
        return tf.transpose(tf.nn.bias_add(y, b), NCHW)

    def max_pool2d(self, x, *, kernel_size, stride=None, padding=0):
        ph, pw = pair(padding, "padding", 0)
        y = tf.nn.max_pool2d(
            tf.transpose(x, NHWC),
            pair(kernel_size, "kernel_size", 1),
            pair(stride or kernel_size, "stride", 1),
            [[0, 0], [ph, ph], [pw, pw], [0, 0]],
        )
        return tf.transpose(y, NCHW)

    def avg_pool2d(self, x, *, kernel_size, stride=None, padding=0):
        # avg_pool2d has only SAME/VALID: zero-pad explicitly, so padding counts in the divisor
        x_padded = _pad_spatial(tf.transpose(x, NHWC), padding)
        window, stride = pair(kernel_size, "kernel_size", 1), pair(stride or kernel_size, "stride", 1)
        y = tf.nn.avg_pool2d(x_padded, window, stride, "VALID")
        return tf.transpose(y, NCHW)

    def residual_add(self, x, fx):
        return x + fx

    def channel_concat(self, *xs):
        return tf.concat(xs, axis=1)

    # ------------------------------------------------------------ batch norm: the keras layer
    # The layer holds gamma and beta in variables that are assigned the inputs' values, so the
    # gradient reaches them only through those variables: these backwards are written out
    # rather than left to ``vjp``, which differentiates with respect to the positional inputs.
    def _batch_norm_layer(self, x, gamma, beta, running_mean, running_var, momentum, eps):
        layer = keras.layers.BatchNormalization(axis=1, momentum=momentum, epsilon=eps, dtype=x.dtype.name)
        layer.build(x.shape)
        for variable, value in (
            (layer.gamma, gamma),
            (layer.beta, beta),
            (layer.moving_mean, running_mean),
            (layer.moving_variance, running_var),
        ):
            variable.assign(tf.cast(value, variable.dtype))
        return layer

    def _batch_norm_vjp(self, dy, x, gamma, beta, running_mean, running_var, momentum, eps, training):
        layer = self._batch_norm_layer(x, gamma, beta, running_mean, running_var, momentum, eps)
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x, training=training)
        return tuple(tape.gradient(y, [x, layer.gamma, layer.beta], output_gradients=dy))

    def batch_norm_train(self, x, gamma, beta, *, running_mean, running_var, momentum=0.9, eps=1e-5):
        layer = self._batch_norm_layer(x, gamma, beta, running_mean, running_var, momentum, eps)
        y = layer(x, training=True)
        return y, tf.convert_to_tensor(layer.moving_mean), tf.convert_to_tensor(layer.moving_variance)

    def batch_norm_train_backward(self, dy, x, gamma, beta, *, running_mean, running_var, momentum=0.9, eps=1e-5):
        return self._batch_norm_vjp(dy, x, gamma, beta, running_mean, running_var, momentum, eps, training=True)

    def batch_norm_eval(self, x, gamma, beta, *, running_mean, running_var, eps=1e-5):
        return self._batch_norm_layer(x, gamma, beta, running_mean, running_var, 0.9, eps)(x, training=False)

    def batch_norm_eval_backward(self, dy, x, gamma, beta, *, running_mean, running_var, eps=1e-5):
        return self._batch_norm_vjp(dy, x, gamma, beta, running_mean, running_var, 0.9, eps, training=False)

    # ------------------------------------------------------------ dropout
    def dropout(self, x, *, mask, p):
        return x * mask / (1.0 - p)

    def dropout_mask(self, *, shape, p, seed):
        kept = tf.nn.experimental.stateless_dropout(tf.ones(shape, tf.float64), rate=p, seed=[int(seed), 0])
        return tf.cast(kept != 0, tf.float64)

    # ------------------------------------------------------------ initialisation, in keras' kernel layout
    def _draw(self, initializer, shape):
        shape = tuple(shape)
        keras_shape = (shape[1], shape[0]) if len(shape) == 2 else (*shape[2:], shape[1], shape[0])
        kernel = initializer(keras_shape, dtype="float64")
        return tf.transpose(kernel, (1, 0) if len(shape) == 2 else (3, 2, 0, 1))

    def small_random(self, *, shape, seed, scale=0.01):
        return self._draw(keras.initializers.RandomNormal(stddev=scale, seed=int(seed)), shape)

    def large_random(self, *, shape, seed, scale=1.0):
        return self.small_random(shape=shape, seed=seed, scale=scale)

    def xavier_normal(self, *, shape, seed, gain=1.0):
        init = keras.initializers.VarianceScaling(gain**2, "fan_avg", "truncated_normal", seed=int(seed))
        return self._draw(init, shape)

    def xavier_uniform(self, *, shape, seed, gain=1.0):
        return self._draw(keras.initializers.VarianceScaling(gain**2, "fan_avg", "uniform", seed=int(seed)), shape)

    def he_normal(self, *, shape, seed):
        return self._draw(keras.initializers.HeNormal(seed=int(seed)), shape)

    def he_uniform(self, *, shape, seed):
        return self._draw(keras.initializers.HeUniform(seed=int(seed)), shape)

    # ------------------------------------------------------------ regularization: keras regularizers
    def l1_penalty(self, w, *, l1):
        return keras.regularizers.L1(l1)(w)

    def l2_penalty(self, w, *, l2):
        return keras.regularizers.L2(l2)(w)

    def elastic_net_penalty(self, w, *, l1, l2):
        return keras.regularizers.L1L2(l1=l1, l2=l2)(w)

    # ------------------------------------------------------------ optimizers: keras optimizers, state carried
    def _optimizer_step(self, kind, param, grad, state, weight_decay, **hyperparameters):
        """One apply_gradients; the state is the optimizer and its variable. A carried optimizer
        takes this call's learning rate and hyperparameters (a schedule changes them between steps):
        the keras optimizers read them from their attributes at every step."""
        if state is None:
            state = {"variable": tf.Variable(param), "optimizer": kind(**hyperparameters)}
        else:
            optimizer = state["optimizer"]
            for name, value in hyperparameters.items():
                if name != "initial_accumulator_value":  # used when the accumulator is made, only
                    setattr(optimizer, name, value)
        variable = state["variable"]
        variable.assign(param)
        grad = grad + weight_decay * param if weight_decay else grad  # coupled L2, as the reference
        state["optimizer"].apply_gradients([(grad, variable)])
        return tf.convert_to_tensor(variable), state

    def sgd(self, param, grad, *, state=None, lr, weight_decay=0.0):
        return self._optimizer_step(keras.optimizers.SGD, param, grad, state, weight_decay, learning_rate=lr)

    def sgd_momentum(self, param, grad, *, state=None, lr, momentum=0.9, weight_decay=0.0):
        return self._optimizer_step(
            keras.optimizers.SGD, param, grad, state, weight_decay, learning_rate=lr, momentum=momentum
        )

    def sgd_nesterov(self, param, grad, *, state=None, lr, momentum=0.9, weight_decay=0.0):
        return self._optimizer_step(
            keras.optimizers.SGD, param, grad, state, weight_decay, learning_rate=lr, momentum=momentum, nesterov=True
        )

    def adagrad(self, param, grad, *, state=None, lr, eps=1e-10, initial_accumulator=0.0, weight_decay=0.0):
        return self._optimizer_step(
            keras.optimizers.Adagrad, param, grad, state, weight_decay,
            learning_rate=lr, initial_accumulator_value=initial_accumulator, epsilon=eps,
        )  # fmt: skip

    def rmsprop(self, param, grad, *, state=None, lr, rho=0.99, eps=1e-8, weight_decay=0.0):
        return self._optimizer_step(
            keras.optimizers.RMSprop, param, grad, state, weight_decay, learning_rate=lr, rho=rho, epsilon=eps
        )

    def adam(self, param, grad, *, state=None, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
        return self._optimizer_step(
            keras.optimizers.Adam, param, grad, state, weight_decay,
            learning_rate=lr, beta_1=beta1, beta_2=beta2, epsilon=eps,
        )  # fmt: skip

    # ------------------------------------------------------------ learning-rate schedules
    def _schedule(self, schedule, steps):
        return tf.stack([schedule(int(t)) for t in steps.numpy()])

    def step_decay(self, *, steps, lr, drop, every):
        schedule = keras.optimizers.schedules.ExponentialDecay(lr, decay_steps=every, decay_rate=drop, staircase=True)
        return self._schedule(schedule, steps)

    def exponential_decay(self, *, steps, lr, gamma):
        return self._schedule(keras.optimizers.schedules.ExponentialDecay(lr, decay_steps=1, decay_rate=gamma), steps)

    def inverse_time_decay(self, *, steps, lr, k):
        return self._schedule(keras.optimizers.schedules.InverseTimeDecay(lr, decay_steps=1, decay_rate=k), steps)

    def cosine_decay(self, *, steps, lr, period, lr_min=0.0):
        schedule = keras.optimizers.schedules.CosineDecay(lr, decay_steps=period, alpha=lr_min / lr)
        return self._schedule(schedule, steps)

    # ------------------------------------------------------------ preprocessing
    def subtract_mean_image(self, x):
        return x - tf.reduce_mean(x, axis=0, keepdims=True)

    def subtract_channel_mean(self, x):
        return x - tf.reduce_mean(x, axis=(0, 2, 3), keepdims=True)

    def standardize_channels(self, x, *, eps=1e-8):
        centred = self.subtract_channel_mean(x)
        return centred / (tf.sqrt(tf.reduce_mean(tf.square(centred), axis=(0, 2, 3), keepdims=True)) + eps)
