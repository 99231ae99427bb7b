"""Shared pytest wiring: backend selection and hypothesis profiles.

    pytest suites/ --backend numpy --backend mypkg.mod:MyBackend

selects backends (default: every known one; those that cannot load here are
skipped with their reason). An unknown name is a usage error.

Hypothesis runs derandomized by default ("ci" profile) so the suite is
reproducible; ``--hypothesis-profile=explore`` draws fresh examples.
"""

from __future__ import annotations

import contextlib
import os

import pytest
from hypothesis import HealthCheck, settings

from cnnbench.backends.registry import LoadedBackend, discover, plugin_clashes
from cnnbench.numerics import pinned_numerics

settings.register_profile(
    "ci", derandomize=True, max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("explore", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


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
    config.cnnbench_numerics = contextlib.ExitStack()  # type: ignore[attr-defined]
    config.cnnbench_numerics.enter_context(pinned_numerics())  # type: ignore[attr-defined]
    named = config.getoption("--backend")
    if clashes := plugin_clashes():
        raise pytest.UsageError("; ".join(clashes))
    loaded = discover(named or None)
    # A backend named on the command line must load: its tests would otherwise all skip and pass.
    # (Without --backend, a framework that is not installed here is a skip with its reason.)
    broken = [lb.reason for lb in loaded if not lb.ok and (named or lb.reason.startswith("unknown backend"))]
    if broken:
        raise pytest.UsageError("--backend: " + "; ".join(broken))
    config.cnnbench_backends = loaded  # type: ignore[attr-defined]


def pytest_unconfigure(config: pytest.Config) -> None:
    config.cnnbench_numerics.close()  # type: ignore[attr-defined]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``gpu`` need CUDA; without it they are skipped, saying so."""
    try:
        import torch

        has_gpu = torch.cuda.is_available()
    except ImportError:
        has_gpu = False
    if has_gpu:
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU; none here (the Triton kernels ran on the CPU interpreter)")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


def loaded_backends(config: pytest.Config) -> list[LoadedBackend]:
    return config.cnnbench_backends  # type: ignore[attr-defined]


def backend_params(config: pytest.Config, with_dtypes: bool) -> list:
    """pytest params over the selected backends (x their dtypes); unloadable ones skip with the reason."""
    params = []
    for lb in loaded_backends(config):
        if lb.backend is None:
            skip = pytest.mark.skip(reason=f"{lb.name}: {lb.reason}")
            params.append(
                pytest.param(lb, None, id=lb.name, marks=skip)
                if with_dtypes
                else pytest.param(lb, id=lb.name, marks=skip)
            )
        elif with_dtypes:
            params += [pytest.param(lb, d, id=f"{lb.name}-{d}") for d in lb.backend.dtypes]
        else:
            params.append(pytest.param(lb, id=lb.name))
    return params


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "loaded_backend" in metafunc.fixturenames:
        with_dtypes = "dtype" in metafunc.fixturenames
        names = "loaded_backend,dtype" if with_dtypes else "loaded_backend"
        metafunc.parametrize(names, backend_params(metafunc.config, with_dtypes))
