"""One import name: the wheel installs the package ``cnnbench`` and nothing else, and no module of
the project is ever imported under two names (the repository root is on ``sys.path`` in a test run,
where ``reference`` and ``backends`` would otherwise import a second time, as top-level modules)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SOURCES = ("pyproject.toml", "README.md", "cnnbench", "reference", "backends")


def _run(command: list[str], cwd: Path) -> str:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _build_wheel(tmp_path: Path) -> Path:
    """The wheel of a copy of the sources, so the build leaves nothing in the working tree."""
    source = tmp_path / "source"
    source.mkdir()
    for name in SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(REPO / name, source / name)
    out = tmp_path / "dist"
    pip_wheel = ["-m", "pip", "wheel", "--quiet", "--no-deps", "--no-index", "--no-build-isolation", "--wheel-dir"]
    _run([sys.executable, *pip_wheel, str(out), str(source)], cwd=tmp_path)
    (wheel,) = out.glob("cnnbench-*.whl")
    return wheel


def test_wheel_holds_the_cnnbench_namespace_only(tmp_path):
    wheel = _build_wheel(tmp_path)
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        top_level = {name.split("/")[0] for name in names}
        (dist_info,) = {t for t in top_level if t.endswith(".dist-info")}
        assert top_level == {"cnnbench", dist_info}
        modules = ("reference/catalog.py", "backends/registry.py", "backends/triton_kernels/conv.py", "cli.py")
        for module in (*modules, "training/loop.py", "experiments/command.py"):
            assert f"cnnbench/{module}" in names

        installed = tmp_path / "installed"
        archive.extractall(installed)
    # Imported from the unpacked wheel, in a folder of its own: every subpackage resolves inside it.
    probe = (
        "import json, cnnbench.cli, cnnbench.reference.catalog, cnnbench.backends.registry as r;"
        "print(json.dumps([cnnbench.reference.catalog.__file__, r.__file__]))"
    )
    for path in json.loads(_run([sys.executable, "-c", probe], cwd=installed)):
        assert Path(path).is_relative_to(installed)


def test_no_module_is_imported_under_two_names():
    """From the repository root, as pytest and ``python -m`` run: every module of the package and of
    the suites, and every built-in backend constructed."""
    probe = """
import json, os, pkgutil, importlib, sys
import cnnbench, cnnbench.reference, cnnbench.backends, suites
from cnnbench.backends.registry import discover
from cnnbench.numerics import pinned_numerics
pinned = pinned_numerics()  # kept: Triton interpreted where there is no GPU, as in a run
pinned.__enter__()
loaded = [b.name for b in discover() if b.ok]  # first: the frameworks in the order that loads them all
for package in (cnnbench, cnnbench.reference, cnnbench.backends, suites):
    for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if not module.name.endswith("__main__") and ".test_" not in module.name:
            importlib.import_module(module.name)
names = {}
for name, module in list(sys.modules.items()):
    path = getattr(module, "__file__", None)
    if path and path.startswith(os.getcwd() + "/") and "/.venv" not in path:  # the project's own files
        names.setdefault(path, []).append(name)
print(json.dumps({"loaded": loaded, "top": sorted({n.split(".")[0] for n in sys.modules}),
                  "twice": {p: n for p, n in names.items() if len(n) > 1}}))
"""
    seen = json.loads(_run([sys.executable, "-c", probe], cwd=REPO))
    assert {"numpy", "torch", "tensorflow", "triton"} <= set(seen["loaded"])
    assert not {"reference", "backends"} & set(seen["top"])
    assert seen["twice"] == {}
