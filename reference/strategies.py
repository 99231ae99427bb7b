"""Hypothesis strategies that draw whole ``Case`` objects for the shape-heavy ops.

Each draws a valid configuration (sizes, stride, padding, dilation, groups,
including a kernel as large as the padded input and a batch of one) and a seed,
then builds the arrays from the seed, so a failing example shrinks to a small,
readable configuration.
"""

from __future__ import annotations

from hypothesis import strategies as st

from .cases import Case, batch_norm_case, conv2d_case, distinct, normal, pool_case

dims = st.integers(1, 3)


@st.composite
def conv2d(draw: st.DrawFn) -> Case:
    groups = draw(st.integers(1, 3))
    c, k = groups * draw(dims), groups * draw(dims)
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    dh, dw = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    ph, pw = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    # at least the dilated kernel extent once padded, so the output is never empty
    h = draw(st.integers(max(1, dh * (kh - 1) + 1 - 2 * ph), 8))
    w = draw(st.integers(max(1, dw * (kw - 1) + 1 - 2 * pw), 8))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    seed = draw(st.integers(0, 2**31 - 1))
    return conv2d_case(
        "hypothesis",
        seed,
        draw(st.integers(1, 2)),
        c,
        h,
        w,
        k,
        kh,
        kw,
        stride=stride,
        padding=(ph, pw),
        dilation=(dh, dw),
        groups=groups,
    )


@st.composite
def pool(draw: st.DrawFn) -> Case:
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    ph, pw = draw(st.integers(0, kh // 2)), draw(st.integers(0, kw // 2))
    h = draw(st.integers(max(1, kh - 2 * ph), 9))
    w = draw(st.integers(max(1, kw - 2 * pw), 9))
    stride = draw(st.none() | st.tuples(st.integers(1, 4), st.integers(1, 4)))
    x = distinct(draw(st.integers(0, 2**31 - 1)), draw(st.integers(1, 2)), draw(dims), h, w)
    return pool_case("hypothesis", x, (kh, kw), stride=stride, padding=(ph, pw))


@st.composite
def softmax(draw: st.DrawFn) -> Case:
    shape = tuple(draw(st.lists(st.integers(1, 6), min_size=1, max_size=3)))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    scale = draw(st.sampled_from([0.1, 1.0, 10.0, 300.0]))
    return Case(
        "hypothesis",
        (normal(draw(st.integers(0, 2**31 - 1)), *shape, scale=scale),),
        {"axis": axis},
        reduction=shape[axis],
    )


@st.composite
def batch_norm_train(draw: st.DrawFn) -> Case:
    image = draw(st.booleans())
    # a channel of 2 values leaves dx only its eps part (the fixed case batch_of_two probes that)
    n, c = draw(st.integers(3, 6)), draw(st.integers(1, 4))
    shape = (n, c, draw(st.integers(1, 4)), draw(st.integers(1, 4))) if image else (n, c)
    seed = draw(st.integers(0, 2**31 - 1))
    return batch_norm_case(
        "hypothesis", seed, normal(seed + 7, *shape), True, momentum=draw(st.sampled_from([0.0, 0.125, 0.875]))
    )


@st.composite
def fully_connected(draw: st.DrawFn) -> Case:
    n, d, m = draw(st.integers(1, 6)), draw(st.integers(1, 40)), draw(st.integers(1, 6))
    seed = draw(st.integers(0, 2**31 - 1))
    return Case("hypothesis", (normal(seed, n, d), normal(seed + 1, m, d), normal(seed + 2, m)), reduction=d)


@st.composite
def broadcast_pair(draw: st.DrawFn) -> Case:
    """Two shapes that broadcast: b drops leading axes of a's shape and sets some to 1."""
    shape = draw(st.lists(st.integers(1, 4), min_size=1, max_size=4))
    keep = draw(st.integers(0, len(shape)))
    b_shape = [1 if draw(st.booleans()) else n for n in shape[len(shape) - keep :]]
    seed = draw(st.integers(0, 2**31 - 1))
    # offset by half a spacing: a and b never tie, so the max gate is smooth
    return Case("hypothesis", (distinct(seed, *shape), distinct(seed + 1, *b_shape) + 0.005))
