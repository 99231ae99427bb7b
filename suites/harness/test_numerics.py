"""Process-wide numeric switches are set only by ``pinned_numerics``, and undone when it exits:
importing the package or constructing a backend changes nothing. Each test runs in a fresh
interpreter whose environment has none of the variables, as a user's would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PINNED = ("TRITON_INTERPRET", "TF_DETERMINISTIC_OPS", "NVIDIA_TF32_OVERRIDE", "TF_CPP_MIN_LOG_LEVEL")
STATE = f"""
def state():
    import os, torch
    return {{"env": {{k: os.environ.get(k) for k in {PINNED!r}}},
            "torch": [torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32,
                      torch.are_deterministic_algorithms_enabled()]}}
"""


def _fresh(code: str, **env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if k not in PINNED} | env
    done = subprocess.run([sys.executable, "-c", STATE + code], cwd=REPO, env=clean, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _load(names: list[str]) -> dict:
    return _fresh(
        "import json; before = state()\n"
        "from cnnbench.backends.registry import discover\n"
        f"loaded = {{b.name: b.reason for b in discover({names!r})}}\n"
        "print(json.dumps({'before': before, 'after': state(), 'loaded': loaded}))"
    )


def test_loading_and_constructing_the_frameworks_sets_nothing():
    seen = _load(["numpy", "torch", "tensorflow"])
    assert seen["loaded"] == {"numpy": "", "torch": "", "tensorflow": ""}
    assert seen["after"] == seen["before"]
    assert seen["after"]["env"] == dict.fromkeys(PINNED)
    tf_determinism = _fresh(
        "import json\nfrom cnnbench.backends.tensorflow_backend import TensorFlowBackend\nTensorFlowBackend()\n"
        "from tensorflow.python.framework import config\nprint(json.dumps(config.is_op_determinism_enabled()))"
    )
    assert tf_determinism is False


def test_loading_triton_sets_nothing_and_without_a_gpu_says_what_it_needs():
    """(TensorFlow and Triton are loaded in separate interpreters: their LLVMs clash.)"""
    seen = _load(["triton"])
    assert seen["after"] == seen["before"]
    if not Path("/dev/nvidiactl").exists():
        assert "pinned_numerics" in seen["loaded"]["triton"]


def test_pinned_numerics_sets_every_switch_and_restores_them():
    seen = _fresh(
        "import json\nfrom cnnbench import numerics\n"
        "numerics.GPU_DRIVER_FILES = ()  # as on a machine without a GPU\n"
        "before = state()\n"
        "with numerics.pinned_numerics() as record:\n"
        "    inside = state()\n"
        "print(json.dumps({'before': before, 'inside': inside, 'after': state(), 'record': record}))"
    )
    assert seen["inside"]["env"] == {
        "TRITON_INTERPRET": "1",
        "TF_DETERMINISTIC_OPS": "1",
        "NVIDIA_TF32_OVERRIDE": "0",
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }
    assert seen["inside"]["torch"] == [False, False, True]
    assert seen["after"] == seen["before"]
    assert seen["before"]["torch"] != seen["inside"]["torch"]
    assert {k: seen["record"][k] for k in PINNED} == seen["inside"]["env"]


def test_a_variable_the_user_set_is_kept_and_recorded():
    seen = _fresh(
        "import json\nfrom cnnbench import numerics\n"
        "with numerics.pinned_numerics() as record:\n"
        "    inside = state()\n"
        "print(json.dumps({'inside': inside, 'after': state(), 'record': record}))",
        TRITON_INTERPRET="0",
    )
    assert seen["inside"]["env"]["TRITON_INTERPRET"] == seen["after"]["env"]["TRITON_INTERPRET"] == "0"
    assert seen["record"]["TRITON_INTERPRET"] == "0"


def test_with_a_gpu_driver_triton_is_not_interpreted():
    seen = _fresh(
        "import json, sys\nfrom cnnbench import numerics\n"
        "numerics.GPU_DRIVER_FILES = (sys.executable,)  # a file that exists, standing for /dev/nvidiactl\n"
        "with numerics.pinned_numerics() as record:\n"
        "    inside = state()\n"
        "print(json.dumps({'inside': inside, 'record': record}))"
    )
    assert seen["inside"]["env"]["TRITON_INTERPRET"] is None
    assert "TRITON_INTERPRET" not in seen["record"]
