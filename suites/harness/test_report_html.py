"""The HTML report as a person sees it: rendered by headless Chromium.

Chromium parses and lays out the page; the DOM it dumps must hold the matrix with
one row per op and the verdict classes, and the convention table. A screenshot is
written next to the page (``pytest --basetemp`` keeps it for a look).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from cnnbench import report
from cnnbench.backends.registry import load
from cnnbench.reference.catalog import CATALOG
from cnnbench.runner import run_conformance
from suites.harness.plugin_fixtures import write_plugin

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")


def chromium(page: Path, tmp: Path, *args: str) -> str:
    done = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={tmp / 'profile'}", *args, page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.fixture(scope="module")
def page(tmp_path_factory, monkeypatch_module) -> Path:
    root = tmp_path_factory.mktemp("html")
    write_plugin(root)
    monkeypatch_module.syspath_prepend(str(root))
    loaded = [load("numpy"), load("tinyplug:SloppyBackend"), load("brokenplug:Backend")]
    ops = [CATALOG[name] for name in ("relu", "softmax", "conv2d", "he_normal")]
    report.write(run_conformance(loaded, ops, ["float64", "float32"]), root)
    return root / "conformance.html"


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def test_chromium_renders_the_matrix(page, tmp_path):
    dom = chromium(page, tmp_path, "--dump-dom")
    matrix = re.search(r'<table id="matrix">(.*?)</table>', dom, re.S).group(1)
    headers = re.findall(r"<th>(.*?)</th>", matrix)
    assert headers == ["op", "numpy float64", "numpy float32", "sloppy float64", "sloppy float32"]
    rows = {re.search(r"<td[^>]*>(\w+)</td>", row).group(1): row for row in re.findall(r"<tr>(.*?)</tr>", matrix)[1:]}
    assert set(rows) >= {"relu", "softmax", "conv2d", "he_normal"}
    assert rows["relu"].count('class="pass"') == 2 and rows["relu"].count('class="fail"') == 2
    assert rows["conv2d"].count('class="ni"') == 2
    assert '<table id="conventions">' in dom and "behaves as right" in dom
    assert "brokenplug" in dom and "Reproduce:" in dom


def test_chromium_screenshot(page, tmp_path):
    shot = tmp_path / "report.png"
    chromium(page, tmp_path, f"--screenshot={shot}", "--window-size=1400,1600")
    assert shot.stat().st_size > 10_000
