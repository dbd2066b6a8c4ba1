"""The build's manifest of published items, loaded from a path or an http(s) URL and reloaded when it changes.

A file is re-read when its mtime or size changes; a URL is asked with `If-None-Match` / `If-Modified-Since`
so an
unchanged manifest costs a 304. A manifest that cannot be read or parsed keeps the last good one in service.
`on_change` is told of every manifest put in service (the endpoint follows its language: language.py).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from ..manifest import Manifest, ManifestError, parse_manifest

log = logging.getLogger("affsite.endpoint.manifest")

MAX_MANIFEST_BYTES = 200 * 1024 * 1024

EMPTY = Manifest(generated_at="", site_url="", items={})


@dataclass
class _Version:
    mtime_ns: int = -1
    inode: int = -1
    size: int = -1
    etag: str = ""
    last_modified: str = ""


class ManifestSource:
    def __init__(
        self,
        location: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        on_change: Callable[[Manifest], None] | None = None,
    ) -> None:
        self.location = location
        self.is_url = location.startswith(("http://", "https://"))
        self.current: Manifest = EMPTY
        self.loaded = False
        self._version = _Version()
        self._transport = transport
        self._on_change = on_change

    async def refresh(self) -> bool:
        """Load the manifest if it changed; True when a new one is in service. Never raises."""
        try:
            if self.is_url:
                raw = await self._fetch_url()
            else:
                raw = await asyncio.to_thread(self._read_file)
            if raw is None:
                return False
            manifest = await asyncio.to_thread(parse_manifest, raw)
        except (OSError, httpx.HTTPError, ManifestError) as exc:
            log.warning("manifest not loaded, keeping the previous one", extra={"reason": str(exc)[:200]})
            return False
        self.current = manifest
        self.loaded = True
        if self._on_change is not None:
            self._on_change(manifest)
        log.info("manifest loaded", extra={"items": len(manifest.items), "generated_at": manifest.generated_at})
        return True

    def _read_file(self) -> bytes | None:
        stat = os.stat(self.location)
        if (stat.st_mtime_ns, stat.st_ino, stat.st_size) == (
            self._version.mtime_ns,
            self._version.inode,
            self._version.size,
        ):
            return None
        if stat.st_size > MAX_MANIFEST_BYTES:
            raise ManifestError(f"the manifest is larger than {MAX_MANIFEST_BYTES} bytes")
        with open(self.location, "rb") as handle:
            raw = handle.read()
        self._version = _Version(mtime_ns=stat.st_mtime_ns, inode=stat.st_ino, size=stat.st_size)
        return raw

    async def _fetch_url(self) -> bytes | None:
        headers = {}
        if self._version.etag:
            headers["If-None-Match"] = self._version.etag
        if self._version.last_modified:
            headers["If-Modified-Since"] = self._version.last_modified
        async with httpx.AsyncClient(transport=self._transport, timeout=20, follow_redirects=True) as client:
            response = await client.get(self.location, headers=headers)
        if response.status_code == 304:
            return None
        response.raise_for_status()
        if len(response.content) > MAX_MANIFEST_BYTES:
            raise ManifestError(f"the manifest is larger than {MAX_MANIFEST_BYTES} bytes")
        self._version = _Version(
            etag=response.headers.get("etag", ""), last_modified=response.headers.get("last-modified", "")
        )
        return response.content

    async def run(self, interval: float) -> None:
        """Poll until cancelled."""
        while True:
            await asyncio.sleep(interval)
            await self.refresh()
