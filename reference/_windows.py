"""Sliding windows shared by conv2d and the pools.

For an input (N, C, H, W) padded by p, a window of size k, stride s and
dilation d gives

    H_out = floor((H + 2 p - d (k - 1) - 1) / s) + 1

``windows`` returns the strided view (N, C, H_out, W_out, KH, KW) without
copying; ``scatter_windows`` is its adjoint: it sums per-window gradients back
onto the padded input with one strided add per kernel offset (KH*KW adds, no
loop over pixels and no ``np.add.at``).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided


def output_size(size: int, kernel: int, stride: int, padding: int, dilation: int, axis: str) -> int:
    """Output length along one axis; rejects a kernel larger than the padded input."""
    extent = dilation * (kernel - 1) + 1
    padded = size + 2 * padding
    if extent > padded:
        raise ValueError(
            f"kernel_size: dilated kernel extent {extent} along {axis} is larger than "
            f"the padded input ({size} + 2*{padding} = {padded})"
        )
    return (padded - extent) // stride + 1


def pad(x: np.ndarray, padding: tuple[int, int], value: float = 0.0) -> np.ndarray:
    """Pad the two spatial axes of (N, C, H, W) by (ph, pw) on both sides."""
    ph, pw = padding
    if ph == 0 and pw == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)


def crop(xp: np.ndarray, padding: tuple[int, int]) -> np.ndarray:
    """Inverse of ``pad``: drop the padded border."""
    ph, pw = padding
    return xp[:, :, ph : xp.shape[2] - ph, pw : xp.shape[3] - pw]


def windows(
    xp: np.ndarray,
    kernel: tuple[int, int],
    stride: tuple[int, int],
    dilation: tuple[int, int],
    out: tuple[int, int],
) -> np.ndarray:
    """Read-only view (N, C, H_out, W_out, KH, KW) of the windows of padded ``xp``."""
    n, c, _, _ = xp.shape
    sn, sc, sh, sw = xp.strides
    return as_strided(
        xp,
        shape=(n, c, out[0], out[1], kernel[0], kernel[1]),
        strides=(sn, sc, sh * stride[0], sw * stride[1], sh * dilation[0], sw * dilation[1]),
        writeable=False,
    )


def scatter_windows(
    dwin: np.ndarray,
    padded_shape: tuple[int, ...],
    stride: tuple[int, int],
    dilation: tuple[int, int],
) -> np.ndarray:
    """Adjoint of ``windows``: sum dwin (N, C, H_out, W_out, KH, KW) onto (N, C, Hp, Wp)."""
    _, _, ho, wo, kh, kw = dwin.shape
    dxp = np.zeros(padded_shape, dtype=dwin.dtype)
    for i in range(kh):
        for j in range(kw):
            r0, c0 = i * dilation[0], j * dilation[1]
            dxp[:, :, r0 : r0 + stride[0] * (ho - 1) + 1 : stride[0],
                c0 : c0 + stride[1] * (wo - 1) + 1 : stride[1]] += dwin[:, :, :, :, i, j]
    return dxp
