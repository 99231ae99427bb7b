"""Weight initialisation, seeded.

Fans of a weight: linear (M, D): fan_in = D, fan_out = M;
conv (K, C, KH, KW): fan_in = C KH KW, fan_out = K KH KW.

    small_random:   0.01 * N(0, 1)          large_random: 1.0 * N(0, 1)
    xavier_normal:  std = gain sqrt(2 / (fan_in + fan_out))
    xavier_uniform: U(-a, a), a = gain sqrt(6 / (fan_in + fan_out))
    he_normal:      std = sqrt(2 / fan_in)
    he_uniform:     U(-a, a), a = sqrt(6 / fan_in)

Every size in ``shape`` is an int >= 1 (so no fan is zero), ``seed`` an int >= 0,
``scale`` and ``gain`` positive.

The normal ones follow the ``init_normal`` convention, for the formula's std s:

    normal:              s N(0, 1)
    truncated:           s / 0.87962566 T, T ~ N(0, 1) truncated to [-2, 2]: variance s^2,
                         |w| <= 2.27 s (Keras' GlorotNormal / HeNormal)
    truncated_unscaled:  s T: variance 0.77374 s^2, |w| <= 2 s
                         (tf.random.truncated_normal(stddev=s), Keras' TruncatedNormal)
"""

from __future__ import annotations

import math

import numpy as np

from .arguments import array_shape, choice, integer, positive

NORMALS = ("normal", "truncated", "truncated_unscaled")
# Std of a standard normal truncated to [-2, 2]; dividing by it restores unit variance.
TRUNCATED_STD = 0.87962566103423978


def fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """(fan_in, fan_out) of a linear (M, D) or conv (K, C, KH, KW) weight: every size >= 1."""
    shape = array_shape(shape)
    if len(shape) < 2:
        raise ValueError(f"shape: expected a weight shape of at least 2 dims (out, in, ...), got {shape}")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _truncated(rng: np.random.Generator, shape) -> np.ndarray:
    """Standard normal draws truncated to [-2, 2] (redrawn outside)."""
    draws = rng.standard_normal(shape)
    bad = np.abs(draws) > 2.0
    while bad.any():
        draws[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(draws) > 2.0
    return draws


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(integer(seed, "seed", minimum=0))


def _normal(shape, seed: int, std: float, init_normal: str) -> np.ndarray:
    rng = _rng(seed)
    kind = choice(init_normal, "init_normal", NORMALS)
    if kind == "normal":
        return std * rng.standard_normal(shape)
    scale = std / TRUNCATED_STD if kind == "truncated" else std
    return scale * _truncated(rng, shape)


def _uniform(shape, seed: int, limit: float) -> np.ndarray:
    return _rng(seed).uniform(-limit, limit, shape)


def small_random(*, shape: tuple[int, ...], seed: int, scale: float = 0.01) -> np.ndarray:
    return positive(scale, "scale") * _rng(seed).standard_normal(array_shape(shape))


def large_random(*, shape: tuple[int, ...], seed: int, scale: float = 1.0) -> np.ndarray:
    return small_random(shape=shape, seed=seed, scale=scale)


def xavier_normal(*, shape: tuple[int, ...], seed: int, gain: float = 1.0, init_normal: str = "normal") -> np.ndarray:
    fan_in, fan_out = fans(shape)
    positive(gain, "gain")
    return _normal(shape, seed, gain * math.sqrt(2.0 / (fan_in + fan_out)), init_normal)


def xavier_uniform(*, shape: tuple[int, ...], seed: int, gain: float = 1.0) -> np.ndarray:
    fan_in, fan_out = fans(shape)
    positive(gain, "gain")
    return _uniform(shape, seed, gain * math.sqrt(6.0 / (fan_in + fan_out)))


def he_normal(*, shape: tuple[int, ...], seed: int, init_normal: str = "normal") -> np.ndarray:
    return _normal(shape, seed, math.sqrt(2.0 / fans(shape)[0]), init_normal)


def he_uniform(*, shape: tuple[int, ...], seed: int) -> np.ndarray:
    return _uniform(shape, seed, math.sqrt(6.0 / fans(shape)[0]))
