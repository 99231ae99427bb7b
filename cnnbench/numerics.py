"""The process-wide numeric settings of a correctness run, in one context.

A check must see each framework's own arithmetic, not TF32 matmuls or a nondeterministic
kernel choice, and Triton needs its CPU interpreter where there is no GPU. These are
process-wide switches, so nothing sets them on import or in a constructor: the CLI and
the suites enter ``pinned_numerics()`` before any backend loads, and the report records
what it set.

    TRITON_INTERPRET=1       Triton kernels on its CPU interpreter, when no GPU driver is
                             present (/dev/nvidiactl, /dev/kfd); read when triton is imported
    TF_DETERMINISTIC_OPS=1   TensorFlow's deterministic kernels
                             (as tf.config.experimental.enable_op_determinism)
    NVIDIA_TF32_OVERRIDE=0   no TF32 in cuBLAS and cuDNN, whatever a framework asks for
    TF_CPP_MIN_LOG_LEVEL=2   TensorFlow's C++ info and warning lines off (errors still show)
    torch                    allow_tf32 off (matmul and cuDNN), deterministic algorithms on

A variable the user has already set is left as it is (and recorded as it is). Everything
is restored on exit (a framework that has read a variable keeps what it read).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
from collections.abc import Iterator

GPU_DRIVER_FILES = ("/dev/nvidiactl", "/dev/kfd")  # NVIDIA, AMD ROCm


def _gpu_driver_present() -> bool:
    return any(os.path.exists(path) for path in GPU_DRIVER_FILES)


def _environment() -> dict[str, str]:
    wanted = {"TF_DETERMINISTIC_OPS": "1", "NVIDIA_TF32_OVERRIDE": "0", "TF_CPP_MIN_LOG_LEVEL": "2"}
    if not _gpu_driver_present():
        wanted["TRITON_INTERPRET"] = "1"
    return wanted


@contextlib.contextmanager
def _pinned_environment(wanted: dict[str, str]) -> Iterator[dict[str, str]]:
    added = [name for name in wanted if name not in os.environ]
    os.environ.update({name: wanted[name] for name in added})
    try:
        yield {name: os.environ[name] for name in (*wanted, "TRITON_INTERPRET") if name in os.environ}
    finally:
        for name in added:
            os.environ.pop(name, None)


@contextlib.contextmanager
def _pinned_torch() -> Iterator[dict[str, str]]:
    if importlib.util.find_spec("torch") is None:
        yield {}
        return
    import torch

    before = (
        torch.backends.cuda.matmul.allow_tf32,
        torch.backends.cudnn.allow_tf32,
        torch.are_deterministic_algorithms_enabled(),
        torch.is_deterministic_algorithms_warn_only_enabled(),
    )
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        yield {"torch allow_tf32": "off", "torch deterministic algorithms": "on (warn only)"}
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = before[:2]
        torch.use_deterministic_algorithms(before[2], warn_only=before[3])


@contextlib.contextmanager
def pinned_numerics() -> Iterator[dict[str, str]]:
    """Enter before loading backends; yields the settings in force, for the report."""
    with _pinned_environment(_environment()) as environment, _pinned_torch() as torch_flags:
        yield {**environment, **torch_flags}
