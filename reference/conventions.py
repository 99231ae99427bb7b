"""Conventions: the places where frameworks legitimately disagree.

Each reference op that sits on such a choice takes it as a keyword argument
named after the convention, defaulting to the textbook choice. A choice that
frameworks make op by op is one convention per op (``grad_at_kink`` for ReLU,
``leaky_relu_grad_at_kink``, ...), so every op's choice can be declared. A backend
declares its choices (``Backend.conventions``); the suites evaluate the
reference under those choices, and the report prints the table.
"""

from __future__ import annotations

from dataclasses import dataclass

KINK_SIDES = ("left", "right")


@dataclass(frozen=True)
class Convention:
    name: str
    choices: tuple[str, ...]
    textbook: str
    meaning: str


CONVENTIONS: dict[str, Convention] = {
    c.name: c
    for c in (
        # one convention per kinked op: frameworks choose per op (JAX takes ReLU'(0) from
        # the left but Leaky ReLU's from the right), so a backend must be able to say so
        Convention(
            "grad_at_kink",
            KINK_SIDES,
            "left",
            "ReLU's derivative at exactly x = 0: the slope left of the kink (0) or right of it (1).",
        ),
        Convention(
            "leaky_relu_grad_at_kink",
            KINK_SIDES,
            "left",
            "Leaky ReLU's derivative at exactly x = 0: the negative slope a (left) or 1 (right).",
        ),
        Convention(
            "prelu_grad_at_kink",
            KINK_SIDES,
            "left",
            "PReLU's input derivative at exactly x = 0: the channel's slope a_c (left) or 1 (right); "
            "the slope's own gradient gets x dy = 0 there either way.",
        ),
        Convention(
            "elu_grad_at_kink",
            KINK_SIDES,
            "left",
            "ELU's derivative at exactly x = 0: alpha e^0 = alpha (left) or 1 (right); the same when alpha = 1.",
        ),
        Convention(
            "max_gate_tie",
            ("first", "split", "all"),
            "first",
            "Which input of max(a, b) gets the gradient when a == b: the first (a), "
            "half to each, or the full gradient to both.",
        ),
        Convention(
            "maxout_tie",
            ("first", "split", "all"),
            "first",
            "Which linear piece of a maxout unit gets the gradient at a tie.",
        ),
        Convention(
            "maxpool_tie",
            ("first", "split", "all"),
            "first",
            "Which element of a max-pool window gets the gradient when several equal "
            "the maximum: the first in row-major order, an equal share, or all of them.",
        ),
        Convention(
            "avgpool_count_pad",
            ("include", "exclude"),
            "include",
            "Whether average pooling divides by the full window size or only by the "
            "number of non-padding elements in it.",
        ),
        Convention(
            "bn_running_var",
            ("biased", "unbiased"),
            "biased",
            "BatchNorm running variance updated with the biased batch variance (divide "
            "by M) or the unbiased one (divide by M - 1). Normalisation always uses biased.",
        ),
        Convention(
            "bn_momentum",
            ("old", "new"),
            "old",
            "BatchNorm momentum weights the old running statistic (running = m*running + "
            "(1-m)*batch, the notes' m = 0.9) or the new batch statistic (m*batch + "
            "(1-m)*running, PyTorch's m = 0.1).",
        ),
        Convention(
            "init_normal",
            ("normal", "truncated", "truncated_unscaled"),
            "normal",
            "Xavier/He normal initialisers draw from a normal with the formula's std s; from one "
            "truncated at 2s and rescaled to keep variance s^2 (Keras' GlorotNormal / HeNormal); "
            "or truncated at 2s without rescaling, variance 0.774 s^2 (tf.random.truncated_normal(stddev=s)).",
        ),
        Convention(
            "l2_scale",
            ("half", "full"),
            "half",
            "The L2 penalty is (lambda/2) sum w^2 (gradient lambda w) or lambda sum w^2 (gradient 2 lambda w).",
        ),
        Convention(
            "l1_grad_at_zero",
            ("zero", "one", "minus_one"),
            "zero",
            "The L1 penalty's gradient l1 s at exactly w = 0: s = sign(0) = 0 (the least-norm "
            "subgradient), s = 1 (the right derivative, e.g. where(w >= 0, 1, -1)) or s = -1 (the left).",
        ),
        Convention(
            "adagrad_eps",
            ("outside", "inside"),
            "outside",
            "AdaGrad divides by sqrt(G) + eps or by sqrt(G + eps).",
        ),
        Convention(
            "rmsprop_eps",
            ("outside", "inside"),
            "outside",
            "RMSProp divides by sqrt(E[g^2]) + eps or by sqrt(E[g^2] + eps).",
        ),
        Convention(
            "adam_eps",
            ("corrected", "uncorrected"),
            "corrected",
            "Adam adds eps to sqrt(v_hat) after bias correction, or to sqrt(v) with the "
            "correction folded into the step size (eps effectively scaled by sqrt(1 - b2^t)).",
        ),
    )
}


def textbook() -> dict[str, str]:
    """The textbook choice for every convention."""
    return {name: c.textbook for name, c in CONVENTIONS.items()}


def validate(declared: dict[str, str], owner: str) -> dict[str, str]:
    """Check a backend's declaration and fill in textbook choices it leaves out."""
    unknown = sorted(set(declared) - set(CONVENTIONS))
    if unknown:
        raise ValueError(f"{owner}: unknown convention(s) {unknown}; known: {sorted(CONVENTIONS)}")
    for name, value in declared.items():
        if value not in CONVENTIONS[name].choices:
            raise ValueError(f"{owner}: convention {name!r} must be one of {CONVENTIONS[name].choices}, got {value!r}")
    return {**textbook(), **declared}
