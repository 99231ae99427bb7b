"""asv's dashboard, published through benchmarks/dashboard/publish.py, renders with no network.

A tiny benchmark suite of its own (a git repository in a temp dir, its own asv.conf.json) is run by
asv in this environment under two machine names and published twice: through the offline path and
by plain ``asv publish``. Each page is served from a local http.server (every request and its status
logged) and opened in headless Chromium with every host name but 127.0.0.1 unresolvable and a net
log of every request. The offline dashboard must: draw a flot graph of every benchmark from its
graph data, with no failed request, no request to another host, no script or stylesheet from
elsewhere in the final DOM and no "external dependencies failed to load" page. asv's own output
must fail the same check (negative control).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from benchmarks.dashboard.publish import localise, make_offline
from benchmarks.dashboard.vendor import VENDOR, load_manifest, problems
from suites.harness.test_report_html import CHROMIUM, FLAGS

ROOT = Path(__file__).resolve().parents[2]
MACHINES = ("alpha", "beta")
BENCHMARKS = {
    "bench_fixture.time_sum",
    "bench_fixture.track_answer",
    "bench_fixture.Sizes.time_sorted",
    "bench_fixture.Sizes.peakmem_list",
}
SUITE = '''
def time_sum():
    sum(range(1000))


def track_answer():
    return 42


class Sizes:
    params = [10, 100]
    param_names = ["n"]

    def time_sorted(self, n):
        sorted(range(n, 0, -1))

    def peakmem_list(self, n):
        list(range(n))
'''
UNRESOLVABLE = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"  # no request leaves this machine
FAILED_TO_LOAD = "external (JavaScript) dependencies"

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")


def asv(project: Path, *args: str) -> None:
    """Runs asv on the fixture suite, its machine file in the fixture's own HOME."""
    env = dict(os.environ, HOME=str(project.parent / "home"))
    done = subprocess.run([sys.executable, "-m", "asv", *args], cwd=project, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


def git(project: Path, *args: str) -> str:
    identity = ["-c", "user.name=fixture", "-c", "user.email=fixture@example.invalid"]
    return subprocess.run(["git", *identity, *args], cwd=project, check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """The fixture suite with results of two commits: machine alpha ran the first, beta the second."""
    project = tmp_path_factory.mktemp("dashboard") / "project"
    (project / "benchmarks").mkdir(parents=True)
    (project.parent / "home").mkdir()
    (project / "benchmarks" / "__init__.py").write_text("")
    (project / "benchmarks" / "bench_fixture.py").write_text(SUITE)
    conf = {"version": 1, "project": "fixture", "repo": ".", "branches": ["main"], "environment_type": "virtualenv",
            "benchmark_dir": "benchmarks", "env_dir": "env", "results_dir": "results", "html_dir": "html"}
    (project / "asv.conf.json").write_text(json.dumps(conf))
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "first")
    git(project, "commit", "-q", "--allow-empty", "-m", "second")
    commits = git(project, "rev-list", "--reverse", "main").split()
    for machine, commit in zip(MACHINES, commits, strict=True):
        asv(project, "machine", "--yes", "--machine", machine)
        asv(project, "run", "--python=same", "--quick", "--machine", machine, "--set-commit-hash", commit)
    return project


@pytest.fixture(scope="module")
def offline(project) -> Path:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.dashboard.publish", "--config", str(project / "asv.conf.json")],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return project / "html"


@pytest.fixture(scope="module")
def plain(project) -> Path:
    asv(project, "publish", "--html-dir", str(project.parent / "plain"))
    return project.parent / "plain"


@dataclass
class Page:
    dom: str
    served: list[tuple[str, int]]  # (path, status) of every request the local server answered
    requested: list[str]  # URL of every request the page made, as Chromium's net log records it
    origin: str


class LoggingHandler(SimpleHTTPRequestHandler):
    def __init__(self, *args, served: list, **kwargs):
        self.served = served
        super().__init__(*args, **kwargs)

    def log_request(self, code="-", size="-") -> None:
        self.served.append((self.path, int(code)))


def render(html_dir: Path, fragment: str, tmp: Path) -> Page:
    """``index.html#<fragment>`` of ``html_dir`` served locally and rendered by headless Chromium."""
    served: list[tuple[str, int]] = []
    handler = functools.partial(LoggingHandler, directory=str(html_dir), served=served)
    with ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        origin = f"http://127.0.0.1:{server.server_port}"
        netlog = tmp / f"net-{len(list(tmp.glob('net-*')))}.json"
        done = subprocess.run(
            [CHROMIUM, *FLAGS, f"--user-data-dir={tmp / 'profile'}", f"--log-net-log={netlog}", UNRESOLVABLE,
             "--virtual-time-budget=8000", "--dump-dom", f"{origin}/index.html#{fragment}"],
            capture_output=True, text=True, timeout=120,
        )
        server.shutdown()
    assert done.returncode == 0, done.stderr[-2000:]
    return Page(done.stdout, served, page_requests(netlog, origin), origin)


def page_requests(netlog: Path, origin: str) -> list[str]:
    """URLs of the requests the page itself started (Chromium's own update and account checks left out)."""
    log = json.loads(netlog.read_text())
    start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    return [e["params"]["url"] for e in log["events"]
            if e["type"] == start and e.get("params", {}).get("initiator") == origin]


def offline_problems(page: Page, html_dir: Path, name: str) -> list[str]:
    """Everything that shows the page did not render benchmark ``name``'s graph from local files alone."""
    found = [f"{path} answered {status}" for path, status in page.served if status >= 400]
    found += [f"requested {url}" for url in page.requested if not url.startswith(page.origin + "/")]
    loaded = re.findall(r'<(?:script|link)\b[^>]*\b(?:src|href)="([^"]*)"', page.dom)
    here = ("", urlsplit(page.origin).netloc)
    found += [f"the DOM loads {url}" for url in loaded if urlsplit(url).netloc not in here]
    if FAILED_TO_LOAD in page.dom:
        found.append("asv's page says its external dependencies failed to load")
    if not re.search(r'<div id="main-graph"[^>]*><canvas class="flot-base"', page.dom):
        found.append("no flot canvas in #main-graph")
    graphs = [path.split("?")[0] for path, status in page.served if status == 200
              and path.split("?")[0].endswith(f"/{name}.json")]
    if not graphs:
        found.append(f"no graph data of {name} was loaded")
    for path in graphs:
        points = json.loads((html_dir / path.lstrip("/")).read_text())
        if not any(value is not None for _, value in points):
            found.append(f"{path} holds no measured point")
    return found


def test_results_of_the_fixture_suite(project, offline):
    """The fixture's benchmarks, all measured, are what the dashboard lists."""
    index = json.loads((offline / "index.json").read_text())
    assert set(index["benchmarks"]) == BENCHMARKS


@pytest.mark.parametrize("name", sorted(BENCHMARKS))
def test_every_benchmark_graph_renders_offline(offline, name, tmp_path):
    page = render(offline, name, tmp_path)
    assert offline_problems(page, offline, name) == []
    assert page.requested, "the net log recorded none of the page's requests"


def test_asv_own_dashboard_fails_the_same_check(plain, tmp_path):
    """Negative control: asv's unmodified output asks the CDNs and shows its failure page."""
    name = "bench_fixture.time_sum"
    found = offline_problems(render(plain, name, tmp_path), plain, name)
    assert any(p.startswith("requested https://code.jquery.com/") for p in found), found
    assert "asv's page says its external dependencies failed to load" in found
    assert "no flot canvas in #main-graph" in found


def test_machines_side_by_side(offline, tmp_path):
    """Both machines' results are published and one graph page draws them together."""
    index = json.loads((offline / "index.json").read_text())
    assert set(index["machines"]) == set(MACHINES)
    assert set(index["params"]["machine"]) == set(MACHINES)
    page = render(offline, "bench_fixture.time_sum", tmp_path)
    drawn = {m for m in MACHINES for path, status in page.served
             if status == 200 and f"/machine-{m}/" in path and "bench_fixture.time_sum.json" in path}
    assert drawn == set(MACHINES)


def test_republishing_changes_nothing(offline, tmp_path):
    copy = shutil.copytree(offline, tmp_path / "html")
    make_offline(copy, load_manifest())
    assert (copy / "index.html").read_bytes() == (offline / "index.html").read_bytes()


def test_a_cdn_url_without_a_vendored_file_is_an_error(plain):
    packages = load_manifest()
    index = (plain / "index.html").read_text()
    unknown = index.replace("</head>", '<script src="https://cdn.example.invalid/x.js"></script></head>')
    with pytest.raises(ValueError, match=r"https://cdn\.example\.invalid/x\.js.*vendor\.json does not provide"):
        localise(unknown, packages)
    dropped = index.replace("https://code.jquery.com/jquery-3.3.1.min.js", "jquery.js")
    with pytest.raises(ValueError, match=r"does not load https://code\.jquery\.com/jquery-3\.3\.1\.min\.js"):
        localise(dropped, packages)


def test_vendored_files_match_their_recorded_sha256(tmp_path):
    packages = load_manifest()
    assert problems(packages) == []
    copy = shutil.copytree(VENDOR, tmp_path / "vendor")
    tampered = copy / "jquery-3.3.1" / "dist" / "jquery.min.js"
    tampered.write_bytes(tampered.read_bytes() + b"\n")
    (copy / "flot-0.8.3" / "LICENSE.txt").unlink()
    assert problems(packages, copy) == [
        f"{tampered} has sha256 {hashlib.sha256(tampered.read_bytes()).hexdigest()}, "
        f"vendor.json records {packages[0].files['dist/jquery.min.js']}",
        f"{copy / 'flot-0.8.3' / 'LICENSE.txt'} is missing",
    ]


def test_a_missing_vendored_file_fails_the_check(offline, tmp_path):
    """Negative control: a file the page loads but the html dir lacks shows as a 404 and the failure page."""
    copy = shutil.copytree(offline, tmp_path / "html")
    (copy / "vendor" / "stupid-table-plugin-1.1.3" / "stupidtable.min.js").unlink()
    found = offline_problems(render(copy, "bench_fixture.time_sum", tmp_path), copy, "bench_fixture.time_sum")
    assert "/vendor/stupid-table-plugin-1.1.3/stupidtable.min.js answered 404" in found
    assert "asv's page says its external dependencies failed to load" in found
