"""2-D max and average pooling, NCHW.

    x (N, C, H, W) -> y (N, C, H_out, W_out),  window k, stride s (default k), padding p
    max: y = max over the window (padding is -inf);  dx routes dy to the maximum,
         at ties by the ``maxpool_tie`` convention.
    avg: y = (1 / D) sum over the window; D = KH KW ("include" the zero padding) or
         the number of real elements in the window ("exclude"): ``avgpool_count_pad``.
         dx spreads dy / D over the window.

Padding may be at most half the kernel, so that no window lies wholly in padding.
Each kernel offset is one strided slice of the padded input (``_windows.offsets``).
"""

from __future__ import annotations

from functools import reduce

import numpy as np

from ._ties import max_weights
from ._windows import crop, offsets, output_size, pad, stepped
from .arguments import choice, float_array, output_gradient, pair

COUNT_PAD = ("include", "exclude")
NO_DILATION = (1, 1)


def pool_geometry(x, kernel_size, stride, padding):
    """Validate pooling arguments; return (kernel, stride, padding, out)."""
    x = float_array(x, "x", ndim=4)
    k = pair(kernel_size, "kernel_size", 1)
    s = k if stride is None else pair(stride, "stride", 1)
    p = pair(padding, "padding", 0)
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise ValueError(f"padding: expected at most half of kernel_size {k} per axis, got {padding!r}")
    out = (
        output_size(x.shape[2], k[0], s[0], p[0], 1, "H", "kernel_size"),
        output_size(x.shape[3], k[1], s[1], p[1], 1, "W", "kernel_size"),
    )
    return k, stepped(s, out), p, out


def _geometry(x, kernel_size, stride, padding):
    """(x as an array, kernel, stride, padding, out), checked."""
    k, s, p, out = pool_geometry(x, kernel_size, stride, padding)
    return np.asarray(x), k, s, p, out


def _slices(xp: np.ndarray, k, s, out) -> list[np.ndarray]:
    """The window candidates: one (N, C, H_out, W_out) view per kernel offset."""
    return [xp[index] for _, _, index in offsets(k, s, NO_DILATION, out)]


def _scatter(parts: list[np.ndarray], x: np.ndarray, k, s, p, out) -> np.ndarray:
    """Sum per-offset gradients back onto x's grid (the adjoint of ``_slices``)."""
    dxp = np.zeros((x.shape[0], x.shape[1], x.shape[2] + 2 * p[0], x.shape[3] + 2 * p[1]), dtype=parts[0].dtype)
    for part, (_, _, index) in zip(parts, offsets(k, s, NO_DILATION, out), strict=True):
        dxp[index] += part
    return np.ascontiguousarray(crop(dxp, p))


def max_pool2d(x: np.ndarray, *, kernel_size, stride=None, padding=0) -> np.ndarray:
    x, k, s, p, out = _geometry(x, kernel_size, stride, padding)
    return reduce(np.maximum, _slices(pad(x, p, -np.inf), k, s, out))


def max_pool2d_backward(
    dy: np.ndarray, x: np.ndarray, *, kernel_size, stride=None, padding=0, maxpool_tie: str = "first"
) -> tuple[np.ndarray]:
    x, k, s, p, out = _geometry(x, kernel_size, stride, padding)
    dy = output_gradient(dy, (*x.shape[:2], *out))
    weights = max_weights(_slices(pad(x, p, -np.inf), k, s, out), maxpool_tie, "maxpool_tie")
    return (_scatter([w * dy for w in weights], x, k, s, p, out),)


def _avg_divisor(x: np.ndarray, k, s, p, out, avgpool_count_pad: str) -> np.ndarray | float:
    """KH KW, or per output position the count of real elements: (1, 1, Ho, Wo)."""
    if choice(avgpool_count_pad, "avgpool_count_pad", COUNT_PAD) == "include":
        return float(k[0] * k[1])
    return sum(_slices(pad(np.ones((1, 1, *x.shape[2:]), dtype=x.dtype), p), k, s, out))


def avg_pool2d(x: np.ndarray, *, kernel_size, stride=None, padding=0, avgpool_count_pad: str = "include") -> np.ndarray:
    x, k, s, p, out = _geometry(x, kernel_size, stride, padding)
    return sum(_slices(pad(x, p), k, s, out)) / _avg_divisor(x, k, s, p, out, avgpool_count_pad)


def avg_pool2d_backward(
    dy: np.ndarray, x: np.ndarray, *, kernel_size, stride=None, padding=0, avgpool_count_pad: str = "include"
) -> tuple[np.ndarray]:
    x, k, s, p, out = _geometry(x, kernel_size, stride, padding)
    divisor = _avg_divisor(x, k, s, p, out, avgpool_count_pad)
    share = output_gradient(dy, (*x.shape[:2], *out)) / divisor  # (N, C, Ho, Wo)
    return (_scatter([share] * (k[0] * k[1]), x, k, s, p, out),)
