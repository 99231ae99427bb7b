"""Fixed input cases for every op in the catalog: float64, seeded, deterministic.

Scalar hyperparameters are binary fractions (0.25, 0.875, 2**-27, ...), exact in
every float type, so a framework that keeps them in float32 (Keras does) is
judged on its arithmetic, not on how 0.1 rounds.

Each generator returns a list of ``Case``. Inputs that make naive code break are
here on purpose: logits of +-1000, ties in pooling and maxout, a constant
BatchNorm channel, p = 0 and p near 1, a kernel as large as the padded input,
stride larger than the kernel, a batch of one, odd sizes. Cases whose inputs sit
on a kink or a tie are marked ``smooth=False``: finite differences do not apply
there, and they are what checks a backend's declared convention.

Every op whose reference signature has keyword defaults is also called once
without them (cases named ``defaults`` or ``default_<knob>``): a backend must
take the reference's defaults, not its framework's (tf.nn.leaky_relu's slope
is 0.2, the reference's 0.01). Defaults that are not binary fractions (0.01,
0.9, 1e-5, ...) are checked in float32 and the half types only: a framework
that keeps them in float32 would be off by ~1e-9 in float64 for that reason
alone.

Long reductions (conv2d with C KH KW = 2304, a 2048-wide fully connected
layer, 2048-class softmax rows) are where accumulating in half precision
instead of float32 shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Case:
    """One call of an op: positional inputs (differentiated) and keyword params."""

    name: str
    inputs: tuple[np.ndarray, ...]
    params: dict[str, Any] = field(default_factory=dict)
    reduction: int = 1  # longest sum feeding one output element; scales the tolerance
    smooth: bool = True  # False: an input sits on a kink or tie
    dtypes: tuple[str, ...] | None = None  # where the case means something (None: every dtype)


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def normal(seed: int, *shape: int, scale: float = 1.0) -> np.ndarray:
    return scale * rng(seed).standard_normal(shape)


def off_zero(seed: int, *shape: int, margin: float = 0.05) -> np.ndarray:
    """Normal draws pushed at least ``margin`` away from 0 (away from ReLU-type kinks)."""
    x = normal(seed, *shape)
    return np.where(x >= 0, x + margin, x - margin)


def distinct(seed: int, *shape: int) -> np.ndarray:
    """All-different values spaced >= 0.01 apart: no ties in any max."""
    return rng(seed).permutation(np.arange(int(np.prod(shape)))).reshape(shape) * 0.01 - 0.5


def small_ints(seed: int, *shape: int, low: int = -3, high: int = 4) -> np.ndarray:
    """Small integers: exact in every float type, so ties stay ties after any cast."""
    return rng(seed).integers(low, high, shape).astype(np.float64)


def positive_var(seed: int, n: int) -> np.ndarray:
    return rng(seed).uniform(0.5, 2.0, n)


# defaults that are not binary fractions: not meaningful in float64 (see the module docstring)
NOT_FLOAT64 = ("float32", "float16", "bfloat16")


# ---------------------------------------------------------------- output and loss
def softmax_cases() -> list[Case]:
    return [
        Case("rows_4x10", (normal(1, 4, 10, scale=2.0),), {"axis": -1}, reduction=10),
        Case("single_1x1", (normal(2, 1, 1),), {"axis": -1}),
        Case("huge_logits_pm1000", (1000.0 * np.sign(normal(3, 3, 7)) + normal(4, 3, 7),), {"axis": -1}, reduction=7),
        Case("axis1_3d", (normal(5, 2, 5, 3),), {"axis": 1}, reduction=5),
        # the small probabilities are float32 subnormals (e^-92): frameworks may flush them to zero
        Case("subnormal_tail", (np.array([[144.8, 52.4, 60.0], [0.5, -91.0, 3.0]]),), {"axis": -1}, reduction=3),
        # a sum of 2048 exponentials: accumulated in half precision it shows
        Case("long_row_4x2048", (normal(6, 4, 2048, scale=2.0),), {"axis": -1}, reduction=2048),
        Case("default_axis", (normal(7, 3, 6),), reduction=6),  # axis=-1, not the first or "implicit" one
    ]


def cross_entropy_cases() -> list[Case]:
    soft = rng(14).dirichlet(np.ones(7), size=5)
    return [
        Case(
            "labels_8x10",
            (normal(10, 8, 10, scale=2.0),),
            {"target": rng(11).integers(0, 10, 8), "reduction": "mean"},
            reduction=10,
        ),
        Case("labels_sum", (normal(12, 6, 4),), {"target": rng(13).integers(0, 4, 6), "reduction": "sum"}, reduction=6),
        Case("soft_targets_5x7", (normal(15, 5, 7),), {"target": soft, "reduction": "mean"}, reduction=7),
        Case("batch_of_one", (normal(16, 1, 3),), {"target": np.array([2]), "reduction": "mean"}, reduction=3),
        Case(
            "huge_logits_pm1000",
            (1000.0 * np.sign(normal(17, 4, 6)) + normal(18, 4, 6),),
            {"target": np.array([0, 1, 2, 3]), "reduction": "mean"},
            reduction=6,
        ),
        Case(
            "long_row_4x2048",
            (normal(19, 4, 2048, scale=2.0),),
            {"target": np.array([5, 2047, 0, 1024]), "reduction": "mean"},
            reduction=2048,
        ),
        Case("default_reduction", (normal(9, 6, 5),), {"target": rng(8).integers(0, 5, 6)}, reduction=6),  # mean
    ]


def mse_cases() -> list[Case]:
    return [
        Case("matrix_4x5", (normal(20, 4, 5),), {"target": normal(21, 4, 5), "reduction": "mean"}, reduction=20),
        Case("sum_3d", (normal(22, 2, 3, 4),), {"target": normal(23, 2, 3, 4), "reduction": "sum"}, reduction=24),
        Case("one_element", (normal(24, 1),), {"target": normal(25, 1), "reduction": "mean"}),
        Case("default_reduction", (normal(26, 3, 5),), {"target": normal(27, 3, 5)}, reduction=15),  # mean
    ]


# ---------------------------------------------------------------- activations
def smooth_activation_cases(seed: int) -> list[Case]:
    saturated = normal(seed + 2, 4, 6)
    saturated[:2] = np.sign(saturated[:2]) * np.array([[30.0], [1000.0]])  # exp(1000) overflows any float
    return [
        Case("matrix_3x4", (normal(seed, 3, 4, scale=2.0),)),
        Case("image_2x3x5x5", (normal(seed + 1, 2, 3, 5, 5),)),
        Case("saturated_pm30_pm1000", (saturated,)),
    ]


def kinked_activation_cases(seed: int, default_dtypes: tuple[str, ...] | None = None, **params: Any) -> list[Case]:
    """Cases with ``params``; with params, also one call without them (the defaults), checked
    in ``default_dtypes`` (None: every dtype)."""
    at_kink = small_ints(seed + 2, 5, 6, low=-1, high=2)  # a third of the entries exactly 0
    cases = [
        Case("matrix_3x4", (off_zero(seed, 3, 4),), dict(params)),
        Case("image_2x3x5x5", (off_zero(seed + 1, 2, 3, 5, 5),), dict(params)),
        Case("zeros_at_kink", (at_kink,), dict(params), smooth=False),
    ]
    if params:
        knobs = "_".join(params)
        cases.append(Case(f"default_{knobs}", (off_zero(seed + 3, 4, 5),), dtypes=default_dtypes))
    return cases


def prelu_cases() -> list[Case]:
    return [
        Case("per_channel_2x3x4x4", (off_zero(40, 2, 3, 4, 4), rng(41).uniform(0.05, 0.5, 3))),
        Case("shared_slope_5x6", (off_zero(42, 5, 6), np.array([0.25]))),
        Case("zeros_at_kink", (small_ints(43, 4, 3, low=-1, high=2), np.array([0.1, 0.2, 0.3])), smooth=False),
    ]


def maxout_cases() -> list[Case]:
    w_tied = np.repeat(small_ints(52, 1, 3, 4), 2, axis=0)  # two identical pieces: every unit ties
    return [
        Case("pieces3_4x6", (normal(50, 4, 6), normal(51, 3, 5, 6), normal(53, 3, 5)), reduction=6),
        Case("batch_of_one", (normal(54, 1, 2), normal(55, 2, 3, 2), normal(56, 2, 3)), reduction=2),
        Case("tied_pieces", (small_ints(57, 3, 4), w_tied, np.zeros((2, 3))), reduction=4, smooth=False),
    ]


# ---------------------------------------------------------------- gates
def gate_cases(seed: int, tie: bool = False) -> list[Case]:
    cases = [
        Case("same_shape_3x4", (distinct(seed, 3, 4), distinct(seed + 1, 3, 4) + 0.005)),
        Case("broadcast_col_2x3x4_3x1", (distinct(seed + 2, 2, 3, 4), distinct(seed + 3, 3, 1) + 0.005)),
        Case("broadcast_both_4x1x5_1x3x1", (distinct(seed + 4, 4, 1, 5), distinct(seed + 5, 1, 3, 1) + 0.005)),
        Case("scalar_like_1_2x3", (distinct(seed + 6, 1), distinct(seed + 7, 2, 3) + 0.005)),
    ]
    if tie:
        cases.append(
            Case(
                "ties",
                (small_ints(seed + 8, 4, 5, low=0, high=2), small_ints(seed + 9, 4, 5, low=0, high=2)),
                smooth=False,
            )
        )
    return cases


# ---------------------------------------------------------------- layers
def fully_connected_cases() -> list[Case]:
    return [
        Case("4x6_to_5", (normal(60, 4, 6), normal(61, 5, 6), normal(62, 5)), reduction=6),
        Case("batch_of_one", (normal(63, 1, 3), normal(64, 2, 3), normal(65, 2)), reduction=3),
        Case("odd_7x33_to_9", (normal(66, 7, 33), normal(67, 9, 33), normal(68, 9)), reduction=33),
        # W (5, 5): a transposed dW has the right shape, so only its values can catch it
        Case("square_3x5_to_5", (normal(69, 3, 5), normal(58, 5, 5), normal(59, 5)), reduction=5),
        Case("long_reduction_4x2048_to_8", (normal(55, 4, 2048), normal(56, 8, 2048), normal(57, 8)), reduction=2048),
    ]


def flatten_cases() -> list[Case]:
    return [Case("image_2x3x4x5", (normal(70, 2, 3, 4, 5),)), Case("ones_1x1x1x1", (normal(71, 1, 1, 1, 1),))]


def conv2d_case(name: str, seed: int, n: int, c: int, h: int, w: int, k: int, kh: int, kw: int, **params: Any) -> Case:
    groups = params.get("groups", 1)
    inputs = (normal(seed, n, c, h, w), normal(seed + 1, k, c // groups, kh, kw), normal(seed + 2, k))
    return Case(
        name, inputs, {"stride": 1, "padding": 0, "dilation": 1, "groups": 1, **params}, reduction=c // groups * kh * kw
    )


def conv2d_cases() -> list[Case]:
    return [
        conv2d_case("3x3_pad1", 80, 2, 3, 7, 7, 4, 3, 3, padding=1),
        conv2d_case("stride2_odd", 83, 2, 2, 9, 8, 3, 3, 3, stride=2, padding=1),
        conv2d_case("dilation2", 86, 1, 2, 9, 9, 2, 3, 3, dilation=2, padding=2),
        conv2d_case("groups2", 89, 2, 4, 6, 6, 6, 3, 3, groups=2, padding=1),
        conv2d_case("depthwise", 92, 1, 3, 5, 5, 3, 3, 3, groups=3),
        conv2d_case("nonsquare_2x3_pad_0_1", 95, 2, 2, 6, 5, 3, 2, 3, padding=(0, 1)),
        conv2d_case("kernel_fills_padded_input", 98, 1, 2, 5, 5, 2, 7, 7, padding=1),
        conv2d_case("stride_gt_kernel", 101, 2, 2, 9, 9, 2, 2, 2, stride=3),
        conv2d_case("batch_of_one_1x1", 104, 1, 5, 3, 4, 2, 1, 1),
        # C KH KW = 2304 products per output: half-precision accumulation shows
        conv2d_case("long_reduction_c256_3x3", 107, 2, 256, 6, 6, 8, 3, 3),
        # stride, padding, dilation and groups left to their defaults (1, 0, 1, 1)
        Case("defaults", (normal(110, 2, 3, 5, 5), normal(111, 4, 3, 3, 3), normal(112, 4)), reduction=27),
    ]


def pool_case(name: str, x: np.ndarray, kernel_size, stride=None, padding=0, smooth: bool = True) -> Case:
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    return Case(
        name, (x,), {"kernel_size": kernel_size, "stride": stride, "padding": padding}, reduction=kh * kw, smooth=smooth
    )


def pool_cases(seed: int) -> list[Case]:
    return [
        pool_case("2x2_stride2", distinct(seed, 2, 3, 8, 8), 2),
        pool_case("3x3_stride2_pad1_odd", distinct(seed + 1, 1, 2, 7, 9), 3, stride=2, padding=1),
        pool_case("nonsquare_2x3_stride1", distinct(seed + 2, 2, 2, 5, 6), (2, 3), stride=1),
        pool_case("stride_gt_kernel", distinct(seed + 3, 1, 2, 9, 9), 2, stride=3),
        pool_case("ragged_last_window", distinct(seed + 6, 1, 2, 8, 8), 3, stride=2),  # floor, not ceil: 3 windows
        # floor((8 + 2 - 3) / 2) + 1 = 4 rows but ceil gives 5 (10 columns: 5 vs 6): ceil_mode shows
        pool_case("3x3_stride2_pad1_floor_ne_ceil", distinct(seed + 7, 1, 2, 8, 10), 3, stride=2, padding=1),
        pool_case("kernel_fills_input", distinct(seed + 4, 2, 1, 4, 4), 4),
        # stride defaults to the kernel size, padding to 0
        Case("default_stride", (distinct(seed + 8, 2, 2, 6, 6),), {"kernel_size": 2}, reduction=4),
        pool_case(
            "ties_overlapping", small_ints(seed + 5, 2, 2, 6, 6, low=0, high=2), 3, stride=1, padding=1, smooth=False
        ),
    ]


def residual_add_cases() -> list[Case]:
    return [
        Case("image_2x3x4x4", (normal(110, 2, 3, 4, 4), normal(111, 2, 3, 4, 4))),
        Case("matrix_1x7", (normal(112, 1, 7), normal(113, 1, 7))),
    ]


def channel_concat_cases() -> list[Case]:
    return [
        Case("two_2x3_2x5", (normal(120, 2, 3, 4, 4), normal(121, 2, 5, 4, 4))),
        Case("three_1x1_1x2_1x4", (normal(122, 1, 1, 3, 5), normal(123, 1, 2, 3, 5), normal(124, 1, 4, 3, 5))),
    ]


# ---------------------------------------------------------------- batch norm and dropout
def batch_norm_case(name: str, seed: int, x: np.ndarray, train: bool, **params: Any) -> Case:
    c = x.shape[1]
    inputs = (x, rng(seed).uniform(0.5, 1.5, c), normal(seed + 1, c))
    stats = {"running_mean": normal(seed + 2, c, scale=0.1), "running_var": positive_var(seed + 3, c), "eps": 2**-17}
    if train:
        stats["momentum"] = 0.875
    return Case(name, inputs, {**stats, **params}, reduction=x.size // c)


def batch_norm_train_cases() -> list[Case]:
    const = normal(134, 4, 3, 5, 5)
    const[:, 1] = 0.75  # zero variance channel; 0.75 sums exactly in every float type
    return [
        batch_norm_case("dense_8x5", 130, normal(131, 8, 5, scale=2.0) + 1.0, True),
        batch_norm_case("image_4x3x5x5", 132, normal(133, 4, 3, 5, 5), True),
        # zero variance must not give NaN; eps 2^-10 (Keras' default size) keeps dgamma's
        # amplification of rounding, 1/sqrt(eps), ordinary
        batch_norm_case("constant_channel", 135, const, True, eps=2**-10),
        batch_norm_case("batch_of_two", 136, normal(137, 2, 4), True),
        # channel variances near eps, so that eps changes the result by far more than rounding
        batch_norm_case(
            "eps_2^-10_momentum_0.5", 138, normal(139, 6, 3, 2, 3, scale=2**-5), True, eps=2**-10, momentum=0.5
        ),
        large_mean_case(),
        defaults_case(batch_norm_case("defaults", 148, normal(149, 6, 3), True)),  # momentum 0.9, eps 1e-5
    ]


def large_mean_case() -> Case:
    """Channel means 1e3, 3e3, 1e4 against std 1: a variance taken as E[x^2] - E[x]^2 cancels
    catastrophically in float32 (x^2 ~ 1e8, one ulp ~ 8), a two-pass one does not. In half
    precision the inputs themselves round to steps of 0.5 to 8, so the case means nothing there."""
    x = normal(147, 8, 3, 4, 4) + np.array([1e3, 3e3, 1e4])[None, :, None, None]
    case = batch_norm_case("large_mean_1e3_to_1e4_std_1", 146, x, True)
    return replace(case, dtypes=("float64", "float32"))


def defaults_case(case: Case) -> Case:
    """``case`` without momentum and eps: the reference's defaults (not binary fractions) apply."""
    params = {k: v for k, v in case.params.items() if k not in ("momentum", "eps")}
    return replace(case, params=params, dtypes=NOT_FLOAT64)


def batch_norm_eval_cases() -> list[Case]:
    return [
        batch_norm_case("dense_8x5", 140, normal(141, 8, 5), False),
        batch_norm_case("image_4x3x5x5", 142, normal(143, 4, 3, 5, 5), False),
        # running variances comparable to eps, so where eps goes shows even in float32
        batch_norm_case("small_running_var", 144, normal(145, 6, 3), False, running_var=np.full(3, 2**-10), eps=2**-10),
        defaults_case(batch_norm_case("defaults", 158, normal(159, 6, 3), False)),  # eps 1e-5
    ]


def dropout_cases() -> list[Case]:
    def case(name: str, seed: int, shape: tuple[int, ...], p: float) -> Case:
        mask = (rng(seed + 1).random(shape) >= p).astype(np.float64)
        return Case(name, (normal(seed, *shape),), {"mask": mask, "p": p})

    return [
        case("p0.5_4x6", 150, (4, 6), 0.5),
        case("p0_keep_all", 152, (3, 5), 0.0),
        case("p0.95_near_one", 154, (6, 8), 0.95),
        case("image_p0.2", 156, (2, 3, 4, 4), 0.2),
    ]


def dropout_mask_cases() -> list[Case]:
    return [Case(f"p{p}", (), {"shape": (200, 300), "p": p, "seed": 7}) for p in (0.5, 0.1, 0.9)]


# ---------------------------------------------------------------- init and penalties
def init_cases(extra: dict[str, Any] | None = None, **params: Any) -> list[Case]:
    """Two layouts; ``extra`` adds a case with a non-default knob (gain, scale) that must be honoured."""
    cases = [
        Case("linear_256x512", (), {"shape": (256, 512), "seed": 3, **params}),
        Case("conv_64x32x3x3", (), {"shape": (64, 32, 3, 3), "seed": 4, **params}),
    ]
    if extra:
        knobs = "_".join(f"{k}_{v}" for k, v in extra.items())
        cases.append(Case(f"linear_{knobs}", (), {"shape": (256, 512), "seed": 5, **params, **extra}))
    return cases


def penalty_cases(**params: Any) -> list[Case]:
    w = off_zero(160, 5, 4)
    return [
        Case("matrix_5x4", (w,), dict(params), reduction=20),
        Case("conv_2x3x3x3", (off_zero(161, 2, 3, 3, 3),), dict(params), reduction=54),
        Case("zeros_at_kink", (small_ints(162, 4, 4, low=-1, high=2),), dict(params), reduction=16, smooth=False),
    ]


# ---------------------------------------------------------------- optimizers and schedules
def _alternating(seed: int, steps: int, n: int) -> np.ndarray:
    """Gradients that flip sign each step and shrink after a large first one."""
    scale = np.where(np.arange(steps) == 0, 4.0, 0.1)[:, None]
    return scale * (-1.0) ** np.arange(steps)[:, None] * (np.abs(normal(seed, steps, n)) + 0.1)


def _shrinking(seed: int, steps: int, *shape: int) -> np.ndarray:
    """Gradients of scale 1 for three steps, then 1/8: running averages of g and g^2 fall."""
    scale = np.where(np.arange(steps) < 3, 1.0, 1 / 8).reshape(-1, *([1] * len(shape)))
    return scale * normal(seed, steps, *shape)


# Fast-moving averages, large steps and strong decay: variants (AMSGrad, dampening, lr decay, coupled
# weight decay) change the result by more than half-precision rounding does.
FAST_AVERAGES = {"momentum": 0.5, "rho": 0.5, "beta1": 0.5, "beta2": 0.5}


def optimizer_cases(**hyper: Any) -> list[Case]:
    """Several steps with the state carried: inputs (param,), params hold the gradient sequence.
    Each parameter is its own trajectory (reduction 1): c measures what the steps accumulate.
    Where ``hyper`` sets more than lr, a ``defaults`` case leaves the rest to the reference's defaults."""
    cases = [
        Case("5_steps_5x4", (normal(170, 5, 4),), {"grads": normal(171, 5, 5, 4), **hyper}),
        Case(
            "weight_decay_8_steps",
            (normal(172, 3, 3),),
            {"grads": normal(173, 8, 3, 3), **hyper, "weight_decay": 2**-7},
        ),
        # a sign-flipping gradient with a large first step: second-moment averages fall as well as rise
        Case("alternating_7_steps", (normal(176, 6),), {"grads": _alternating(177, 7, 6), **hyper}),
        Case(
            "large_steps_shrinking_grads_16",
            (normal(180, 4, 3),),
            {
                "grads": _shrinking(181, 16, 4, 3),
                **hyper,
                **{k: v for k, v in FAST_AVERAGES.items() if k in hyper},
                "lr": 16 * hyper["lr"],
                "weight_decay": 2**-3,
            },
        ),
        # probes where eps enters; in half precision eps and g^2 underflow to zero, so float32 and up only
        Case(
            "tiny_grads_1e-6",
            (normal(174, 4),),
            {"grads": normal(175, 6, 4, scale=1e-6), **hyper},
            dtypes=("float64", "float32"),
        ),
    ]
    return cases + optimizer_defaults_cases(hyper)


def optimizer_defaults_cases(hyper: dict[str, Any]) -> list[Case]:
    """Where ``hyper`` sets more than lr, one call with lr only: the rest take the reference's
    defaults. Where the optimizer has an eps, the gradients are tiny (2^-20) so that its default
    shows too; they underflow in half precision, so that case is float32 only."""
    if not set(hyper) - {"lr"}:
        return []
    if "eps" in hyper:
        grads, dtypes = normal(179, 5, 5, 4, scale=2**-20), ("float32",)
    else:
        grads, dtypes = normal(179, 5, 5, 4), NOT_FLOAT64
    params = {"grads": grads, "lr": hyper["lr"]}
    return [Case("defaults", (normal(178, 5, 4),), params, dtypes=dtypes)]


def schedule_cases(extra: dict[str, Any] | None = None, last: int = 99, **params: Any) -> list[Case]:
    """Learning rates are float32 numbers in practice (Keras computes schedules in float32).
    The first case leaves optional knobs to their defaults; ``extra`` adds one that sets them."""
    steps = {"steps": np.arange(last + 1), **params}
    cases = [Case(f"steps_0_to_{last}", (), steps, dtypes=("float32",))]
    if extra:
        knobs = "_".join(extra)
        cases.append(Case(f"steps_0_to_{last}_{knobs}", (), {**steps, **extra}, dtypes=("float32",)))
    return cases


# ---------------------------------------------------------------- preprocessing
def preprocess_cases() -> list[Case]:
    return [
        Case("batch_6x3x4x5", (normal(180, 6, 3, 4, 5, scale=3.0) + 100.0,), reduction=6 * 20),
        Case("batch_of_one", (normal(181, 1, 2, 3, 3),), reduction=9),
    ]
