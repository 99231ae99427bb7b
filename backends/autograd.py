"""Backward methods from forward methods, for backends whose framework differentiates.

``with_autograd_backwards(cls, vjp)`` gives a backend class ``<op>_backward`` for
every differentiable catalog op it implements a forward for. ``vjp(forward, dy,
inputs, params)`` is the framework's own reverse mode (torch.autograd.grad, a
tf.GradientTape): exactly what the suites mean to check.
"""

from __future__ import annotations

from collections.abc import Callable

from cnnbench.reference.catalog import OPS


def with_autograd_backwards(cls: type, vjp: Callable) -> type:
    for op in OPS:
        if op.differentiable and hasattr(cls, op.name) and not hasattr(cls, f"{op.name}_backward"):

            def backward(self, dy, *inputs, _forward=op.name, **params):
                return vjp(getattr(self, _forward), dy, inputs, params)

            backward.__name__ = f"{op.name}_backward"
            setattr(cls, backward.__name__, backward)
    return cls
