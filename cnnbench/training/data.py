"""The data the training runs learn, as NCHW float64 images and int64 labels.

``digits``: scikit-learn's bundled handwritten digits (1,797 images of 8 x 8 pixels, values 0..16,
ten classes), scaled to [0, 1] and split once, stratified, with a fixed seed: 1,347 training and
450 test images. ``synthetic``: ten seeded class prototypes (blocky 8 x 8 patterns) rolled by up
to a pixel (circularly) plus Gaussian noise, for fast runs.

Preprocessing is the notes' centering, with statistics of the training set only (the test set is
centred with the same numbers):

    image:    x <- x - mean over training images of x          (one mean per pixel)
    channel:  x <- x - mean over training images and pixels    (one mean per channel)
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

CENTERINGS = ("image", "channel")
TEST_FRACTION = 0.25
SPLIT_SEED = 0


@dataclass(frozen=True)
class Dataset:
    name: str
    x_train: np.ndarray  # (N, C, H, W) float64
    y_train: np.ndarray  # (N,) int64
    x_test: np.ndarray  # (M, C, H, W) float64
    y_test: np.ndarray  # (M,) int64

    @property
    def classes(self) -> int:
        return int(max(self.y_train.max(), self.y_test.max())) + 1

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(self.x_train.shape[1:])


def centred(data: Dataset, centering: str) -> Dataset:
    """``data`` with the training set's mean image (or per-channel mean) subtracted from both sets."""
    if centering not in CENTERINGS:
        raise ValueError(f"centering: expected one of {', '.join(CENTERINGS)}, got {centering!r}")
    axes = (0,) if centering == "image" else (0, 2, 3)
    mean = data.x_train.mean(axis=axes, keepdims=True)  # (1, C, H, W) or (1, C, 1, 1)
    return replace(data, x_train=data.x_train - mean, x_test=data.x_test - mean)


def digits(centering: str = "channel") -> Dataset:
    """The digits, split 1,347 / 450 by a stratified split with a fixed seed, then centred."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    bunch = load_digits()
    images = (bunch.images / 16.0)[:, None, :, :]  # (1797, 1, 8, 8) in [0, 1]
    labels = bunch.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        images, labels, test_size=TEST_FRACTION, stratify=labels, random_state=SPLIT_SEED
    )
    return centred(Dataset("digits", x_train, y_train, x_test, y_test), centering)


def synthetic(seed: int = 0, n_train: int = 640, n_test: int = 320, centering: str = "channel") -> Dataset:
    """Ten random 8 x 8 prototypes (4 x 4 blocks of 2 x 2 pixels); each example is its class's prototype rolled by
    -1, 0 or 1 pixel on each axis plus N(0, 0.3^2) noise. Reproducible from ``seed``."""
    rng = np.random.default_rng(seed)
    coarse = rng.uniform(0.0, 1.0, size=(10, 4, 4))
    prototypes = coarse.repeat(2, axis=1).repeat(2, axis=2)  # (10, 8, 8)

    def draw(n: int) -> tuple[np.ndarray, np.ndarray]:
        labels = np.arange(n, dtype=np.int64) % 10
        rng.shuffle(labels)
        shifts = rng.integers(-1, 2, size=(n, 2))
        images = np.stack([np.roll(prototypes[k], tuple(s), axis=(0, 1)) for k, s in zip(labels, shifts, strict=True)])
        images = images + rng.normal(0.0, 0.3, size=images.shape)
        return images[:, None, :, :], labels

    x_train, y_train = draw(n_train)
    x_test, y_test = draw(n_test)
    return centred(Dataset(f"synthetic-{seed}", x_train, y_train, x_test, y_test), centering)


def load(name: str, seed: int = 0, centering: str = "channel") -> Dataset:
    """``digits`` or ``synthetic`` (seeded)."""
    if name == "digits":
        return digits(centering)
    if name == "synthetic":
        return synthetic(seed, centering=centering)
    raise ValueError(f"data: expected 'digits' or 'synthetic', got {name!r}")


def only_classes(data: Dataset, classes: tuple[int, ...]) -> Dataset:
    """The examples of ``classes`` only, relabelled 0, 1, ... in the order given."""
    relabel = np.full(data.classes, -1, dtype=np.int64)
    relabel[list(classes)] = np.arange(len(classes))
    train = np.isin(data.y_train, classes)
    test = np.isin(data.y_test, classes)
    return Dataset(
        f"{data.name}[{''.join(map(str, classes))}]",
        data.x_train[train],
        relabel[data.y_train[train]],
        data.x_test[test],
        relabel[data.y_test[test]],
    )
