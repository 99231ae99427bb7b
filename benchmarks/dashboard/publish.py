"""``asv publish``, then the dashboard made to render with no network.

    python -m benchmarks.dashboard.publish [--config asv.conf.json] [--html-dir DIR] [asv publish arguments]

asv's index.html loads jQuery, flot, bootstrap and more from CDNs (asv has no setting for other
locations). After ``asv publish`` writes the html dir, every ``<script src>`` / ``<link href>`` that
points at a CDN is pointed at the copy vendored in benchmarks/dashboard/vendor/ (copied into the
html dir's ``vendor/``), with its ``integrity`` attribute the sha256 of that copy. A CDN URL that
vendor.json does not provide is an error, so a newer asv that loads something else fails here
rather than in a reader's browser. Serve the result with ``asv preview`` or any static web server.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

from asv.config import Config

from benchmarks.dashboard.vendor import VENDOR, Package, load_manifest, problems, replacements, subresource_integrity
from cnnbench.atomic import replace_atomically

TAG = re.compile(r"<(?:script|link)\b[^>]*>")
REMOTE = re.compile(r'\b(src|href)="(https?://[^"]*)"')
INTEGRITY = re.compile(r'\bintegrity="[^"]*"')


def localise(index_html: str, packages: list[Package], vendor: Path = VENDOR) -> str:
    """``index_html`` with every CDN URL of a ``<script>`` or ``<link>`` tag replaced by
    ``vendor/<package>-<version>/<file>`` and the tag's integrity by that file's sha256.
    Raises ``ValueError`` naming a remote URL that vendor.json does not provide, and one
    that vendor.json provides but the page neither loads nor already loads locally."""
    local = replacements(packages)
    unknown = []

    def rewrite(tag: re.Match) -> str:
        text = tag.group(0)
        remote = REMOTE.search(text)
        if remote is None:
            return text
        attribute, url = remote.groups()
        if url not in local:
            unknown.append(url)
            return text
        text = text.replace(remote.group(0), f'{attribute}="vendor/{local[url]}"')
        return INTEGRITY.sub(f'integrity="{subresource_integrity((vendor / local[url]).read_bytes())}"', text)

    rewritten = TAG.sub(rewrite, index_html)
    if unknown:
        raise ValueError(
            f"asv's index.html loads {', '.join(unknown)}, which benchmarks/dashboard/vendor.json does not provide: "
            "add the npm package that serves it and run python -m benchmarks.dashboard.fetch_vendor --record"
        )
    unused = [url for url, path in local.items() if f'"vendor/{path}"' not in rewritten]
    if unused:
        raise ValueError(f"asv's index.html does not load {', '.join(unused)}: vendor.json was written for another asv")
    return rewritten


def make_offline(html_dir: Path, packages: list[Package], vendor: Path = VENDOR) -> None:
    """Point ``html_dir/index.html`` at the vendored files and copy them to ``html_dir/vendor``.
    Running it again on the same html dir changes nothing."""
    index = html_dir / "index.html"
    if not index.is_file():
        raise FileNotFoundError(f"{index} does not exist: run asv publish first")
    wrong = problems(packages, vendor)
    if wrong:
        raise ValueError("vendored files do not match vendor.json (run python -m benchmarks.dashboard.fetch_vendor): "
                         + "; ".join(wrong))
    rewritten = localise(index.read_text(), packages, vendor)
    for package in packages:
        shutil.copytree(vendor / package.folder, html_dir / "vendor" / package.folder, dirs_exist_ok=True)
    replace_atomically(index, rewritten.encode())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, default=Path("asv.conf.json"), help="asv's configuration file")
    parser.add_argument("--html-dir", "-o", type=Path, help="where to write the dashboard (default: asv's html_dir)")
    args, asv_arguments = parser.parse_known_args(argv)
    if not args.config.is_file():
        parser.error(f"--config: {args.config} is not a file (expected asv's configuration, e.g. asv.conf.json)")
    # asv runs in the configuration's folder, so its html_dir is relative to that folder
    root = args.config.resolve().parent
    html_dir = args.html_dir.resolve() if args.html_dir else root / Config.load(str(args.config)).html_dir
    packages = load_manifest()
    command = [sys.executable, "-m", "asv", "publish", "--config", str(args.config), "--html-dir", str(html_dir)]
    if subprocess.run([*command, *asv_arguments]).returncode != 0:
        print(f"{' '.join(command)} failed", file=sys.stderr)
        return 1
    try:
        make_offline(html_dir, packages)
    except (ValueError, FileNotFoundError) as error:
        print(error, file=sys.stderr)
        return 1
    print(f"{html_dir / 'index.html'} loads its JavaScript and CSS from {html_dir / 'vendor'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
