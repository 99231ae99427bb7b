"""Slow, obviously-correct loop twins of conv2d and the pools.

One output element at a time, straight from the definitions in ``conv.py`` and
``pool.py``. Used only by the tests that check the vectorised versions.
"""

from __future__ import annotations

import numpy as np

from ._ties import max_weights
from .conv import conv_geometry
from .pool import pool_geometry


def _padded(x: np.ndarray, p: tuple[int, int], value: float) -> np.ndarray:
    out = np.full((x.shape[0], x.shape[1], x.shape[2] + 2 * p[0], x.shape[3] + 2 * p[1]), value, dtype=x.dtype)
    out[:, :, p[0] : p[0] + x.shape[2], p[1] : p[1] + x.shape[3]] = x
    return out


def _window(a: np.ndarray, n: int, channels: slice | int, i: int, j: int, k, s, d) -> tuple:
    """Index of the window of output (i, j) in padded input ``a``."""
    rows = slice(i * s[0], i * s[0] + d[0] * (k[0] - 1) + 1, d[0])
    cols = slice(j * s[1], j * s[1] + d[1] * (k[1] - 1) + 1, d[1])
    return (n, channels, rows, cols)


def conv2d_loop(x, w, b, *, stride=1, padding=0, dilation=1, groups=1):
    geo = conv_geometry(x, w, b, stride, padding, dilation, groups)
    n_batch, k_out = x.shape[0], w.shape[0]
    cg, kg = x.shape[1] // groups, k_out // groups
    xp = _padded(x, geo.padding, 0.0)
    y = np.zeros((n_batch, k_out, *geo.out), dtype=x.dtype)
    for n in range(n_batch):
        for k in range(k_out):
            g = k // kg
            for i in range(geo.out[0]):
                for j in range(geo.out[1]):
                    idx = _window(xp, n, slice(g * cg, (g + 1) * cg), i, j, geo.kernel, geo.stride, geo.dilation)
                    y[n, k, i, j] = b[k] + np.sum(w[k] * xp[idx])
    return y


def conv2d_backward_loop(dy, x, w, b, *, stride=1, padding=0, dilation=1, groups=1):
    geo = conv_geometry(x, w, b, stride, padding, dilation, groups)
    n_batch, k_out = x.shape[0], w.shape[0]
    cg, kg = x.shape[1] // groups, k_out // groups
    xp = _padded(x, geo.padding, 0.0)
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    for n in range(n_batch):
        for k in range(k_out):
            g = k // kg
            for i in range(geo.out[0]):
                for j in range(geo.out[1]):
                    idx = _window(xp, n, slice(g * cg, (g + 1) * cg), i, j, geo.kernel, geo.stride, geo.dilation)
                    dxp[idx] += dy[n, k, i, j] * w[k]
                    dw[k] += dy[n, k, i, j] * xp[idx]
    ph, pw = geo.padding
    dx = dxp[:, :, ph : ph + x.shape[2], pw : pw + x.shape[3]]
    return dx, dw, dy.sum(axis=(0, 2, 3))


def max_pool2d_loop(x, *, kernel_size, stride=None, padding=0):
    k, s, p, out = pool_geometry(x, kernel_size, stride, padding)
    xp = _padded(x, p, -np.inf)
    y = np.zeros((*x.shape[:2], *out), dtype=x.dtype)
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            for i in range(out[0]):
                for j in range(out[1]):
                    y[n, c, i, j] = xp[_window(xp, n, c, i, j, k, s, (1, 1))].max()
    return y


def max_pool2d_backward_loop(dy, x, *, kernel_size, stride=None, padding=0, maxpool_tie="first"):
    k, s, p, out = pool_geometry(x, kernel_size, stride, padding)
    xp = _padded(x, p, -np.inf)
    dxp = np.zeros_like(xp)
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            for i in range(out[0]):
                for j in range(out[1]):
                    idx = _window(xp, n, c, i, j, k, s, (1, 1))
                    weights = max_weights(list(xp[idx].ravel()), maxpool_tie, "maxpool_tie")
                    dxp[idx] += dy[n, c, i, j] * np.reshape(weights, k)
    return (dxp[:, :, p[0] : p[0] + x.shape[2], p[1] : p[1] + x.shape[3]],)


def avg_pool2d_loop(x, *, kernel_size, stride=None, padding=0, avgpool_count_pad="include"):
    k, s, p, out = pool_geometry(x, kernel_size, stride, padding)
    xp = _padded(x, p, 0.0)
    real = _padded(np.ones_like(x), p, 0.0)
    y = np.zeros((*x.shape[:2], *out), dtype=x.dtype)
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            for i in range(out[0]):
                for j in range(out[1]):
                    idx = _window(xp, n, c, i, j, k, s, (1, 1))
                    count = k[0] * k[1] if avgpool_count_pad == "include" else real[idx].sum()
                    y[n, c, i, j] = xp[idx].sum() / count
    return y


def avg_pool2d_backward_loop(dy, x, *, kernel_size, stride=None, padding=0, avgpool_count_pad="include"):
    k, s, p, out = pool_geometry(x, kernel_size, stride, padding)
    real = _padded(np.ones_like(x), p, 0.0)
    dxp = np.zeros_like(real)
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            for i in range(out[0]):
                for j in range(out[1]):
                    idx = _window(dxp, n, c, i, j, k, s, (1, 1))
                    count = k[0] * k[1] if avgpool_count_pad == "include" else real[idx].sum()
                    dxp[idx] += dy[n, c, i, j] / count
    return (dxp[:, :, p[0] : p[0] + x.shape[2], p[1] : p[1] + x.shape[3]],)
