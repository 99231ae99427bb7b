"""NumPy reference of the operations used to train a CNN: the specification.

Pure functions on NumPy arrays (NCHW), exact in float64 and usable in float32.
Every differentiable op ``f(*inputs, **params)`` has ``f_backward(dy, *inputs,
**params)`` returning one gradient per positional input. ``cnnbench.reference.catalog``
lists them all.
"""
