"""Backends: the contract (``base``), discovery (``registry``) and the built-ins."""

import os

# Without an NVIDIA GPU, Triton kernels run on its CPU interpreter. The choice must be
# made before anything imports `triton` (torch may), because Triton decorates its own
# standard library (tl.max, tl.sum, ...) at import time.
if "TRITON_INTERPRET" not in os.environ and not os.path.exists("/dev/nvidiactl"):
    os.environ["TRITON_INTERPRET"] = "1"

from .base import Backend, OpNotSupported
from .registry import LoadedBackend, discover, load

__all__ = ["Backend", "LoadedBackend", "OpNotSupported", "discover", "load"]
