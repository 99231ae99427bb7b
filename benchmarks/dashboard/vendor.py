"""The dashboard's vendored JavaScript and CSS, as ``vendor.json`` lists them.

Each npm package ``name@version`` comes from
``https://registry.npmjs.org/<name>/-/<name>-<version>.tgz``; the files taken from its ``package/``
folder live in ``vendor/<name>-<version>/<path>``. The manifest records the sha256 of the tarball
and of every file, and which CDN URL of asv's ``index.html`` each file replaces.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "vendor.json"
VENDOR = HERE / "vendor"
REGISTRY = "https://registry.npmjs.org"


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    sha256: str  # of the npm tarball
    files: dict[str, str]  # path inside the tarball's package/ -> sha256
    replaces: dict[str, str]  # CDN URL in asv's index.html -> path inside the tarball's package/

    @property
    def folder(self) -> str:
        """``<name>-<version>``: the package's folder under vendor/ (and under the published html dir)."""
        return f"{self.name}-{self.version}"

    @property
    def tarball_url(self) -> str:
        return f"{REGISTRY}/{self.name}/-/{self.name}-{self.version}.tgz"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def subresource_integrity(data: bytes) -> str:
    """The ``integrity`` attribute value of a ``<script>`` or ``<link>``: ``sha256-<base64 digest>``."""
    return "sha256-" + base64.b64encode(hashlib.sha256(data).digest()).decode()


def load_manifest(path: Path = MANIFEST) -> list[Package]:
    manifest = json.loads(path.read_text())
    return [
        Package(p["name"], p["version"], p["sha256"], dict(p["files"]), dict(p["replaces"]))
        for p in manifest["packages"]
    ]


def replacements(packages: list[Package]) -> dict[str, str]:
    """CDN URL -> the vendored file's path relative to the vendor folder, e.g.
    ``https://code.jquery.com/jquery-3.3.1.min.js`` -> ``jquery-3.3.1/dist/jquery.min.js``."""
    return {url: f"{p.folder}/{file}" for p in packages for url, file in p.replaces.items()}


def problems(packages: list[Package], vendor: Path = VENDOR) -> list[str]:
    """What is wrong with the vendored files: each one missing or whose sha256 differs from the manifest's."""
    found = []
    for p in packages:
        for file, digest in p.files.items():
            path = vendor / p.folder / file
            if not path.is_file():
                found.append(f"{path} is missing")
            elif sha256(path.read_bytes()) != digest:
                found.append(f"{path} has sha256 {sha256(path.read_bytes())}, vendor.json records {digest}")
    return found
