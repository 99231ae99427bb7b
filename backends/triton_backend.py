"""Hand-written Triton kernels (``backends/triton_kernels/``) behind the backend contract.

Arrays live in torch tensors on the GPU. Without a GPU the kernels run on
Triton's CPU interpreter on CPU tensors (TRITON_INTERPRET=1, which
``cnnbench.numerics.pinned_numerics`` sets before anything imports triton): slow,
but the same kernels, which is how CI checks them. Torch is
used only to hold memory and for views (reshape, broadcast, contiguous copies);
every computation is a kernel. Ops without a kernel are reported not implemented.
"""

from __future__ import annotations

import math
import os
import platform

import numpy as np

from .base import Backend
from .torch_tensors import TorchTensors

try:
    import torch
    import triton

    from .triton_kernels import (
        activations,
        batchnorm,
        channel_concat,
        conv,
        cross_entropy,
        dropout,
        gates,
        lr_schedules,
        matmul,
        maxout,
        mse,
        optimizers,
        penalty,
        per_channel,
        philox,
        pool,
        prelu,
        preprocess,
        reduce,
        softmax,
    )
except ImportError as exc:  # reported by available()
    triton = None
    _IMPORT_ERROR = str(exc)


class TritonBackend(TorchTensors, Backend):
    name = "triton"
    dtypes = ("float32", "float16", "bfloat16")  # half types load, accumulate in float32, store
    devices = ("cuda", "cpu (interpreter)")
    # Every convention textbook, as observed: x > 0 masks (the slope left of a kink), sign(0) = 0
    # in the penalty kernel, first-wins ties, biased running variance weighted by the old value,
    # untruncated normals, eps outside the root and after Adam's bias correction: nothing to declare.

    def __init__(self) -> None:
        self.interpreted = os.environ.get("TRITON_INTERPRET") == "1"
        self.device = "cpu" if self.interpreted else "cuda"

    def available(self) -> tuple[bool, str]:
        if triton is None:
            return False, f"triton is not installed ({_IMPORT_ERROR}; pip install 'cnnbench[triton]')"
        if not self.interpreted and not torch.cuda.is_available():
            return False, "no CUDA device, and TRITON_INTERPRET is not 1 (cnnbench.numerics.pinned_numerics sets it)"
        return True, ""

    def versions(self) -> dict[str, str]:
        where = "interpreter (CPU)" if self.interpreted else torch.cuda.get_device_name()
        return {
            "triton": triton.__version__,
            "torch": torch.__version__,
            "device": where,
            "numpy": np.__version__,
            "python": platform.python_version(),
        }

    def softmax(self, x, *, axis=-1):
        return softmax.softmax(x, axis)

    def softmax_backward(self, dy, x, *, axis=-1):
        return (softmax.softmax_backward(dy, x, axis),)

    def log_softmax(self, x, *, axis=-1):
        return softmax.softmax(x, axis, log=True)

    def log_softmax_backward(self, dy, x, *, axis=-1):
        return (softmax.softmax_backward(dy, x, axis, log=True),)

    def cross_entropy(self, logits, *, target, reduction="mean"):
        return cross_entropy.cross_entropy(logits, target, reduction)

    def cross_entropy_backward(self, dy, logits, *, target, reduction="mean"):
        return (cross_entropy.cross_entropy_backward(dy, logits, target, reduction),)

    def mse(self, pred, *, target, reduction="mean"):
        return mse.mse(pred, target, reduction)

    def mse_backward(self, dy, pred, *, target, reduction="mean"):
        return (mse.mse_backward(dy, pred, target, reduction),)

    # ------------------------------------------------------------ activations
    def sigmoid(self, x):
        return activations.sigmoid(x)

    def sigmoid_backward(self, dy, x):
        return (activations.sigmoid_backward(dy, x),)

    def tanh(self, x):
        return activations.tanh(x)

    def tanh_backward(self, dy, x):
        return (activations.tanh_backward(dy, x),)

    def relu(self, x):
        return activations.relu(x)

    def relu_backward(self, dy, x):
        return (activations.relu_backward(dy, x),)

    def leaky_relu(self, x, *, negative_slope=0.01):
        return activations.leaky_relu(x, negative_slope)

    def leaky_relu_backward(self, dy, x, *, negative_slope=0.01):
        return (activations.leaky_relu_backward(dy, x, negative_slope),)

    def elu(self, x, *, alpha=1.0):
        return activations.elu(x, alpha)

    def elu_backward(self, dy, x, *, alpha=1.0):
        return (activations.elu_backward(dy, x, alpha),)

    def step(self, x):
        return activations.step(x)

    def maxout(self, x, w, b):
        return maxout.maxout(x, w, b)

    def maxout_backward(self, dy, x, w, b):
        return maxout.maxout_backward(dy, x, w, b)

    def prelu(self, x, alpha):
        return prelu.prelu(x, alpha)

    def prelu_backward(self, dy, x, alpha):
        return prelu.prelu_backward(dy, x, alpha)

    # ------------------------------------------------------------ gates and connections
    def add_gate(self, a, b):
        return gates.add_gate(a, b)

    def add_gate_backward(self, dz, a, b):
        return gates.add_gate_backward(dz, a, b)

    def mul_gate(self, a, b):
        return gates.mul_gate(a, b)

    def mul_gate_backward(self, dz, a, b):
        return gates.mul_gate_backward(dz, a, b)

    def max_gate(self, a, b):
        return gates.max_gate(a, b)

    def max_gate_backward(self, dz, a, b):
        return gates.max_gate_backward(dz, a, b)

    def residual_add(self, x, fx):
        return gates.add_gate(x, fx)

    def residual_add_backward(self, dy, x, fx):
        return dy.clone(), dy.clone()

    def channel_concat(self, *xs):
        return channel_concat.channel_concat(xs)

    def channel_concat_backward(self, dy, *xs):
        return channel_concat.channel_concat_backward(dy, xs)

    # ------------------------------------------------------------ layers
    def fully_connected(self, x, w, b):
        return matmul.matmul(x, w.t(), b)  # x W^T + b, W^T read through strides

    def fully_connected_backward(self, dy, x, w, b):
        return matmul.matmul(dy, w), matmul.matmul(dy.t(), x), reduce.sum_to(dy, b.shape)

    def conv2d(self, x, w, b, *, stride=1, padding=0, dilation=1, groups=1):
        return conv.conv2d(x, w, b, stride, padding, dilation, groups)

    def conv2d_backward(self, dy, x, w, b, *, stride=1, padding=0, dilation=1, groups=1):
        return conv.conv2d_backward(dy, x, w, b, stride, padding, dilation, groups)

    def max_pool2d(self, x, *, kernel_size, stride=None, padding=0):
        return pool.max_pool2d(x, kernel_size, stride, padding)

    def max_pool2d_backward(self, dy, x, *, kernel_size, stride=None, padding=0):
        return (pool.max_pool2d_backward(dy, x, kernel_size, stride, padding),)

    def avg_pool2d(self, x, *, kernel_size, stride=None, padding=0):
        return pool.avg_pool2d(x, kernel_size, stride, padding)

    def avg_pool2d_backward(self, dy, x, *, kernel_size, stride=None, padding=0):
        return (pool.avg_pool2d_backward(dy, x, kernel_size, stride, padding),)

    def flatten(self, x):
        return x.contiguous().reshape(x.shape[0], -1)  # a view: no arithmetic

    def flatten_backward(self, dy, x):
        return (dy.contiguous().reshape(x.shape),)

    # ------------------------------------------------------------ batch norm (textbook conventions)
    def batch_norm_train(self, x, gamma, beta, *, running_mean, running_var, momentum=0.9, eps=1e-5):
        mean, var = per_channel.channel_moments(x)
        y = batchnorm.batch_norm(x, mean, var, gamma, beta, eps)
        # running = momentum * running + (1 - momentum) * batch, the biased batch variance
        new_mean = batchnorm.running_average(running_mean, mean.to(x.dtype), momentum)
        new_var = batchnorm.running_average(running_var, var.to(x.dtype), momentum)
        return y, new_mean, new_var

    def batch_norm_train_backward(self, dy, x, gamma, beta, *, running_mean, running_var, momentum=0.9, eps=1e-5):
        mean, var = per_channel.channel_moments(x)
        sums = batchnorm.batch_norm_grad_sums(dy, x, mean, var, eps)
        dx = batchnorm.batch_norm_train_input_grad(dy, x, mean, var, gamma, sums, eps)
        sum_dy, sum_dy_x_hat = sums
        return dx, sum_dy_x_hat.to(x.dtype), sum_dy.to(x.dtype)

    def batch_norm_eval(self, x, gamma, beta, *, running_mean, running_var, eps=1e-5):
        return batchnorm.batch_norm(x, running_mean, running_var, gamma, beta, eps)

    def batch_norm_eval_backward(self, dy, x, gamma, beta, *, running_mean, running_var, eps=1e-5):
        dx = batchnorm.batch_norm_eval_input_grad(dy, running_var, gamma, eps)
        sum_dy, sum_dy_x_hat = batchnorm.batch_norm_grad_sums(dy, x, running_mean, running_var, eps)
        return dx, sum_dy_x_hat.to(x.dtype), sum_dy.to(x.dtype)

    # ------------------------------------------------------------ preprocessing
    def subtract_mean_image(self, x):
        pixels = x.reshape(x.shape[0], -1)  # (N, C*H*W): every pixel is a channel averaged over N
        return preprocess.center(pixels).reshape(x.shape)

    def subtract_channel_mean(self, x):
        return preprocess.center(x)

    def standardize_channels(self, x, *, eps=1e-8):
        return preprocess.standardize(x, eps)

    # ------------------------------------------------------------ dropout
    def dropout(self, x, *, mask, p):
        return dropout.dropout(x, mask, 1.0 / (1.0 - p))

    def dropout_backward(self, dy, x, *, mask, p):
        return (dropout.dropout(dy, mask, 1.0 / (1.0 - p)),)

    def dropout_mask(self, *, shape, p, seed):
        return dropout.dropout_mask(shape, p, seed, self.device)

    # ------------------------------------------------------------ initialisation (Philox)
    def small_random(self, *, shape, seed, scale=0.01):
        return philox.normal(shape, seed, scale, self.device)

    def large_random(self, *, shape, seed, scale=1.0):
        return self.small_random(shape=shape, seed=seed, scale=scale)

    @staticmethod
    def _fans(shape):
        receptive = math.prod(shape[2:])
        return shape[1] * receptive, shape[0] * receptive

    def xavier_normal(self, *, shape, seed, gain=1.0):
        fan_in, fan_out = self._fans(shape)
        return philox.normal(shape, seed, gain * math.sqrt(2.0 / (fan_in + fan_out)), self.device)

    def xavier_uniform(self, *, shape, seed, gain=1.0):
        fan_in, fan_out = self._fans(shape)
        return philox.uniform(shape, seed, gain * math.sqrt(6.0 / (fan_in + fan_out)), self.device)

    def he_normal(self, *, shape, seed):
        return philox.normal(shape, seed, math.sqrt(2.0 / self._fans(shape)[0]), self.device)

    def he_uniform(self, *, shape, seed):
        return philox.uniform(shape, seed, math.sqrt(6.0 / self._fans(shape)[0]), self.device)

    # ------------------------------------------------------------ regularization
    def l1_penalty(self, w, *, l1):
        return penalty.elastic_net(w, l1, 0.0)

    def l1_penalty_backward(self, dy, w, *, l1):
        return (penalty.elastic_net_backward(dy, w, l1, 0.0),)

    def l2_penalty(self, w, *, l2):
        return penalty.elastic_net(w, 0.0, l2)

    def l2_penalty_backward(self, dy, w, *, l2):
        return (penalty.elastic_net_backward(dy, w, 0.0, l2),)

    def elastic_net_penalty(self, w, *, l1, l2):
        return penalty.elastic_net(w, l1, l2)

    def elastic_net_penalty_backward(self, dy, w, *, l1, l2):
        return (penalty.elastic_net_backward(dy, w, l1, l2),)

    # ------------------------------------------------------------ optimizers (fused, one launch each)
    def sgd(self, param, grad, *, state=None, lr, weight_decay=0.0):
        return optimizers.sgd(param, grad, state, lr=lr, weight_decay=weight_decay)

    def sgd_momentum(self, param, grad, *, state=None, lr, momentum=0.9, weight_decay=0.0):
        return optimizers.sgd_momentum(param, grad, state, lr=lr, momentum=momentum, weight_decay=weight_decay)

    def sgd_nesterov(self, param, grad, *, state=None, lr, momentum=0.9, weight_decay=0.0):
        return optimizers.sgd_nesterov(param, grad, state, lr=lr, momentum=momentum, weight_decay=weight_decay)

    def adagrad(self, param, grad, *, state=None, lr, eps=1e-10, initial_accumulator=0.0, weight_decay=0.0):
        return optimizers.adagrad(
            param, grad, state, lr=lr, eps=eps, initial_accumulator=initial_accumulator, weight_decay=weight_decay
        )

    def rmsprop(self, param, grad, *, state=None, lr, rho=0.99, eps=1e-8, weight_decay=0.0):
        return optimizers.rmsprop(param, grad, state, lr=lr, rho=rho, eps=eps, weight_decay=weight_decay)

    def adam(self, param, grad, *, state=None, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
        return optimizers.adam(param, grad, state, lr=lr, beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay)

    # ------------------------------------------------------------ learning-rate schedules
    def step_decay(self, *, steps, lr, drop, every):
        return lr_schedules.step_decay(steps, lr, drop, every)

    def exponential_decay(self, *, steps, lr, gamma):
        return lr_schedules.exponential_decay(steps, lr, gamma)

    def inverse_time_decay(self, *, steps, lr, k):
        return lr_schedules.inverse_time_decay(steps, lr, k)

    def cosine_decay(self, *, steps, lr, period, lr_min=0.0):
        return lr_schedules.cosine_decay(steps, lr, period, lr_min)
