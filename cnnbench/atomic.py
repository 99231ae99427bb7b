"""Writing a file so that a reader never sees a part of it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def replace_atomically(path: Path, data: bytes) -> None:
    """``path`` holds either its old content or all of ``data``, never a part: a uniquely named
    temporary file beside it, then ``os.replace``. The file is readable by all (mode 0644)."""
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", delete=False) as f:
        try:
            f.write(data)
        except BaseException:
            os.unlink(f.name)
            raise
    os.chmod(f.name, 0o644)
    os.replace(f.name, path)
