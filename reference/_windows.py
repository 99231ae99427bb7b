"""Sliding windows shared by conv2d and the pools.

For an input (N, C, H, W) padded by p, a window of size k, stride s and
dilation d gives

    H_out = floor((H + 2 p - d (k - 1) - 1) / s) + 1

Kernel offset (i, j) of every window at once is the strided slice
``xp[:, :, i d : ... : s, j d : ... : s]`` of shape (N, C, H_out, W_out), so a
gather is KH*KW slices and its adjoint, the scatter, KH*KW strided adds: no loop
over pixels and no ``np.add.at``. ``windows`` gives all offsets at once as a
strided view (N, C, H_out, W_out, KH, KW) for im2col.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from numpy.lib.stride_tricks import as_strided

Pair = tuple[int, int]


def output_size(size: int, kernel: int, stride: int, padding: int, dilation: int, axis: str, name: str) -> int:
    """Output length along one axis; rejects a kernel (argument ``name``) larger than the padded input."""
    extent = dilation * (kernel - 1) + 1
    padded = size + 2 * padding
    if extent > padded:
        raise ValueError(
            f"{name}: kernel extent {extent} along {axis} (dilation={dilation}) is larger than "
            f"the padded input (x's {size} + 2 * padding={padding} = {padded})"
        )
    return (padded - extent) // stride + 1


def stepped(step: Pair, count: Pair) -> Pair:
    """``step`` (a stride, or a dilation), but 1 along an axis with ``count`` 1 (a single window, a
    kernel one wide), where it is never taken: a step too large for a NumPy index changes nothing."""
    return (step[0] if count[0] > 1 else 1, step[1] if count[1] > 1 else 1)


def pad(x: np.ndarray, padding: Pair, value: float = 0.0) -> np.ndarray:
    """Pad the two spatial axes of (N, C, H, W) by (ph, pw) on both sides."""
    ph, pw = padding
    if ph == 0 and pw == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)


def crop(xp: np.ndarray, padding: Pair) -> np.ndarray:
    """Inverse of ``pad``: drop the padded border."""
    ph, pw = padding
    return xp[:, :, ph : xp.shape[2] - ph, pw : xp.shape[3] - pw]


def offsets(kernel: Pair, stride: Pair, dilation: Pair, out: Pair) -> Iterator[tuple[int, int, tuple[slice, ...]]]:
    """(i, j, index) for each kernel offset; ``xp[index]`` is (N, C, H_out, W_out)."""
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            r0, c0 = i * dilation[0], j * dilation[1]
            rows = slice(r0, r0 + stride[0] * (out[0] - 1) + 1, stride[0])
            cols = slice(c0, c0 + stride[1] * (out[1] - 1) + 1, stride[1])
            yield i, j, (slice(None), slice(None), rows, cols)


def windows(xp: np.ndarray, kernel: Pair, stride: Pair, dilation: Pair, out: Pair) -> np.ndarray:
    """Read-only view (N, C, H_out, W_out, KH, KW) of the windows of padded ``xp``."""
    n, c, _, _ = xp.shape
    sn, sc, sh, sw = xp.strides
    return as_strided(
        xp,
        shape=(n, c, out[0], out[1], kernel[0], kernel[1]),
        strides=(sn, sc, sh * stride[0], sw * stride[1], sh * dilation[0], sw * dilation[1]),
        writeable=False,
    )


def scatter_windows(dwin: np.ndarray, padded_shape: tuple[int, ...], stride: Pair, dilation: Pair) -> np.ndarray:
    """Adjoint of ``windows``: sum dwin (A, B, H_out, W_out, KH, KW) onto (A, B, Hp, Wp).

    The two leading axes are whatever the caller's memory order makes cheapest.
    """
    dxp = np.zeros(padded_shape, dtype=dwin.dtype)
    for i, j, index in offsets(dwin.shape[4:], stride, dilation, dwin.shape[2:4]):
        dxp[index] += dwin[:, :, :, :, i, j]
    return dxp
