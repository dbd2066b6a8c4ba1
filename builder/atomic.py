"""Writing one file so that a reader (or a crash) sees the old content or the whole new one, never a part.

Every single-file write of affsite goes through `write_atomic`: the eBay cache entries, the call ledger, the build
state and report. (The site's pages go through `output.SiteWriter`, which stages a whole build the same way.)

The data goes to a temporary file beside the target, named `.<name>.<pid>.<random>.tmp` so that two processes (or
two threads) writing the same file never share a temporary; it is flushed to disk (fsync) before it is renamed over
the target, and the directory is synced after, so that after a power cut the file is the old one or the new one,
not an empty one. On any failure the temporary file is removed and the target is left as it was.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data` atomically and durably; creates missing parent folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)  # mkstemp makes it private; these files are no secret and others may read them
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _sync_directory(path.parent)


def _sync_directory(directory: Path) -> None:
    """Make the rename itself durable. Not every platform can open a directory (Windows): there it is skipped."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
