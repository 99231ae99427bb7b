"""A tiny backend package written outside the repo's packages, as a user would.

``write_plugin(tmp)`` creates ``tinyplug/`` (a backend that implements ReLU with
its own code and nothing else), ``brokenplug/`` (fails to import) and a
``.dist-info`` folder declaring the entry point, so discovery can be tested
without installing anything.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

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
