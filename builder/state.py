"""What the last build rendered, so that the next one can skip the pages whose inputs did not change.

`<cache dir>/build-state.json` maps each output file to the digest of everything its page was made from (the
template and every template it uses, the settings, the data it shows) and to the size and time the file had when
written. A page is kept without rendering when its digest is the same and its file is still the one that build
wrote. The state applies only to the output directory and the affsite code it was made with; a missing, corrupt or
foreign state file means a full render (the writer still leaves unchanged files untouched).
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import orjson

from .atomic import write_atomic

log = logging.getLogger(__name__)

STATE_NAME = "build-state.json"
STATE_VERSION = 1
# Libraries whose version changes what a page looks like (template semantics, escaping).
_LIBRARIES = ("jinja2", "markupsafe")


@dataclass(frozen=True, slots=True)
class FileRecord:
    digest: str  # of the page's inputs ("" for files that are always written, like the sitemap)
    size: int
    mtime_ns: int


@dataclass
class BuildState:
    key: str  # code version and output directory
    files: dict[str, FileRecord] = field(default_factory=dict)
    inputs: str = ""  # digest of everything the build read (inputs.py)
    valid_until: str | None = None  # ISO time the clock alone changes the site; None: never
    clean: bool = False  # no warnings, no stale data, not demo data: what --strict asks (so it may skip too)


@lru_cache(maxsize=1)
def code_version() -> str:
    """The version of affsite a state was made with: every file of the installed package, and the libraries above."""
    digest = hashlib.blake2b(package_digest(Path(__file__).resolve().parent).encode(), digest_size=12)
    for dist in _LIBRARIES:
        try:
            digest.update(f"{dist}={metadata.version(dist)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(dist.encode())
    return digest.hexdigest()


def package_digest(package: Path) -> str:
    """A digest of every file under `package` (code, templates, the demo catalog: all of it), by content.

    No list of modules to keep up to date, so none can fall behind (a rotation id changed in marketplaces.py once
    left stale links after "nothing changed"). By content, not by size and time: an edit that keeps the size (that
    rotation id) in an install that sets every file's time alike (Nix, reproducible builds) would go unseen. It
    costs about 1.4 ms for the 700 KB of the package, once per process (BENCHMARKS.md). Bytecode caches are left
    out: they follow the sources and differ between machines.
    """
    digest = hashlib.blake2b(digest_size=16)
    root = str(package)
    for directory, folders, files in os.walk(root):
        folders[:] = sorted(name for name in folders if name != "__pycache__")
        for name in sorted(files):
            if name.endswith((".pyc", ".pyo")):
                continue
            path = f"{directory}/{name}"
            try:
                with open(path, "rb") as handle:
                    data = handle.read()
            except OSError:
                data = b"\0unreadable"
            relative = path[len(root) + 1 :].replace(os.sep, "/")
            digest.update(f"{relative}\0{len(data)}\0".encode() + data)
    return digest.hexdigest()


def state_key(output_dir: Path) -> str:
    return f"{STATE_VERSION}:{code_version()}:{output_dir.resolve()}"


def page_digest(template: str, settings: str, path: str, inputs: list[str]) -> str:
    text = "\n".join((template, settings, path, *inputs))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def load_state(cache_dir: Path, key: str) -> BuildState | None:
    """The last build's state, or None when there is none that applies (missing, corrupt, other code or output)."""
    path = cache_dir / STATE_NAME
    try:
        document = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("ignoring the build state %s (%s): rendering every page", path, exc)
        return None
    try:
        if not isinstance(document, dict) or document.get("key") != key:
            return None
        files = {
            str(relative): FileRecord(str(digest), int(size), int(mtime_ns))
            for relative, (digest, size, mtime_ns) in document["files"].items()
        }
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        log.warning("ignoring the build state %s (%s): rendering every page", path, exc)
        return None
    inputs = document.get("inputs", "")
    valid_until = document.get("valid_until")
    valid = str(valid_until) if valid_until else None
    return BuildState(key, files, str(inputs), valid, clean=document.get("clean") is True)


def written_files(cache_dir: Path) -> tuple[Path, list[str]] | None:
    """The output folder the saved state is for and the files it says that build wrote there, whatever version of
    affsite made it (unlike `load_state`): what an edition the site no longer has left behind, to delete it. None
    without a readable state."""
    try:
        document = orjson.loads((cache_dir / STATE_NAME).read_bytes())
        version, _, rest = str(document["key"]).partition(":")
        output = rest.partition(":")[2]  # the key is `version:code version:output folder` (state_key)
        files = document["files"]
        if version != str(STATE_VERSION) or not output or not isinstance(files, dict):
            return None
        return Path(output), [str(relative) for relative in files]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        if not isinstance(exc, FileNotFoundError):
            log.warning("could not read the build state in %s: %s", cache_dir, exc)
        return None


def save_state(cache_dir: Path, state: BuildState) -> None:
    document = {
        "key": state.key,
        "inputs": state.inputs,
        "valid_until": state.valid_until,
        "clean": state.clean,
        "files": {relative: [r.digest, r.size, r.mtime_ns] for relative, r in sorted(state.files.items())},
    }
    try:
        write_atomic(cache_dir / STATE_NAME, orjson.dumps(document))
    except OSError as exc:
        log.warning("could not save the build state in %s: %s", cache_dir, exc.strerror)


def forget_state(cache_dir: Path) -> None:
    try:
        (cache_dir / STATE_NAME).unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:
        log.warning("could not remove the build state in %s: %s", cache_dir, exc.strerror)
