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
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import orjson

from .output import write_atomically

log = logging.getLogger(__name__)

STATE_NAME = "build-state.json"
STATE_VERSION = 1
# The modules whose code decides what a page looks like: a change to any of them invalidates the state.
_CODE = (
    "build.py",
    "generate.py",
    "render.py",
    "output.py",
    "state.py",
    "parallel.py",
    "formatting.py",
    "manifest.py",
    "content.py",
    "config.py",
    "catalog/normalize.py",
    "catalog/links.py",
    "ended.py",
    "ended_pages.py",
    "conditions.py",
)


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
    package = Path(__file__).resolve().parent
    digest = hashlib.blake2b(digest_size=12)
    for name in _CODE:
        try:
            digest.update(name.encode() + b"\0" + (package / name).read_bytes())
        except OSError:
            digest.update(name.encode() + b"\0missing")
    for dist in ("jinja2", "markupsafe"):
        try:
            digest.update(f"{dist}={metadata.version(dist)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(dist.encode())
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


def save_state(cache_dir: Path, state: BuildState) -> None:
    document = {
        "key": state.key,
        "inputs": state.inputs,
        "valid_until": state.valid_until,
        "clean": state.clean,
        "files": {relative: [r.digest, r.size, r.mtime_ns] for relative, r in sorted(state.files.items())},
    }
    try:
        write_atomically(cache_dir / STATE_NAME, orjson.dumps(document))
    except OSError as exc:
        log.warning("could not save the build state in %s: %s", cache_dir, exc.strerror)


def forget_state(cache_dir: Path) -> None:
    try:
        (cache_dir / STATE_NAME).unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:
        log.warning("could not remove the build state in %s: %s", cache_dir, exc.strerror)
