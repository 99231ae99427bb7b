"""2-D convolution (cross-correlation, as every framework computes it), NCHW.

    x (N, C, H, W), w (K, C/G, KH, KW), b (K,) -> y (N, K, H_out, W_out)
    y[n, k, i, j] = b[k] + sum_{c, p, q} w[k, c, p, q] *
                    x_pad[n, g(k) C/G + c, i s_h + p d_h, j s_w + q d_w]

with G groups (dividing C and K), stride s >= 1, zero padding p >= 0 and dilation
d >= 1; the dilated kernel must fit in the padded input. Computed as im2col: the
windows of each group become columns (G, C/G KH KW, N H_out W_out), and the
output is one batched matmul with the weights (G, K/G, C/G KH KW).

Backward (VJP of dy (N, K, H_out, W_out)):
    db = sum_{n,i,j} dy
    dW = dy_cols cols^T                      per group
    dx = col2im(W^T dy_cols)                 the adjoint of the window gather
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._windows import crop, output_size, pad, scatter_windows, stepped, windows
from .arguments import float_array, integer, output_gradient, pair


@dataclass(frozen=True)
class ConvGeometry:
    stride: tuple[int, int]
    padding: tuple[int, int]
    dilation: tuple[int, int]
    kernel: tuple[int, int]
    groups: int
    out: tuple[int, int]


def conv_geometry(x, w, b, stride, padding, dilation, groups) -> ConvGeometry:
    """Validate conv2d arguments and derive the output size."""
    x = float_array(x, "x", ndim=4)
    w = float_array(w, "w", ndim=4)
    b = float_array(b, "b", ndim=1)
    groups = integer(groups, "groups", minimum=1)
    c, k = x.shape[1], w.shape[0]
    if c % groups or k % groups:
        raise ValueError(
            f"groups: expected a divisor of both x's in-channels ({c}) and w's out-channels ({k}), got {groups}"
        )
    if w.shape[1] != c // groups:
        raise ValueError(
            f"w: expected shape ({k}, {c // groups}, KH, KW) for x's {c} channels in groups={groups}, got {w.shape}"
        )
    if b.shape != (k,):
        raise ValueError(f"b: expected shape ({k},) (one bias per output channel of w), got {b.shape}")
    s = pair(stride, "stride", 1)
    p = pair(padding, "padding", 0)
    d = pair(dilation, "dilation", 1)
    kernel = (w.shape[2], w.shape[3])
    out = (
        output_size(x.shape[2], kernel[0], s[0], p[0], d[0], "H", "w"),
        output_size(x.shape[3], kernel[1], s[1], p[1], d[1], "W", "w"),
    )
    return ConvGeometry(stepped(s, out), p, stepped(d, kernel), kernel, groups, out)


def _columns(x: np.ndarray, geo: ConvGeometry) -> np.ndarray:
    """im2col: (G, C/G * KH * KW, N * H_out * W_out)."""
    n, c = x.shape[:2]
    win = windows(pad(x, geo.padding), geo.kernel, geo.stride, geo.dilation, geo.out)  # (N, C, Ho, Wo, KH, KW)
    win = win.reshape(n, geo.groups, c // geo.groups, *geo.out, *geo.kernel)  # (N, G, Cg, Ho, Wo, KH, KW)
    return win.transpose(1, 2, 5, 6, 0, 3, 4).reshape(geo.groups, -1, n * geo.out[0] * geo.out[1])


def conv2d(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray,
    *,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
    dilation: int | tuple[int, int] = 1,
    groups: int = 1,
) -> np.ndarray:
    geo = conv_geometry(x, w, b, stride, padding, dilation, groups)
    x, w, b = np.asarray(x), np.asarray(w), np.asarray(b)  # checked by conv_geometry
    n, k, g = x.shape[0], w.shape[0], geo.groups
    cols = _columns(x, geo)  # (G, CgKK, N Ho Wo)
    y = w.reshape(g, k // g, -1) @ cols  # (G, Kg, N Ho Wo)
    y = y.reshape(k, n, *geo.out).transpose(1, 0, 2, 3)  # (N, K, Ho, Wo)
    return y + b.reshape(1, k, 1, 1)


def conv2d_backward(
    dy: np.ndarray,
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray,
    *,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
    dilation: int | tuple[int, int] = 1,
    groups: int = 1,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    geo = conv_geometry(x, w, b, stride, padding, dilation, groups)
    x, w = np.asarray(x), np.asarray(w)  # checked by conv_geometry
    n, c = x.shape[:2]
    k, g = w.shape[0], geo.groups
    dy = output_gradient(dy, (n, k, *geo.out))
    dy_cols = dy.transpose(1, 0, 2, 3).reshape(g, k // g, -1)  # (G, Kg, N Ho Wo)
    dw = (dy_cols @ _columns(x, geo).transpose(0, 2, 1)).reshape(w.shape)  # (K, Cg, KH, KW)
    dcols = w.reshape(g, k // g, -1).transpose(0, 2, 1) @ dy_cols  # (G, CgKK, N Ho Wo)
    # col2im channel-major, matching dcols' memory order: (C, N, ...) on both sides of each add
    dwin = dcols.reshape(c, *geo.kernel, n, *geo.out).transpose(0, 3, 4, 5, 1, 2)  # (C, N, Ho, Wo, KH, KW)
    padded = (c, n, x.shape[2] + 2 * geo.padding[0], x.shape[3] + 2 * geo.padding[1])
    dx = crop(scatter_windows(dwin, padded, geo.stride, geo.dilation), geo.padding).transpose(1, 0, 2, 3)
    return np.ascontiguousarray(dx), dw, dy.sum(axis=(0, 2, 3))
