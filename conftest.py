"""pytest plug-ins of the repository, loaded here at its root (pytest takes ``pytest_plugins`` only
from the top-level conftest), so that ``pytest``, ``pytest suites/``, ``pytest benchmarks/`` and
``pytest .`` all work:

    cnnbench.pytest_backends  --backend, shared by the suites and the benchmarks
    cnnbench.pytest_speed     --size, --op, --dtype and the pytest-benchmark timings of benchmarks/

asv imports every module of benchmarks/ (its benchmark_dir), in environments without pytest: so
the pytest wiring lives in ``cnnbench``, and benchmarks/test_speed.py imports nothing of pytest.
"""

pytest_plugins = ["cnnbench.pytest_backends", "cnnbench.pytest_speed"]
