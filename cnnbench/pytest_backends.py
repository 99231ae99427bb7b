"""pytest plug-in shared by the suites and the pytest-benchmark timings: numerics pinned,
backends selected with ``--backend`` and loaded once per session.

    pytest suites/ --backend numpy --backend mypkg.mod:MyBackend
    pytest benchmarks/ --benchmark-only --backend numpy --backend torch

selects backends (default: every known one; those that cannot load here are skipped with
their reason). An unknown name, an entry point that takes a built-in's name, or a backend
named on the command line that does not load is a usage error. The numeric settings
(``pinned_numerics``) are entered before any backend loads, so Triton finds its interpreter
switch and torch is imported before TensorFlow. A conftest enables it with
``pytest_plugins = ["cnnbench.pytest_backends"]``.

PYTEST_DONT_REWRITE: it asserts nothing, and the conftests import it before pytest registers it.
"""

from __future__ import annotations

import contextlib

import pytest

from cnnbench.backends.registry import LoadedBackend, discover, plugin_clashes
from cnnbench.numerics import pinned_numerics

_NUMERICS = pytest.StashKey[contextlib.ExitStack]()
_BACKENDS = pytest.StashKey[list[LoadedBackend]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backend",
        action="append",
        default=[],
        help="backend to check: built-in or plug-in name, or package.module:attr; repeat for several "
        "(default: every known backend)",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Pins the numeric settings for the whole session (each xdist worker too), then loads the backends."""
    numerics = config.stash[_NUMERICS] = contextlib.ExitStack()
    numerics.enter_context(pinned_numerics())
    named = config.getoption("--backend")
    if clashes := plugin_clashes():
        raise pytest.UsageError("; ".join(clashes))
    loaded = discover(named or None)
    # A backend named on the command line must load: its tests would otherwise all skip and pass.
    # (Without --backend, a framework that is not installed here is a skip with its reason.)
    broken = [lb.reason for lb in loaded if not lb.ok and (named or lb.reason.startswith("unknown backend"))]
    if broken:
        raise pytest.UsageError("--backend: " + "; ".join(broken))
    config.stash[_BACKENDS] = loaded


def pytest_unconfigure(config: pytest.Config) -> None:
    if _NUMERICS in config.stash:
        config.stash[_NUMERICS].close()


def loaded_backends(config: pytest.Config) -> list[LoadedBackend]:
    """The backends of this session, in the order selected; those that failed carry their reason."""
    return config.stash[_BACKENDS]


def unloaded_skip(lb: LoadedBackend) -> pytest.MarkDecorator:
    """The mark of a param of a backend that did not load: skipped, with the reason."""
    return pytest.mark.skip(reason=f"{lb.name}: {lb.reason}")
