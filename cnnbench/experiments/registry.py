"""The experiments by name, in the order the report lists them."""

from __future__ import annotations

from . import (
    activations,
    augmentation,
    batch_norm,
    full_batch,
    initialisation,
    learning_rate,
    optimizers,
    regularisation,
    search,
    transfer,
)
from .common import Experiment

EXPERIMENTS: dict[str, Experiment] = {
    module.EXPERIMENT.name: module.EXPERIMENT
    for module in (
        full_batch,
        activations,
        initialisation,
        batch_norm,
        learning_rate,
        search,
        optimizers,
        regularisation,
        augmentation,
        transfer,
    )
}
