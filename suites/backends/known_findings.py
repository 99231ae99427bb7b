"""What the suites found and keep finding: checks that fail, with the reason, as strict xfails.

Two kinds, each keyed by (backend or "*", op, case or "*", dtype, direction):

- FINDINGS: a backend that really is less accurate than a careful implementation of
  the op in that dtype (the failure message says how many times). These are results,
  not bugs of the suite; a finding listed for one case that stops reproducing fails
  the run, so the list stays true. A finding for case "*" is a property of the
  backend's op in that dtype (generated cases included): where the inaccuracy is
  large enough for the bound to see depends on the case, so those checks may pass.
- BLUNT: cases whose conditioning in that dtype can leave the bound too wide to reject
  one of the sharpness controls (controls.py), depending on the backend's output;
  such a check may pass, and still checks every other dtype and every other control.
"""

from __future__ import annotations

FINDINGS: dict[tuple[str, str, str, str, str], str] = {
    **{
        (backend, "conv2d", "*", dtype, "backward"): (
            f"{backend} CPU's half-precision conv2d backward keeps partial sums in {dtype} (columns of an "
            "im2col/col2im scheme): up to ~50x (torch) and ~80x (TensorFlow) a float32-accumulating evaluation"
        )
        for backend in ("torch", "tensorflow")
        for dtype in ("float16", "bfloat16")
    },
    ("tensorflow", "adam", "defaults", "float32", "forward"): (
        "Keras holds the default beta_2 = 0.999 as float32 (0.999 + 1.3e-8), so its bias correction "
        "1 - beta_2^t is ~1.3e-5 relative off: the trajectory is ~30x a careful float32 one"
    ),
    ("tensorflow", "adam", "5_steps_5x4", "bfloat16", "forward"): (
        "Keras Adam with bfloat16 variables keeps its moments in bfloat16: ~30-280x a careful evaluation"
    ),
    ("tensorflow", "adam", "weight_decay_8_steps", "bfloat16", "forward"): "as adam[5_steps_5x4] bfloat16",
    ("tensorflow", "adam", "alternating_7_steps", "bfloat16", "forward"): "as adam[5_steps_5x4] bfloat16",
    ("tensorflow", "cosine_decay", "steps_0_to_80", "float32", "forward"): (
        "Keras computes 1 + cos(pi t / T) in float32: cancellation near t = T, ~500x a careful evaluation"
    ),
    ("tensorflow", "cosine_decay", "steps_0_to_80_lr_min", "float32", "forward"): "as cosine_decay[steps_0_to_80]",
    ("triton", "cosine_decay", "steps_0_to_80", "float32", "forward"): (
        "the angle pi t / 2T rounds in float32, so cos^2 at t = T is 1.9e-15, not 0"
    ),
    ("triton", "cosine_decay", "steps_0_to_80_lr_min", "float32", "forward"): "as cosine_decay[steps_0_to_80]",
    ("tensorflow", "standardize_channels", "batch_6x3x4x5", "float16", "forward"): (
        "TF's float16 standardisation keeps mean and variance in float16: ~20x a careful evaluation"
    ),
}

BLUNT: dict[tuple[str, str, str, str, str], str] = {
    **{
        ("*", op, "huge_logits_pm1000", dtype, direction): (
            "logits of +-1000 move the probabilities by 1000 u per unit of relative input change, "
            "so in half precision the bound cannot reject every control"
        )
        for op in ("softmax", "log_softmax", "cross_entropy")
        for dtype in ("float16", "bfloat16")
        for direction in ("forward", "backward")
    },
    **{
        ("*", op, "long_row_4x2048", "bfloat16", direction): (
            "2048 probabilities of ~1/2048 each: bfloat16's bound is wider than a 25 % change of one element"
        )
        for op in ("softmax", "log_softmax", "cross_entropy")
        for direction in ("forward", "backward")
    },
    **{
        ("*", op, "batch_6x3x4x5", "bfloat16", "forward"): (
            "the mean subtracted is rounded to bfloat16 by every framework: elements near the mean carry its error"
        )
        for op in ("subtract_mean_image", "subtract_channel_mean", "standardize_channels")
    },
    ("*", "softmax", "subnormal_tail", "bfloat16", "backward"): (
        "near-one-hot rows: the textbook backward's terms at the dominant class are far larger than its "
        "gradient, which bfloat16 cannot resolve to 25 %"
    ),
    ("*", "mul_gate", "scalar_like_1_2x3", "bfloat16", "backward"): (
        "the scalar's gradient sums six products that cancel: bfloat16 cannot resolve a 25 % change"
    ),
    ("*", "batch_norm_train", "constant_channel", "bfloat16", "backward"): (
        "a constant channel's dgamma is a sum that cancels to ~0: bfloat16 cannot resolve a 25 % change"
    ),
    **{
        ("*", "batch_norm_train", "batch_of_two", dtype, "backward"): (
            "with 2 values per channel the textbook backward every framework uses cancels to its eps part: "
            "below float64 the terms it loses are larger than dx itself"
        )
        for dtype in ("float32", "float16", "bfloat16")
    },
}


def expected_outcome(backend: str, op: str, case: str, dtype: str, direction: str, status: str) -> str | None:
    """The reason this check is known to end as ``status`` (fail or blunt), or None."""
    table = FINDINGS if status == "fail" else BLUNT if status == "blunt" else {}
    for who in (backend, "*"):
        for which in (case, "*"):
            if (who, op, which, dtype, direction) in table:
                return table[(who, op, which, dtype, direction)]
    return None
