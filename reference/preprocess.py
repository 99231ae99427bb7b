"""Data preprocessing on a batch of images (N, C, H, W).

subtract_mean_image:   x - mean_n x             (the mean image, shape (C, H, W))
subtract_channel_mean: x - mean_{n,h,w} x       (one mean per channel, as VGG)
standardize_channels:  (x - mu_c) / (sigma_c + eps) per channel, eps > 0
"""

from __future__ import annotations

import numpy as np

from .arguments import float_array, positive


def subtract_mean_image(x: np.ndarray) -> np.ndarray:
    x = float_array(x, "x", ndim=4)
    return x - x.mean(axis=0, keepdims=True)


def subtract_channel_mean(x: np.ndarray) -> np.ndarray:
    x = float_array(x, "x", ndim=4)
    return x - x.mean(axis=(0, 2, 3), keepdims=True)


def standardize_channels(x: np.ndarray, *, eps: float = 1e-8) -> np.ndarray:
    x = float_array(x, "x", ndim=4)
    positive(eps, "eps")
    centred = x - x.mean(axis=(0, 2, 3), keepdims=True)
    return centred / (np.sqrt((centred * centred).mean(axis=(0, 2, 3), keepdims=True)) + eps)
