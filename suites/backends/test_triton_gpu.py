"""The Triton kernels compiled for a real GPU: large shapes the CPU interpreter is too
slow for, against the same reference and the same bounds, in every dtype the backend
runs (float32, and float16 / bfloat16 with float32 accumulation)."""

from __future__ import annotations

import pytest

from cnnbench.backends.registry import load
from cnnbench.conformance import check, directions
from cnnbench.reference.cases import Case, batch_norm_case, conv2d_case, distinct, normal, pool_case
from cnnbench.reference.catalog import CATALOG

pytestmark = pytest.mark.gpu

LARGE = [
    ("conv2d", conv2d_case("resnet_block_16x64x28x28", 1, 16, 64, 28, 28, 64, 3, 3, padding=1)),
    ("conv2d", conv2d_case("strided_grouped_16x64x33x33", 4, 16, 64, 33, 33, 128, 3, 3, stride=2, padding=1, groups=4)),
    ("softmax", Case("rows_4096x1000", (normal(7, 4096, 1000, scale=5.0),), {"axis": -1}, reduction=1000)),
    (
        "cross_entropy",
        Case(
            "labels_4096x1000",
            (normal(8, 4096, 1000),),
            {"target": normal(9, 4096).argsort() % 1000, "reduction": "mean"},
            reduction=1000,
        ),
    ),
    ("batch_norm_train", batch_norm_case("large_32x64x56x56", 10, normal(11, 32, 64, 56, 56), True)),
    ("max_pool2d", pool_case("3x3_s2_8x32x112x112", distinct(12, 8, 32, 112, 112), 3, stride=2, padding=1)),
    (
        "fully_connected",
        Case("4096x2048_to_1000", (normal(13, 4096, 2048), normal(14, 1000, 2048), normal(15, 1000)), reduction=2048),
    ),
]


@pytest.mark.parametrize("op_name,case", LARGE, ids=[f"{o}[{c.name}]" for o, c in LARGE])
def test_triton_large_shapes(op_name, case):
    loaded = load("triton")
    if not loaded.ok:
        pytest.skip(loaded.reason)
    op = CATALOG[op_name]
    for dtype in loaded.backend.dtypes:
        for direction in directions(op):
            result = check(loaded.backend, op, case, dtype, direction, "triton")
            assert result.passed, result.describe()
