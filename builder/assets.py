"""Publishing a theme's assets: every file under the theme's and the site's `assets/`, fingerprinted.

Each file is written as `/assets/<folder>/<name>.<hash>.<suffix>` (`site.css` -> `/assets/site.3f2a9c1b04.css`), a
hash of its content, so hosts may cache everything under /assets/ for a year (netlify.toml does) and a changed file
is a new URL. Templates name a file by its path inside `assets/` and get its URL from the `assets` mapping:
`{{ assets['site.css'] }}`, `{{ assets['img/logo.png'] }}`.

A stylesheet cannot ask the mapping, so the `url(...)` references of every `.css` file to other assets (relative to
the stylesheet, as a browser resolves them: `url(fonts/inter.woff2)`, `url("../img/bg.png")`) are rewritten to
their fingerprinted names before the stylesheet itself is hashed: a changed font gives a changed stylesheet URL.
References that are no asset (absolute URLs, `data:`, a missing file) are left as they are.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from collections.abc import Callable
from pathlib import Path

from .errors import BuildError
from .output import Writer
from .themes import ASSETS

_CSS_URL = re.compile(r"""url\(\s*(?P<q>['"]?)(?P<ref>[^'")\s]+)(?P=q)\s*\)""")


def publish_assets(files: dict[str, Path], writer: Writer) -> dict[str, str]:
    """Write every asset under its fingerprinted name; the URL of each by its name inside assets/."""
    contents: dict[str, bytes] = {}
    for name, path in files.items():
        try:
            contents[name] = path.read_bytes()
        except OSError as exc:
            raise BuildError(f"{path}: cannot be read ({exc.strerror})") from None
    urls: dict[str, str] = {}

    def url(name: str, visiting: frozenset[str]) -> str:
        known = urls.get(name)
        if known is not None:
            return known
        data = contents[name]
        if name.endswith(".css"):
            inside = visiting | {name}
            data = _rewrite_css(name, data, lambda ref: url(ref, inside), inside, contents)
        folder, _, base = name.rpartition("/")
        stem, dot, suffix = base.rpartition(".")
        digest = hashlib.sha256(data).hexdigest()[:10]
        hashed = f"{stem}.{digest}.{suffix}" if dot and stem else f"{base}.{digest}"
        relative = f"{ASSETS}/{folder}/{hashed}" if folder else f"{ASSETS}/{hashed}"
        writer.write(relative, data)
        urls[name] = "/" + relative
        return urls[name]

    for name in contents:
        url(name, frozenset())
    return dict(sorted(urls.items()))


def _rewrite_css(
    name: str,
    data: bytes,
    url_of: Callable[[str], str],
    visiting: frozenset[str],
    contents: dict[str, bytes],
) -> bytes:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return data  # not a stylesheet we can read; published as it is
    folder = posixpath.dirname(name)

    def replace(match: re.Match[str]) -> str:
        ref = match.group("ref")
        if ref.startswith(("/", "#", "data:")) or "://" in ref or ref.startswith("//"):
            return match.group(0)
        cut = min((i for i in (ref.find("?"), ref.find("#")) if i >= 0), default=len(ref))
        path, rest = ref[:cut], ref[cut:]  # `fonts/a.woff2?v=2#x`: the query and fragment are kept as written
        target = posixpath.normpath(posixpath.join(folder, path))
        if target not in contents or target in visiting:
            return match.group(0)  # no asset of that name (or an @import cycle): the browser gets what was written
        return f'url("{url_of(target)}{rest}")'

    return _CSS_URL.sub(replace, text).encode("utf-8")
