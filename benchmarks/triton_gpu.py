"""Triton kernels against PyTorch on one GPU, written as a dated snapshot.

    python -m benchmarks.triton_gpu [--out reports/gpu] [--smoke]

For each op: the median time (triton.testing.do_bench, which flushes L2 between
runs) of the Triton kernel and of PyTorch on the same GPU with TF32 off; for the
memory-bound ops also the achieved bandwidth (bytes a minimal implementation must
move / time) as a fraction of an in-run device-to-device copy and of the card's
nominal bandwidth. ``--smoke`` runs tiny shapes with a wall-clock timer, on the
CPU interpreter if there is no GPU, to check the script itself.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from cnnbench.numerics import pinned_numerics

NOMINAL_TBPS = {"H100": 3.35, "H200": 4.8, "A100": 2.0}  # HBM bandwidth, TB/s


@dataclass
class Row:
    op: str
    shape: str
    triton_ms: float
    torch_ms: float
    bytes_moved: int  # 0 for compute-bound ops
    copy_fraction: float | None = None
    nominal_fraction: float | None = None

    @property
    def speedup(self) -> float:
        return self.torch_ms / self.triton_ms


def _timer(smoke: bool) -> Callable[[Callable[[], object]], float]:
    if not smoke:
        from triton.testing import do_bench

        return lambda fn: do_bench(fn, return_mode="median")

    def wall(fn):
        fn()
        runs = []
        for _ in range(3):
            start = time.perf_counter()
            fn()
            runs.append((time.perf_counter() - start) * 1e3)
        return statistics.median(runs)

    return wall


def workloads(torch, F, device: str, smoke: bool):
    """(op, shape, triton fn, torch fn, bytes a minimal implementation moves: 0 if compute-bound)."""
    from cnnbench.backends.triton_kernels import (
        batchnorm,
        conv,
        cross_entropy,
        dropout,
        matmul,
        optimizers,
        per_channel,
        pool,
        softmax,
    )

    def t(*shape, dtype=torch.float32):
        return torch.randn(*shape, device=device, dtype=dtype)

    rows, cols = (64, 128) if smoke else (16384, 4096)
    x2 = t(rows, cols)
    labels = torch.randint(0, cols, (rows,), device=device)
    n, c, hw = (2, 4, 8) if smoke else (64, 256, 56)
    x4 = t(n, c, hw, hw)
    gamma, beta = t(c), t(c)
    mask = (torch.rand_like(x2) > 0.5).float()
    size = rows * cols * 4
    p, g, m1, m2 = (t(rows * cols) for _ in range(4))
    m2 = m2.abs()  # a second-moment estimate is never negative
    adam = torch.optim.Adam([torch.nn.Parameter(p.clone())], lr=1e-3, fused=not smoke and device == "cuda")
    adam.param_groups[0]["params"][0].grad = g.clone()
    cn, cc, ch, ck = (2, 8, 8, 8) if smoke else (32, 128, 56, 128)
    xc, wc, bc = t(cn, cc, ch, ch), t(ck, cc, 3, 3), t(ck)
    m = 64 if smoke else 4096
    a, b = t(m, m), t(m, m)
    return [
        ("softmax forward", f"{rows}x{cols}", lambda: softmax.softmax(x2, -1), lambda: torch.softmax(x2, -1), 2 * size),
        (
            "softmax backward",
            f"{rows}x{cols}",
            lambda: softmax.softmax_backward(x2, x2, -1),
            lambda: torch._softmax_backward_data(x2, x2, -1, x2.dtype),
            3 * size,
        ),
        (
            "cross-entropy forward",
            f"{rows}x{cols}",
            lambda: cross_entropy.cross_entropy(x2, labels, "mean"),
            lambda: F.cross_entropy(x2, labels),
            size,
        ),
        (
            "batch norm train forward",
            f"{n}x{c}x{hw}x{hw}",
            lambda: batchnorm.batch_norm(x4, *per_channel.channel_moments(x4), gamma, beta, 1e-5),
            lambda: F.batch_norm(x4, None, None, gamma, beta, training=True),
            2 * x4.numel() * 4,
        ),
        (
            "dropout forward (mask given)",
            f"{rows}x{cols}",
            lambda: dropout.dropout(x2, mask, 2.0),
            lambda: x2 * mask * 2.0,
            3 * size,
        ),
        (
            "adam step",
            f"{rows * cols}",
            lambda: optimizers.adam_in_place(p, g, m1, m2, 1, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8),
            adam.step,
            7 * size,
        ),
        (
            "max pool 3x3/2 forward",
            f"{n}x{c}x{hw}x{hw}",
            lambda: pool.max_pool2d(x4, 3, 2, 1),
            lambda: F.max_pool2d(x4, 3, 2, 1),
            int(x4.numel() * 4 * 1.25),
        ),
        (
            "conv2d 3x3 forward",
            f"{cn}x{cc}x{ch}x{ch}->{ck}",
            lambda: conv.conv2d(xc, wc, bc, 1, 1, 1, 1),
            lambda: F.conv2d(xc, wc, bc, padding=1),
            0,
        ),
        ("matmul", f"{m}x{m}x{m}", lambda: matmul.matmul(a, b), lambda: a @ b, 0),
    ]


def _driver() -> str:
    try:
        query = ["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"]
        return subprocess.run(query, capture_output=True, text=True, timeout=30).stdout.strip() or "-"
    except (OSError, subprocess.SubprocessError):
        return "-"


def run(smoke: bool) -> dict:
    """Every workload timed on Triton and on torch; call inside ``pinned_numerics()``."""
    import torch
    import torch.nn.functional as F

    from cnnbench.backends.triton_backend import TritonBackend

    device = TritonBackend().device
    timer = _timer(smoke or device != "cuda")
    big = torch.empty(16 if smoke else 2**28, device=device)
    copy_ms = timer(lambda: big.clone())
    copy_tbps = 2 * big.numel() * 4 / (copy_ms * 1e-3) / 1e12
    name = torch.cuda.get_device_name() if device == "cuda" else "CPU (Triton interpreter)"
    nominal = next((v for k, v in NOMINAL_TBPS.items() if k in name), None)
    rows = []
    for op, shape, triton_fn, torch_fn, moved in workloads(torch, F, device, smoke):
        tri, ref = timer(triton_fn), timer(torch_fn)
        row = Row(op, shape, tri, ref, moved)
        if moved:
            tbps = moved / (tri * 1e-3) / 1e12
            row.copy_fraction = tbps / copy_tbps
            row.nominal_fraction = tbps / nominal if nominal else None
        rows.append(row)
    import triton

    meta = {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "gpu": name,
        "driver": _driver() if device == "cuda" else "-",
        "cuda": torch.version.cuda or "-",
        "torch": torch.__version__,
        "triton": triton.__version__,
        "python": platform.python_version(),
        "copy_TBps": round(copy_tbps, 3),
        "nominal_TBps": nominal,
        "smoke": smoke,
    }
    return {"meta": meta, "rows": [asdict(r) | {"speedup": r.speedup} for r in rows]}


def to_markdown(result: dict) -> str:
    meta = result["meta"]
    out = [f"# Triton vs PyTorch on {meta['gpu']}", ""]
    out += [f"- {k}: {v}" for k, v in meta.items()]
    out += [
        "",
        "Median times (do_bench, L2 flushed); bandwidth = bytes a minimal kernel moves / time.",
        "",
        "| op | shape | triton ms | torch ms | torch/triton | of copy bandwidth | of nominal |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in result["rows"]:
        frac = f"{r['copy_fraction']:.0%}" if r["copy_fraction"] is not None else "—"
        nom = f"{r['nominal_fraction']:.0%}" if r["nominal_fraction"] is not None else "—"
        times = f"{r['triton_ms']:.4g} | {r['torch_ms']:.4g} | {r['speedup']:.2f}"
        out.append(f"| {r['op']} | {r['shape']} | {times} | {frac} | {nom} |")
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="reports/gpu")
    parser.add_argument("--smoke", action="store_true", help="tiny shapes, wall-clock timer (checks the script)")
    args = parser.parse_args()
    with pinned_numerics():  # TF32 off for torch, the interpreter where there is no GPU
        result = run(args.smoke)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"{result['meta']['date'][:10]}-{result['meta']['gpu'].split()[-1].lower()}"
    (out / f"{stem}.json").write_text(json.dumps(result, indent=1))
    (out / f"{stem}.md").write_text(to_markdown(result))
    print(to_markdown(result))


if __name__ == "__main__":
    main()
