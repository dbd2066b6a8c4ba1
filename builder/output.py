"""Writing the site so that nothing half-built is ever published, and so that unchanged files are not touched.

Two ways, chosen by whether there is a previous output:

- No previous output: files go into a staging directory next to it, which is renamed into place by `commit`.
- A previous output: each new or changed file is written to a temporary file beside its target, and `commit`
  renames them into place and deletes the files this build no longer has. A file whose bytes did not change is
  left as it is (its time stays, so deploys upload only what changed; a rebuild in which nothing changed writes
  nothing at all). Every file is replaced atomically, and when the build fails before `commit` the previous site
  is untouched: `abort` removes the temporary files.

`put` is the part of writing that may run in a worker process (it only touches the file system); the parent records
its outcome with `record`, so the counters and the list of pending renames live in one place.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple, Protocol

TEMP_SUFFIX = ".affsite-new"


class Put(NamedTuple):
    """What `put` did with one file: wrote it (to `temporary` when replacing a previous file) or found it unchanged."""

    relative: str
    written: bool
    temporary: str | None
    size: int
    mtime_ns: int


class Writer(Protocol):
    """What page writing needs of a writer: the SiteWriter, or an edition's view of it (editions.EditionWriter)."""

    @property
    def present(self) -> set[str]: ...

    def write(self, relative: str, data: bytes) -> None: ...

    def put(self, relative: str, data: bytes) -> Put: ...

    def record(self, put: Put) -> None: ...

    def keep(self, relative: str, size: int | None = None, mtime_ns: int | None = None) -> bool: ...


class SiteWriter:
    def __init__(self, output_dir: Path) -> None:
        self.output_dir = output_dir
        self.in_place = output_dir.is_dir()
        self.staging = output_dir.parent / f".{output_dir.name}.staging-{os.getpid()}"
        self.root = output_dir if self.in_place else self.staging
        self.written = 0
        self.unchanged = 0
        self.present: set[str] = set()  # every file of this build, relative to the site root
        self._pending: list[tuple[str, str]] = []  # (temporary, relative) to rename at commit
        self._dirs: set[str] = set()
        output_dir.parent.mkdir(parents=True, exist_ok=True)
        if not self.in_place:
            if self.staging.exists():
                shutil.rmtree(self.staging)
            self.staging.mkdir()

    def write(self, relative: str, data: bytes) -> None:
        self.record(self.put(relative, data))

    def put(self, relative: str, data: bytes) -> Put:
        """Write one file unless the previous build's copy has the same bytes. Safe to call in a worker process."""
        root = str(self.root)
        target = f"{root}/{relative}"
        if self.in_place:
            try:
                with open(target, "rb") as old:
                    same = os.fstat(old.fileno()).st_size == len(data) and old.read() == data
                    if same:
                        stat = os.fstat(old.fileno())
                        return Put(relative, False, None, stat.st_size, stat.st_mtime_ns)
            except (FileNotFoundError, NotADirectoryError):
                pass
            directory, _, name = target.rpartition("/")
            temporary = f"{directory}/.{name}{TEMP_SUFFIX}"
            stat = self._create(directory, temporary, data)
            return Put(relative, True, temporary, stat.st_size, stat.st_mtime_ns)
        stat = self._create(target.rpartition("/")[0], target, data)
        return Put(relative, True, None, stat.st_size, stat.st_mtime_ns)

    def _create(self, directory: str, path: str, data: bytes) -> os.stat_result:
        if directory not in self._dirs:
            os.makedirs(directory, exist_ok=True)
            self._dirs.add(directory)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            return os.fstat(fd)
        finally:
            os.close(fd)

    def record(self, put: Put) -> None:
        self.present.add(put.relative)
        if put.written:
            self.written += 1
            if put.temporary is not None:
                self._pending.append((put.temporary, put.relative))
        else:
            self.unchanged += 1

    def keep(self, relative: str, size: int | None = None, mtime_ns: int | None = None) -> bool:
        """Keep the previous build's file (its inputs did not change); False when there is none to keep.

        With `size` and `mtime_ns` the file must still be the one the last build wrote (not edited or replaced since).
        """
        if not self.in_place:
            return False
        try:
            stat = os.stat(f"{self.root}/{relative}")
        except OSError:
            return False
        if size is not None and (stat.st_size != size or stat.st_mtime_ns != mtime_ns):
            return False
        self.present.add(relative)
        self.unchanged += 1
        return True

    def commit(self, previous_files: Iterable[str] | None = None, keep: Iterable[str] = ()) -> None:
        """Publish the build. `previous_files`: what the last build wrote (else the output directory is listed, except
        the folders in `keep`: made beside the pages by others, such as the search index)."""
        if not self.in_place:
            retired = self.output_dir.parent / f".{self.output_dir.name}.old-{os.getpid()}"
            if self.output_dir.exists():
                os.replace(self.output_dir, retired)
            os.replace(self.staging, self.output_dir)
            if retired.exists():
                shutil.rmtree(retired, ignore_errors=True)
            return
        for temporary, relative in self._pending:
            os.replace(temporary, f"{self.root}/{relative}")
        self._pending.clear()
        old = set(previous_files) if previous_files is not None else set(self._list_output(set(keep)))
        for relative in sorted(old - self.present):
            path = self.root / relative
            try:
                path.unlink()
            except FileNotFoundError:
                continue
            except IsADirectoryError:
                shutil.rmtree(path, ignore_errors=True)
            remove_empty_parents(path.parent, self.root)

    def abort(self) -> None:
        if not self.in_place:
            shutil.rmtree(self.staging, ignore_errors=True)
            return
        for temporary, _ in self._pending:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
        self._pending.clear()

    def _list_output(self, keep: set[str]) -> list[str]:
        found: list[str] = []
        root = str(self.root)
        for directory, folders, files in os.walk(root):
            prefix = directory[len(root) + 1 :]
            folders[:] = [f for f in folders if (f"{prefix}/{f}" if prefix else f) not in keep]
            found.extend(f"{prefix}/{name}" if prefix else name for name in files)
        return found


def remove_empty_parents(directory: Path, root: Path) -> None:
    """Remove `directory` and its parents up to (not including) `root` while they are empty."""
    while directory != root and root in directory.parents:
        try:
            directory.rmdir()
        except OSError:
            return
        directory = directory.parent
