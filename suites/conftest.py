"""Shared pytest wiring: backend selection and hypothesis profiles.

    pytest suites/ --backend numpy --backend mypkg.mod:MyBackend

selects backends (``cnnbench.pytest_backends``: default every known one; those that
cannot load here are skipped with their reason; an unknown name is a usage error).
Tests taking ``loaded_backend`` (and ``dtype``) run once per selected backend (x dtype).

Hypothesis runs derandomized by default ("ci" profile) so the suite is
reproducible; ``--hypothesis-profile=explore`` draws fresh examples.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from cnnbench.pytest_backends import loaded_backends, unloaded_skip

settings.register_profile(
    "ci", derandomize=True, max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("explore", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


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


def backend_params(config: pytest.Config, with_dtypes: bool) -> list:
    """pytest params over the selected backends (x their dtypes); unloadable ones skip with the reason."""
    params = []
    for lb in loaded_backends(config):
        if lb.backend is None:
            skip = unloaded_skip(lb)
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
