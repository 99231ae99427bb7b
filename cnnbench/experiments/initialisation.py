"""Weight initialisation in a deep fully connected network: per-layer activation spread.

Ten layers ``h_l = f(h_{l-1} W_l^T)`` (the catalog's ``fully_connected``, zero bias, then ``tanh``
or ``relu``, run through the backend's ops) of ``width`` units on ``N`` standard-normal inputs
(notes: 1000 x 500), weights from the catalog's initialisers:

    small   0.01 * randn            large   1 * randn
    xavier  randn * sqrt(2 / (fan_in + fan_out))
    he      randn * sqrt(2 / fan_in)

Measured per layer: std of h_l; for tanh the fraction of |h_l| > 0.99 and the mean local
derivative 1 - h_l^2; backward from an upstream gradient of standard normals at the top
(``fully_connected_backward``, ``<f>_backward``), the std of each layer's weight gradient.

Verdicts, each a threshold that every seed must pass (``verdicts.every``: supported when every
seed passes, not supported when none does, otherwise inconclusive): small init collapses
(last-layer std below 1 % of the first's, tanh and ReLU); 1 * randn saturates tanh (at least half
the units saturated and a mean local derivative below 0.1) and its gradients vanish (the first
layer's weight-gradient std below 1 % of the last layer's: the notes' "all zero"; large weights
also amplify the backward signal, so this can fail while tanh' is tiny); Xavier (tanh) and He
(ReLU) keep the spread (last / first std within 10x). The inputs and the upstream gradient come
from the experiments' stream "initialisation inputs" (``common.stream``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from cnnbench.training.network import Ops, initial_weights

from .common import Experiment, Measurements, Numbers, Setting, figure, stream
from .verdicts import every, judged, spread, verdict_line

LAYERS = 10
SCHEMES = ("small", "large", "xavier", "he")
NONLINEARITIES = ("tanh", "relu")
LABELS = {"small": "0.01·randn", "large": "1·randn", "xavier": "Xavier", "he": "He"}


def deep_network(setting: Setting, nonlinearity: str, scheme: str, seed: int, width: int, n: int) -> dict[str, Any]:
    """Forward and backward through the ten layers; the per-layer statistics of the docstring."""
    backend, dtype, ops = setting.backend, setting.dtype, Ops(setting.backend)
    rng = stream(seed, "initialisation inputs")
    h = backend.asarray(rng.standard_normal((n, width)), dtype)  # (N, width)
    bias = backend.asarray(np.zeros(width), dtype)
    weights = [backend.asarray(initial_weights(scheme, (width, width), seed * 100 + i), dtype) for i in range(LAYERS)]
    inputs, outputs = [], []
    for w in weights:
        pre = ops("forward", "fully_connected", h, w, bias)  # (N, width)
        inputs.append((h, pre))
        h = ops("forward", nonlinearity, pre)
        outputs.append(backend.to_numpy(h).astype(np.float64))
    dy = backend.asarray(rng.standard_normal((n, width)), dtype)
    weight_grad_std = []
    for (h_in, pre), w in zip(reversed(inputs), reversed(weights), strict=True):
        (d_pre,) = ops("backward", f"{nonlinearity}_backward", dy, pre)
        dy, dw, _ = ops("backward", "fully_connected_backward", d_pre, h_in, w, bias)
        weight_grad_std.insert(0, float(np.std(backend.to_numpy(dw))))
    return {
        "std": [float(np.std(o)) for o in outputs],
        "saturated": [float(np.mean(np.abs(o) > 0.99)) for o in outputs],
        "derivative": [float(np.mean(1.0 - o**2)) for o in outputs],
        "weight_grad_std": weight_grad_std,
    }


def measure(setting: Setting) -> Measurements:
    width, n = setting.pick((200, 300), (500, 1000))
    layers = {
        f"{f} {s}": [deep_network(setting, f, s, seed, width, n) for seed in setting.seeds]
        for f in NONLINEARITIES
        for s in SCHEMES
    }
    spread_ratio = {key: [r["std"][-1] / r["std"][0] for r in runs] for key, runs in layers.items()}
    summary = {
        "width": width,
        "examples": n,
        "last_over_first_std": spread_ratio,
        "tanh_large_saturated": [float(np.mean(r["saturated"])) for r in layers["tanh large"]],
        "tanh_large_derivative": [float(np.mean(r["derivative"])) for r in layers["tanh large"]],
        "tanh_xavier_saturated": [float(np.mean(r["saturated"])) for r in layers["tanh xavier"]],
        "tanh_large_grad": [r["weight_grad_std"][0] / r["weight_grad_std"][-1] for r in layers["tanh large"]],
        "tanh_xavier_grad": [r["weight_grad_std"][0] / r["weight_grad_std"][-1] for r in layers["tanh xavier"]],
    }
    return {"summary": summary, "layers": layers}


def verdict(summary: Numbers) -> str:
    ratios = summary["last_over_first_std"]
    small = ratios["tanh small"] + ratios["relu small"]
    saturated, derivative = summary["tanh_large_saturated"], summary["tanh_large_derivative"]
    vanish = summary["tanh_large_grad"]
    kept = {key: ratios[key] for key in ("tanh xavier", "relu he")}
    return verdict_line(
        judged(
            "0.01·randn collapses deep activations toward zero",
            every([r < 0.01 for r in small], "1 %"),
            f"layer-10 std / layer-1 std: tanh {spread(ratios['tanh small'])}, relu {spread(ratios['relu small'])}",
        ),
        judged(
            "1·randn saturates tanh",
            every([s >= 0.5 and d < 0.1 for s, d in zip(saturated, derivative, strict=True)], "0.5 and 0.1"),
            f"{spread(saturated, '.2f')} of units |tanh| > 0.99, mean tanh' {spread(derivative, '.3f')}",
        ),
        judged(
            "and its gradients vanish toward the first layer",
            every([r < 0.01 for r in vanish], "1 %"),
            f"weight-gradient std layer 1 / layer 10: {spread(vanish)} (Xavier {spread(summary['tanh_xavier_grad'])})",
        ),
        judged(
            "Xavier (tanh) and He (ReLU) keep the spread",
            every([0.1 <= a <= 10 and 0.1 <= b <= 10 for a, b in zip(*kept.values(), strict=True)], "10x"),
            f"layer-10 / layer-1 std: tanh Xavier {spread(kept['tanh xavier'])}, relu He {spread(kept['relu he'])}"
            f"; relu Xavier {spread(ratios['relu xavier'])}",
        ),
    )


def plot(measurements: Measurements) -> Figure:
    fig, axes = figure(3, width=4.2)
    layers = range(1, LAYERS + 1)
    for ax, nonlinearity in zip(axes, NONLINEARITIES, strict=False):
        for scheme in SCHEMES:
            run = measurements["layers"][f"{nonlinearity} {scheme}"][0]
            ax.plot(layers, run["std"], marker=".", label=LABELS[scheme])
        ax.set_title(f"{nonlinearity}: activation std per layer", fontsize=10)
    for scheme in SCHEMES:
        axes[2].plot(layers, measurements["layers"][f"tanh {scheme}"][0]["weight_grad_std"], marker=".",
                     label=LABELS[scheme])  # fmt: skip
    axes[2].set_title("tanh: weight-gradient std per layer", fontsize=10)
    for ax in axes:
        ax.set_yscale("log")
        ax.set_xlabel("layer")
        ax.legend(fontsize=7)
    return fig


EXPERIMENT = Experiment(
    name="initialisation",
    claim=(
        "In a 10-layer tanh network, 0.01·randn weights shrink the activations toward zero layer by layer, "
        "1·randn weights saturate tanh so that gradients vanish, and Xavier (He for ReLU) keeps the spread."
    ),
    measure=measure,
    verdict=verdict,
    plot=plot,
)
