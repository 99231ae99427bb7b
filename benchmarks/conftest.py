"""pytest-benchmark over the workload table: ``pytest benchmarks/ --benchmark-only --backend numpy --backend torch``
(options and output: ``cnnbench.pytest_speed``).

asv imports every module of this folder (its benchmark_dir), in environments without pytest:
so the pytest wiring lives in ``cnnbench``, and this file and ``test_speed.py`` import nothing of pytest.
"""

pytest_plugins = ["cnnbench.pytest_backends", "cnnbench.pytest_speed"]
