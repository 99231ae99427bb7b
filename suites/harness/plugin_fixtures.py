"""A tiny backend package written outside the repo's packages, as a user would.

``write_plugin(tmp)`` creates ``tinyplug/`` (a backend that implements ReLU with
its own code and nothing else, its variants, and ``PartialBackend``, whose
``op_dtypes`` limit some ops to float64), ``brokenplug/`` (fails to import) and a
``.dist-info`` folder declaring the entry point, so discovery can be tested
without installing anything. ``run_pytest`` runs pytest in the repo with them importable.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

TINY = textwrap.dedent('''
    import numpy as np
    from cnnbench.backends.base import Backend

    class TinyBackend(Backend):
        name = "tiny"
        dtypes = ("float64", "float32")

        def relu(self, x):
            return np.maximum(x, 0)

        def relu_backward(self, dy, x):
            return (dy * (x > 0),)

    class SloppyBackend(TinyBackend):
        """ReLU'(0) = 1 while declaring the textbook (left) convention."""
        name = "sloppy"

        def relu_backward(self, dy, x):
            return (dy * (x >= 0),)

    class NoGpuBackend(TinyBackend):
        name = "nogpu"

        def available(self):
            return False, "needs a CUDA GPU"

    class BadConventionBackend(TinyBackend):
        name = "badconv"
        conventions = {"grad_at_kink": "middle"}

    def float64_only(x):
        if x.dtype != np.float64:
            raise RuntimeError(f"called in {x.dtype}, which this backend does not declare")

    class PartialBackend(Backend):
        """ReLU's backward in float64 only, flatten (forward, so backward too) in float64 only,
        tanh without a backward. Called in float32, each of those methods raises."""
        name = "partial"
        dtypes = ("float64", "float32")
        op_dtypes = {"relu_backward": ("float64",), "flatten": ("float64",)}

        def relu(self, x):
            return np.maximum(x, 0)

        def relu_backward(self, dy, x):
            float64_only(x)
            return (dy * (x > 0),)

        def flatten(self, x):
            float64_only(x)
            return x.reshape(x.shape[0], -1)

        def flatten_backward(self, dy, x):
            float64_only(x)
            return (dy.reshape(x.shape),)

        def tanh(self, x):
            return np.tanh(x)

    class UndeclaredBackend(PartialBackend):
        """The same methods without the declaration."""
        name = "undeclared"
        op_dtypes = {}

    class MisspeltOpDtypesBackend(TinyBackend):
        name = "misspelt"
        op_dtypes = {"rleu": ("float32",)}

    class ForeignOpDtypesBackend(TinyBackend):
        name = "foreign"
        op_dtypes = {"relu": ("float16",)}

    class InterpretedBackend(TinyBackend):
        """Runs its kernels on an interpreter, as Triton does without a GPU."""
        name = "interp"
        interpreted = True
''')


def write_plugin(root: Path) -> Path:
    (root / "tinyplug").mkdir()
    (root / "tinyplug" / "__init__.py").write_text(TINY)
    (root / "brokenplug").mkdir()
    (root / "brokenplug" / "__init__.py").write_text("import a_module_that_does_not_exist\n")
    dist = root / "tinyplug-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: tinyplug\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[cnnbench.backends]\ntiny-ep = tinyplug:TinyBackend\n")
    return root


def run_pytest(*args: str, plugin_root: Path) -> subprocess.CompletedProcess:
    """``python -m pytest -q ARGS`` in the repo (no cache written), the plug-ins under ``plugin_root`` importable."""
    # not an xdist worker itself, though started from one (pytest-benchmark would turn itself off)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST_")}
    env["PYTHONPATH"] = os.pathsep.join([str(plugin_root), str(REPO)])
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


UNRULY = textwrap.dedent('''
    """Backends that misbehave as untrusted code can: each misdeed hits one op, in float32."""
    import ctypes, os, sys, time
    import numpy as np
    from cnnbench.backends.base import Backend
    from cnnbench.backends.numpy_backend import NumpyBackend

    class Unruly(Backend):
        name = "unruly"
        dtypes = ("float32",)

        def exponential_decay(self, **params):
            time.sleep(600)

        def step_decay(self, **params):
            ctypes.string_at(0)  # a segfault

        def inverse_time_decay(self, **params):
            os._exit(4)

        def cosine_decay(self, **params):
            sys.exit(3)

        def subtract_mean_image(self, x):
            raise ValueError("x" * 5_000_000)

        def relu(self, x):
            return np.maximum(x, 0)

    class LyingDtypes(Unruly):
        name = "lying"
        dtypes = "float32"

    class BrokenVersions(Unruly):
        name = "brokenversions"

        def versions(self):
            raise RuntimeError("no versions here")

    class Nameless(NumpyBackend):
        """Forgets to name itself: it would report as the reference."""
''')

VANDAL = textwrap.dedent('''
    """Importing it replaces the reference's ReLU in that process."""
    import cnnbench.reference.activations
    from cnnbench.backends.numpy_backend import NumpyBackend
    from unruly import Unruly

    class Vandal(Unruly):
        name = "vandal"

    cnnbench.reference.activations.relu = lambda x: x
    NumpyBackend.relu = lambda self, x: x
''')


def write_unruly(root: Path) -> Path:
    """``unruly/``, ``vandal/`` (importing it breaks the reference in that process), and
    ``crashonimport/`` and ``hangonimport/`` beside the other plug-ins: never import the last
    three into the test process."""
    importers = {"crashonimport": "import os\nos._exit(5)\n", "hangonimport": "import time\ntime.sleep(600)\n"}
    for name, source in (("unruly", UNRULY), ("vandal", VANDAL), *importers.items()):
        (root / name).mkdir()
        (root / name / "__init__.py").write_text(source)
    return root
