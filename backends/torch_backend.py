"""PyTorch as users call it: torch.nn.functional forwards, torch.autograd backwards,
torch.optim optimizers and lr_scheduler schedules, torch.nn.init initialisers.

Ops PyTorch has no public function for (dropout with a given mask, maxout, the
penalties, preprocessing) are written with torch primitives. TF32 and determinism
are the caller's: correctness runs pin them (``cnnbench.numerics``).
"""

from __future__ import annotations

import platform

import numpy as np

from .base import Backend
from .torch_tensors import TorchTensors

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # reported by available()
    torch = None


class TorchBackend(TorchTensors, Backend):
    name = "torch"
    dtypes = ("float64", "float32", "float16", "bfloat16")
    devices = ("cpu", "cuda")
    # Observed, and textbook so not listed: ReLU, Leaky ReLU, PReLU and ELU all take the slope
    # left of x = 0 (threshold_backward, x > 0 masks); abs()'s gradient at 0 is sign(0) = 0;
    # torch.nn.init's normals are untruncated.
    conventions = {  # noqa: RUF012 (read-only declaration)
        "max_gate_tie": "split",  # torch.maximum splits the gradient at a tie
        "maxout_tie": "split",  # amax over the pieces
        "avgpool_count_pad": "include",  # count_include_pad=True, the default
        "bn_running_var": "unbiased",
        "bn_momentum": "new",
    }

    def __init__(self, device: str = "cpu") -> None:
        self.device = device

    def available(self) -> tuple[bool, str]:
        if torch is None:
            return False, "torch is not installed (pip install 'cnnbench[torch]')"
        if self.device.startswith("cuda") and not torch.cuda.is_available():
            return False, "no CUDA device"
        return True, ""

    def versions(self) -> dict[str, str]:
        return {"torch": torch.__version__, "numpy": np.__version__, "python": platform.python_version()}

    def unsupported(self, exc: Exception) -> str | None:
        """A kernel missing for a dtype: none in the locked CPU build (every op runs in every
        dtype), but torch builds and devices differ, so this stays as the safety net."""
        message = str(exc)  # e.g. "... not implemented for 'Half'"
        if isinstance(exc, (RuntimeError, NotImplementedError)) and (
            "not implemented for" in message or "not supported" in message
        ):
            return message.splitlines()[0]
        return None

    def vjp(self, op, dy, *inputs, **params):
        """Every backward: torch.autograd.grad of the forward's first output, one gradient per
        positional input (zeros for an input the output does not depend on)."""
        leaves = [x.detach().clone().requires_grad_(True) for x in inputs]
        out = getattr(self, op)(*leaves, **params)
        out = out[0] if isinstance(out, tuple) else out
        grads = torch.autograd.grad(out, leaves, grad_outputs=dy, allow_unused=True)
        return tuple(torch.zeros_like(x) if g is None else g for x, g in zip(leaves, grads, strict=True))

    # ------------------------------------------------------------ output and loss
    def softmax(self, x, *, axis=-1):
        return torch.softmax(x, dim=axis)

    def log_softmax(self, x, *, axis=-1):
        return F.log_softmax(x, dim=axis)

    def cross_entropy(self, logits, *, target, reduction="mean"):
        return F.cross_entropy(logits, target, reduction=reduction)

    def mse(self, pred, *, target, reduction="mean"):
        return F.mse_loss(pred, target, reduction=reduction)

    # ------------------------------------------------------------ activations
    def sigmoid(self, x):
        return torch.sigmoid(x)

    def tanh(self, x):
        return torch.tanh(x)

    def relu(self, x):
        return F.relu(x)

    def leaky_relu(self, x, *, negative_slope=0.01):
        return F.leaky_relu(x, negative_slope)

    def prelu(self, x, alpha):
        return F.prelu(x, alpha)

    def elu(self, x, *, alpha=1.0):
        return F.elu(x, alpha)

    def maxout(self, x, w, b):
        return (torch.einsum("nd,pmd->npm", x, w) + b).amax(dim=1)

    def step(self, x):
        return torch.heaviside(x, torch.zeros((), dtype=x.dtype, device=x.device))

    # ------------------------------------------------------------ gates and layers
    def add_gate(self, a, b):
        return torch.add(a, b)

    def mul_gate(self, a, b):
        return torch.mul(a, b)

    def max_gate(self, a, b):
        return torch.maximum(a, b)

    def fully_connected(self, x, w, b):
        return F.linear(x, w, b)

    def flatten(self, x):
        return torch.flatten(x, 1)

    def conv2d(self, x, w, b, *, stride=1, padding=0, dilation=1, groups=1):
        return F.conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)

    def max_pool2d(self, x, *, kernel_size, stride=None, padding=0):
        return F.max_pool2d(x, kernel_size, stride=stride, padding=padding)

    def avg_pool2d(self, x, *, kernel_size, stride=None, padding=0):
        return F.avg_pool2d(x, kernel_size, stride=stride, padding=padding, count_include_pad=True)

    def residual_add(self, x, fx):
        return x + fx

    def channel_concat(self, *xs):
        return torch.cat(xs, dim=1)

    # ------------------------------------------------------------ batch norm and dropout
    def batch_norm_train(self, x, gamma, beta, *, running_mean, running_var, momentum=0.9, eps=1e-5):
        mean, var = running_mean.clone(), running_var.clone()  # updated in place by F.batch_norm
        y = F.batch_norm(x, mean, var, gamma, beta, training=True, momentum=momentum, eps=eps)
        return y, mean, var

    def batch_norm_eval(self, x, gamma, beta, *, running_mean, running_var, eps=1e-5):
        return F.batch_norm(x, running_mean, running_var, gamma, beta, training=False, eps=eps)

    def dropout(self, x, *, mask, p):
        return x * mask / (1.0 - p)

    def _generator(self, seed: int):
        return torch.Generator(device=self.device).manual_seed(int(seed))

    def dropout_mask(self, *, shape, p, seed):
        keep = torch.full(tuple(shape), 1.0 - p, dtype=torch.float64, device=self.device)
        return torch.bernoulli(keep, generator=self._generator(seed))

    # ------------------------------------------------------------ initialisation
    def _empty(self, shape):
        return torch.empty(tuple(shape), dtype=torch.float64, device=self.device)

    def small_random(self, *, shape, seed, scale=0.01):
        return scale * torch.randn(
            tuple(shape), generator=self._generator(seed), dtype=torch.float64, device=self.device
        )

    def large_random(self, *, shape, seed, scale=1.0):
        return self.small_random(shape=shape, seed=seed, scale=scale)

    def xavier_normal(self, *, shape, seed, gain=1.0):
        return torch.nn.init.xavier_normal_(self._empty(shape), gain=gain, generator=self._generator(seed))

    def xavier_uniform(self, *, shape, seed, gain=1.0):
        return torch.nn.init.xavier_uniform_(self._empty(shape), gain=gain, generator=self._generator(seed))

    def he_normal(self, *, shape, seed):
        return torch.nn.init.kaiming_normal_(self._empty(shape), nonlinearity="relu", generator=self._generator(seed))

    def he_uniform(self, *, shape, seed):
        return torch.nn.init.kaiming_uniform_(self._empty(shape), nonlinearity="relu", generator=self._generator(seed))

    # ------------------------------------------------------------ regularization
    def l1_penalty(self, w, *, l1):
        return l1 * w.abs().sum()

    def l2_penalty(self, w, *, l2):
        return 0.5 * l2 * (w * w).sum()

    def elastic_net_penalty(self, w, *, l1, l2):
        return self.l1_penalty(w, l1=l1) + self.l2_penalty(w, l2=l2)

    # ------------------------------------------------------------ optimizers
    def _optimizer_step(self, make, param, grad, state):
        """One step of a real torch.optim optimizer; its state_dict is the carried state."""
        p = torch.nn.Parameter(param.detach().clone())
        opt = make([p])
        if state is not None:
            hyper = [{k: v for k, v in group.items() if k != "params"} for group in opt.param_groups]
            opt.load_state_dict(state)  # restores the saved hyperparameters too: this call's (lr, ...) win
            for group, fresh in zip(opt.param_groups, hyper, strict=True):
                group.update(fresh)
        p.grad = grad.detach().clone()
        opt.step()
        return p.detach(), opt.state_dict()

    def sgd(self, param, grad, *, state=None, lr, weight_decay=0.0):
        return self._optimizer_step(
            lambda ps: torch.optim.SGD(ps, lr=lr, weight_decay=weight_decay), param, grad, state
        )

    def sgd_momentum(self, param, grad, *, state=None, lr, momentum=0.9, weight_decay=0.0):
        make = lambda ps: torch.optim.SGD(ps, lr=lr, momentum=momentum, weight_decay=weight_decay)  # noqa: E731
        return self._optimizer_step(make, param, grad, state)

    def sgd_nesterov(self, param, grad, *, state=None, lr, momentum=0.9, weight_decay=0.0):
        make = lambda ps: torch.optim.SGD(ps, lr=lr, momentum=momentum, nesterov=True, weight_decay=weight_decay)  # noqa: E731
        return self._optimizer_step(make, param, grad, state)

    def adagrad(self, param, grad, *, state=None, lr, eps=1e-10, initial_accumulator=0.0, weight_decay=0.0):
        make = lambda ps: torch.optim.Adagrad(  # noqa: E731
            ps, lr=lr, eps=eps, initial_accumulator_value=initial_accumulator, weight_decay=weight_decay
        )
        return self._optimizer_step(make, param, grad, state)

    def rmsprop(self, param, grad, *, state=None, lr, rho=0.99, eps=1e-8, weight_decay=0.0):
        make = lambda ps: torch.optim.RMSprop(ps, lr=lr, alpha=rho, eps=eps, weight_decay=weight_decay)  # noqa: E731
        return self._optimizer_step(make, param, grad, state)

    def adam(self, param, grad, *, state=None, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
        make = lambda ps: torch.optim.Adam(ps, lr=lr, betas=(beta1, beta2), eps=eps, weight_decay=weight_decay)  # noqa: E731
        return self._optimizer_step(make, param, grad, state)

    # ------------------------------------------------------------ learning-rate schedules
    def _schedule(self, steps, lr, make):
        """Learning rate at each step number, read off a real lr_scheduler driving SGD."""
        opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
        scheduler = make(opt)
        rates = []
        for _ in range(int(np.max(steps.cpu().numpy())) + 1):
            rates.append(opt.param_groups[0]["lr"])
            opt.step()
            scheduler.step()
        return torch.tensor(rates, dtype=torch.float64)[steps.cpu()]

    def step_decay(self, *, steps, lr, drop, every):
        return self._schedule(steps, lr, lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=every, gamma=drop))

    def exponential_decay(self, *, steps, lr, gamma):
        return self._schedule(steps, lr, lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma=gamma))

    def inverse_time_decay(self, *, steps, lr, k):
        return self._schedule(steps, lr, lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda t: 1.0 / (1.0 + k * t)))

    def cosine_decay(self, *, steps, lr, period, lr_min=0.0):
        make = lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=period, eta_min=lr_min)  # noqa: E731
        return self._schedule(steps, lr, make)

    # ------------------------------------------------------------ preprocessing
    def subtract_mean_image(self, x):
        return x - x.mean(dim=0, keepdim=True)

    def subtract_channel_mean(self, x):
        return x - x.mean(dim=(0, 2, 3), keepdim=True)

    def standardize_channels(self, x, *, eps=1e-8):
        centred = self.subtract_channel_mean(x)
        return centred / (centred.square().mean(dim=(0, 2, 3), keepdim=True).sqrt() + eps)
