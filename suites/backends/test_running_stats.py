"""BatchNorm over several batches: the backend's own running statistics are fed
back in, as in training, and must track the reference's step by step."""

from __future__ import annotations

import numpy as np
import pytest

from cnnbench.compare import compare
from cnnbench.conformance import reference_for, round_to
from cnnbench.reference.cases import normal
from cnnbench.tolerance import element_bounds

BATCHES = 4


def run_batches(backend, dtype, batches, gamma, beta, stats):
    """Train-mode BatchNorm over the batches, carrying the backend's own running stats."""
    native = {k: backend.asarray(round_to(v, dtype), dtype) for k, v in stats.items()}
    g, b = (backend.asarray(round_to(a, dtype), dtype) for a in (gamma, beta))
    outputs = []
    for x in batches:
        y, mean, var = backend.op("batch_norm_train")(
            backend.asarray(round_to(x, dtype), dtype), g, b, **native, momentum=0.875, eps=2**-10
        )
        native = {"running_mean": mean, "running_var": var}
        outputs += [backend.to_numpy(y), backend.to_numpy(mean), backend.to_numpy(var)]
    return outputs


@pytest.mark.parametrize("shape", [(16, 3), (4, 3, 5, 5)])
def test_running_statistics_track_the_reference(loaded_backend, dtype, shape):
    backend = loaded_backend.backend
    if not backend.implements("batch_norm_train"):
        pytest.skip("not implemented: batch_norm_train")
    if dtype not in backend.dtypes_of("batch_norm_train"):
        pytest.skip(f"not implemented: batch_norm_train is not declared in {dtype} (op_dtypes)")
    if dtype not in ("float64", "float32"):
        pytest.skip("running statistics are kept in float32 or wider")
    batches = [normal(300 + i, *shape, scale=1.0 + i) + i for i in range(BATCHES)]
    gamma, beta = normal(310, 3), normal(311, 3)
    stats = {"running_mean": np.zeros(3), "running_var": np.ones(3)}
    expected = run_batches(
        reference_for(backend),
        "float64",
        [round_to(x, dtype).astype(np.float64) for x in batches],
        round_to(gamma, dtype).astype(np.float64),
        round_to(beta, dtype).astype(np.float64),
        stats,
    )
    actual = run_batches(backend, dtype, batches, gamma, beta, stats)
    per_channel = int(np.prod(shape)) // 3
    for step, (got, want) in enumerate(zip(actual, expected, strict=True)):
        what = ("y", "running_mean", "running_var")[step % 3] + f" after batch {step // 3 + 1}"
        # averages over the batches: no cancellation, so |r| is the scale of the terms
        bounds = element_bounds(dtype, want, np.abs(want), np.zeros_like(want), per_channel * BATCHES)
        result = compare(got, want, bounds, what)
        assert result.ok, f"{loaded_backend.name} {dtype}: {result.message}"
