"""cnnbench: holds implementations of CNN training ops against one NumPy reference."""

from cnnbench.backends.base import Backend, OpNotSupported

__all__ = ["Backend", "OpNotSupported"]
__version__ = "0.1.0"
