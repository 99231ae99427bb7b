"""Backends: the contract (``base``), discovery (``registry``) and the built-ins."""

from .base import Backend, OpNotSupported
from .registry import LoadedBackend, discover, load

__all__ = ["Backend", "LoadedBackend", "OpNotSupported", "discover", "load"]
