"""Fetch the dashboard's JavaScript and CSS from the npm registry into benchmarks/dashboard/vendor/.

    python -m benchmarks.dashboard.fetch_vendor            # fetch, verify every sha256 against vendor.json
    python -m benchmarks.dashboard.fetch_vendor --check    # no network: verify the files already there
    python -m benchmarks.dashboard.fetch_vendor --record   # fetch and write the sha256s into vendor.json
                                                           # (after changing a version there)

A tarball or file whose sha256 differs from vendor.json's is an error and nothing of it is written.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tarfile
import urllib.request

from benchmarks.dashboard.vendor import MANIFEST, VENDOR, Package, load_manifest, problems, sha256
from cnnbench.atomic import replace_atomically


def download(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as response:
        return response.read()


def unpack(package: Package, tarball: bytes) -> dict[str, bytes]:
    """The manifest's files of one package, read from its npm tarball (all under ``package/``)."""
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as tar:
        members = {m.name: m for m in tar.getmembers() if m.isfile()}
        missing = [f for f in package.files if f"package/{f}" not in members]
        if missing:
            raise SystemExit(f"{package.tarball_url} has no {', '.join(missing)} (vendor.json lists them)")
        return {f: tar.extractfile(members[f"package/{f}"]).read() for f in package.files}


def fetch(package: Package, record: bool) -> Package:
    """Download, verify (unless recording) and write one package; returns it with the sha256s seen."""
    tarball = download(package.tarball_url)
    files = unpack(package, tarball)
    seen = Package(
        package.name,
        package.version,
        sha256(tarball),
        {f: sha256(data) for f, data in files.items()},
        package.replaces,
    )
    if not record and seen != package:
        wrong = [f"tarball {seen.sha256}"] * (seen.sha256 != package.sha256) + [
            f"{f} {digest}" for f, digest in seen.files.items() if digest != package.files[f]
        ]
        raise SystemExit(f"{package.tarball_url}: sha256 differs from vendor.json: {'; '.join(wrong)}")
    for file, data in files.items():
        path = VENDOR / package.folder / file
        path.parent.mkdir(parents=True, exist_ok=True)
        replace_atomically(path, data)
    return seen


def record(packages: list[Package]) -> None:
    manifest = json.loads(MANIFEST.read_text())
    for entry, package in zip(manifest["packages"], packages, strict=True):
        entry["sha256"] = package.sha256
        entry["files"] = package.files
    replace_atomically(MANIFEST, (json.dumps(manifest, indent=4) + "\n").encode())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="verify the vendored files; no network")
    mode.add_argument("--record", action="store_true", help="fetch and write the sha256s into vendor.json")
    args = parser.parse_args(argv)
    packages = load_manifest()
    if not args.check:
        fetched = [fetch(p, args.record) for p in packages]
        if args.record:
            record(fetched)
            packages = fetched
    found = problems(packages)
    for problem in found:
        print(problem, file=sys.stderr)
    if not found:
        print(f"{sum(len(p.files) for p in packages)} files of {len(packages)} packages in {VENDOR} match vendor.json")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
