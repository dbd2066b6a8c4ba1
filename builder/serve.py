"""`affsite serve`: the local preview. Build, serve `output/`, rebuild on edits, reload the browser.

One process, one port (like Netlify in production, where /api/* and /go/* are proxied to the endpoint):

    /__affsite/events      Server-Sent Events: `hello` (current build), `reload` (a new build), `failed` (its error)
    /__affsite/reload.js   the reload script; it is injected into HTML responses of the preview only, never into
                           the built files
    /api/*, /go/*          the endpoint app (`builder.endpoint.app`) in dev mode, with a SQLite database and an
                           outbox under `<cache_dir>/preview/` (SMTP_* from the environment are honoured, so a
                           real or test mail server can receive the confirmation mails)
    everything else        files from the output folder; directories serve index.html, missing files 404.html;
                           the [[headers]] of netlify.toml are applied, so a page that breaks the CSP breaks here too,
                           and where no file exists the status rules of output/_redirects (410 for ended listings)

The preview builds with `endpoint_url` pointed at itself, so the click beacon and the newsletter form reach the local
endpoint. No eBay calls are made unless `--live`: with credentials in the environment the cached eBay answers are
used (a call budget of 0), otherwise the bundled demo catalog.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import dataclasses
import json
import logging
import mimetypes
import os
import sys
import threading
import time
import tomllib
import traceback
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from pydantic import AnyHttpUrl
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from . import clock
from .build import BuildOptions, build_site
from .catalog.choose import choose_source
from .catalog.plan import Plan
from .catalog.source import CatalogResult, CatalogSource
from .config import Config, cache_dir_for
from .content import Site, load_site
from .errors import AffsiteError, ConfigError
from .manifest import MANIFEST_NAME
from .redirects import match, read_redirects
from .textfile import read_utf8
from .themes import THEME_DIR

log = logging.getLogger("affsite.serve")

WATCHED = ("site.yaml", "content", "templates")
EVENTS_PATH = "/__affsite/events"
SCRIPT_PATH = "/__affsite/reload.js"
ENDPOINT_PREFIXES = ("/api/", "/go/")

RELOAD_JS = """/* affsite preview: reload when the site is rebuilt; show a build error on top of the page. */
(function () {
  "use strict";
  var version = document.currentScript ? document.currentScript.getAttribute("data-version") : null;
  var events = new EventSource("/__affsite/events");
  function show(text) {
    var box = document.getElementById("affsite-preview-error");
    if (!text) { if (box) box.remove(); return; }
    if (!box) {
      box = document.createElement("pre");
      box.id = "affsite-preview-error";
      box.setAttribute("role", "alert");
      document.body.appendChild(box);
    }
    // Styled from here, also when the server put the box in the page: the site's CSP refuses style attributes.
    box.style.cssText = "position:fixed;left:0;right:0;bottom:0;z-index:99999;margin:0;max-height:50vh;" +
      "overflow:auto;padding:1rem;background:#7a1010;color:#fff;font:14px/1.4 monospace;white-space:pre-wrap";
    box.textContent = "affsite: the last edit did not build, the page shows the build before it.\\n\\n" + text;
  }
  events.addEventListener("hello", function (e) {
    var data = JSON.parse(e.data);
    if (version !== null && String(data.version) !== version) { location.reload(); return; }
    show(data.error);
  });
  events.addEventListener("reload", function () { location.reload(); });
  events.addEventListener("failed", function (e) { show(JSON.parse(e.data).error); });
  window.addEventListener("pagehide", function () { events.close(); });
})();
"""


@dataclass
class PreviewOptions:
    root: Path
    host: str = "127.0.0.1"
    port: int = 8000
    live: bool = False
    catalog_dir: Path | None = None
    output_dir: Path | None = None  # default: <cache_dir>/preview/site, never the deployable output/
    cache_dir: Path | None = None  # default: site.yaml's cache_dir
    watch: bool = True


@dataclass
class BuildOutcome:
    ok: bool
    seconds: float
    message: str
    warnings: list[str] = field(default_factory=list)  # the build summary's warning lines (empty categories, ...)


@dataclass
class _Subscribers:
    queues: set[asyncio.Queue[str | None]] = field(default_factory=set)

    def send(self, event: str, data: Mapping[str, Any]) -> None:
        message = f"event: {event}\ndata: {json.dumps(data)}\n\n"
        for queue in list(self.queues):
            queue.put_nowait(message)

    def close(self) -> None:
        for queue in list(self.queues):
            queue.put_nowait(None)


class Preview:
    """Builds the site for the preview and keeps what the browser needs to know: build version and last error."""

    def __init__(self, options: PreviewOptions, environ: Mapping[str, str] | None = None) -> None:
        self.options = options
        self.root = options.root.resolve()
        self.environ: Mapping[str, str] = dict(os.environ if environ is None else environ)
        self.version = 0
        self.error: str | None = None
        self.last: BuildOutcome | None = None
        self._lock = threading.Lock()
        self._source: CatalogSource | None = None
        self._build_time: datetime | None = None
        # Decided once, as a build decides it (config.cache_dir_for), and kept while the preview runs: its pages,
        # build state, database and outbox stay together even if site.yaml's cache_dir is edited meanwhile.
        self.cache_dir = cache_dir_for(self.root, options.cache_dir)
        self._cache_dir_noted: Path | None = None
        # Not output/: the preview's pages point their beacon and form at this local server, and must never be
        # deployed by mistake. They live in the cache folder unless --output says otherwise.
        self.output_dir = (options.output_dir or self.preview_dir / "site").resolve()

    @property
    def origin(self) -> str:
        host = self.options.host
        if host in ("0.0.0.0", "::", ""):  # noqa: S104 - only naming the address, not binding it
            host = "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.options.port}"

    @property
    def preview_dir(self) -> Path:
        return self.cache_dir / "preview"

    def build(self) -> BuildOutcome:
        """Build the whole site into the output folder; on a mistake, keep the previous output and remember why."""
        with self._lock:
            started = time.perf_counter()
            try:
                site = load_site(self.root, drafts=True)  # drafts show in the preview only
                configured = cache_dir_for(self.root, self.options.cache_dir, site.config.site)
                if configured != self.cache_dir and configured != self._cache_dir_noted:
                    log.warning("site.yaml's cache_dir is now %s: the preview uses it once restarted", configured)
                    self._cache_dir_noted = configured
                site = self._for_preview(site)
                source = self._catalog_source()
                options = BuildOptions(self.root, self.output_dir, self.preview_dir)
                report = build_site(site, source, options, self._now())
            except AffsiteError as exc:
                outcome = BuildOutcome(False, time.perf_counter() - started, "\n".join(exc.lines()))
            except Exception as exc:
                # A bug in affsite, not a mistake in the site: shown with its traceback, and the preview carries on,
                # so the next save (or a fixed affsite) builds again.
                log.debug("the preview build failed", exc_info=exc)
                trace = "".join(traceback.format_exception(exc)).rstrip()
                message = f"affsite failed while building (a bug in affsite; please report it):\n{trace}"
                outcome = BuildOutcome(False, time.perf_counter() - started, message)
            else:
                seconds = time.perf_counter() - started
                lines = report.lines()
                summary = lines[0] if lines else "built"
                outcome = BuildOutcome(True, seconds, summary, [x for x in lines if x.startswith("warning:")])
            if outcome.ok:
                self.version += 1
                self.error = None
            else:
                self.error = outcome.message
            self.last = outcome
            return outcome

    def _now(self) -> datetime:
        """The build time, kept for up to an hour: with the same time, pages whose content did not change come out
        byte for byte the same (the demo catalog's prices are "as of" the build), so a rebuild rewrites only the
        pages an edit touched."""
        now = clock.now()
        if self._build_time is None or now - self._build_time > timedelta(hours=1):
            self._build_time = now
        return self._build_time

    def _for_preview(self, site: Site) -> Site:
        """The site with its endpoint pointed at the preview, so clicks and sign-ups reach the local endpoint."""
        settings = site.config.site
        if settings.endpoint_url is None:
            return site
        local = settings.model_copy(update={"endpoint_url": AnyHttpUrl(self.origin)})
        return dataclasses.replace(site, config=site.config.model_copy(update={"site": local}))

    def _catalog_source(self) -> CatalogSource:
        if self._source is None:
            options = self.options
            source = choose_source(
                cache_dir=self.cache_dir,
                live=options.live,
                catalog_dir=options.catalog_dir,
                calls=options.live,  # the cached answers only, unless --live
                environ=self.environ,
            )
            self._source = MemoCatalog(source)
        return self._source

    # --- the endpoint ---

    def endpoint_settings(self) -> Any:
        from .endpoint.settings import load_settings

        self.preview_dir.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in self.environ.items() if k.startswith("SMTP_")}
        env.update(
            DATABASE_URL=f"sqlite:///{self.preview_dir / 'endpoint.db'}",
            AFFSITE_SITE_URL=self.origin,
            AFFSITE_MANIFEST=str(self.output_dir / MANIFEST_NAME),
            AFFSITE_MANIFEST_RELOAD_SECONDS="0.5",
            AFFSITE_OUTBOX_DIR=str(self.preview_dir / "outbox"),
        )
        return load_settings(env, dev=True)


class MemoCatalog:
    """Keeps the last answer of a source while the categories and the build time stay the same: an edit of a
    template, a page or an intro does not read the catalog again."""

    def __init__(self, source: CatalogSource) -> None:
        self.source = source
        self.description = source.description
        self.is_demo = source.is_demo
        self._key: str | None = None
        self._result: CatalogResult | None = None

    def load(self, config: Config, now: datetime) -> CatalogResult:
        key = repr(
            (now, config.site.model_dump_json(), [c.model_dump_json() for c in config.categories], config.lookups)
        )
        if key != self._key or self._result is None:
            self._result = self.source.load(config, now)
            self._key = key
            self.description, self.is_demo = self.source.description, self.source.is_demo
        return copy.deepcopy(self._result)

    def plan(self, config: Config, now: datetime) -> Plan | None:
        return self.source.plan(config, now)


# --- the web app ----------------------------------------------------------------------------------------------


def netlify_headers(root: Path) -> list[tuple[str, dict[str, str]]]:
    """The [[headers]] rules of ROOT/netlify.toml as (path pattern, headers); none when there is no such file."""
    path = root / "netlify.toml"
    if not path.is_file():
        return []
    try:
        data = tomllib.loads(read_utf8(path, "netlify.toml"))
    except ConfigError as exc:
        log.warning("%s; the preview applies no headers from it", "; ".join(exc.lines()))
        return []
    except tomllib.TOMLDecodeError as exc:
        log.warning("netlify.toml: %s; the preview applies no headers from it", exc)
        return []
    rules = []
    for rule in data.get("headers", []):
        values = {str(k): " ".join(str(v).split()) for k, v in rule.get("values", {}).items()}
        rules.append((str(rule.get("for", "")), values))
    return rules


def _matches(pattern: str, path: str) -> bool:
    if pattern.endswith("/*"):
        return path.startswith(pattern[:-1])
    return pattern == path


def create_preview_app(
    preview: Preview, *, endpoint: ASGIApp | None = None, watch: bool | None = None
) -> Callable[[Scope, Receive, Send], Any]:
    """The preview as one ASGI app: /api/* and /go/* to the endpoint, everything else from the output folder."""
    subscribers = _Subscribers()
    header_rules = netlify_headers(preview.root)
    watching = preview.options.watch if watch is None else watch

    async def events(request: Request) -> Response:
        queue: asyncio.Queue[str | None] = asyncio.Queue()
        subscribers.queues.add(queue)

        async def stream() -> AsyncIterator[str]:
            try:
                hello = {"version": preview.version, "error": preview.error}
                yield f"retry: 500\nevent: hello\ndata: {json.dumps(hello)}\n\n"
                while True:
                    try:
                        message = await asyncio.wait_for(queue.get(), 10)
                    except TimeoutError:
                        if await request.is_disconnected():
                            return
                        yield ": keep-alive\n\n"
                        continue
                    if message is None:
                        return
                    yield message
            finally:
                subscribers.queues.discard(queue)

        return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})

    async def script(_request: Request) -> Response:
        return Response(RELOAD_JS, media_type="text/javascript", headers={"Cache-Control": "no-store"})

    async def files(request: Request) -> Response:
        if request.method not in ("GET", "HEAD"):
            return PlainTextResponse("Method Not Allowed", 405, headers={"Allow": "GET, HEAD"})
        path = unquote(request.url.path)
        response = _file_response(preview, path)
        if response.status_code == 404:
            response = _redirect_rule_response(preview, path) or response
        for pattern, values in header_rules:
            if _matches(pattern, path):
                response.headers.update(values)
        if response.media_type == "text/html":
            response.headers["Cache-Control"] = "no-store"
        return response

    async def rebuild(names: list[str]) -> None:
        outcome = await asyncio.to_thread(preview.build)
        _report(outcome, names)
        if outcome.ok:
            subscribers.send("reload", {"version": preview.version})
        else:
            subscribers.send("failed", {"error": outcome.message})

    async def watch_and_rebuild(stop: asyncio.Event) -> None:
        """Rebuild after each batch of edits, for as long as the preview runs: nothing a rebuild or the watcher
        raises ends it (a dead watcher would leave the preview showing an old site without a word)."""
        from watchfiles import awatch

        while not stop.is_set():
            try:
                paths = [preview.root / name for name in WATCHED if (preview.root / name).exists()]
                # The theme in the package changes only in an editable install (a theme developer's); watching it is
                # cheap.
                paths.append(THEME_DIR)
                if not paths:  # nothing to watch yet (site.yaml moved away): look again in a second
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), 1)
                    continue
                async for changes in awatch(*paths, stop_event=stop, step=20, debounce=1000, recursive=True):
                    names = sorted({_relative(preview.root, Path(p)) for _, p in changes})
                    try:
                        await rebuild(names)
                    except Exception:
                        log.exception("the preview could not rebuild after editing %s", ", ".join(names))
            except Exception:
                log.exception("watching the site for edits failed; watching again in a second")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 1)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        stop = asyncio.Event()
        async with contextlib.AsyncExitStack() as stack:
            if endpoint is not None:
                context = getattr(getattr(endpoint, "router", None), "lifespan_context", None)
                if context is not None:
                    await stack.enter_async_context(context(endpoint))
            watcher = asyncio.create_task(watch_and_rebuild(stop)) if watching else None
            try:
                yield
            finally:
                stop.set()
                subscribers.close()
                if watcher is not None:
                    try:
                        await asyncio.wait_for(watcher, 2)
                    except (asyncio.CancelledError, TimeoutError):
                        pass  # stopping: the watcher was between two checks of the stop event
                    except Exception:
                        log.exception("the preview's watcher failed")

    site = Starlette(
        routes=[
            Route(EVENTS_PATH, events),
            Route(SCRIPT_PATH, script),
            Route("/{path:path}", files, methods=["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"]),
        ],
        lifespan=lifespan,
    )

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if endpoint is not None and scope["type"] == "http" and path.startswith(ENDPOINT_PREFIXES):
            await endpoint(scope, receive, send)
        else:
            await site(scope, receive, send)

    return app


def _file_response(preview: Preview, path: str) -> Response:
    output = preview.output_dir
    if "\x00" in path:
        return PlainTextResponse("Bad Request", 400)
    target = (output / path.lstrip("/")).resolve()
    if not target.is_relative_to(output):
        return _not_found(preview)
    if target.is_dir():
        if not path.endswith("/"):
            return RedirectResponse(path + "/", 301)
        target = target / "index.html"
    if not target.is_file():
        return _not_found(preview)
    if target.suffix == ".html":
        return _html(preview, target.read_bytes(), 200)
    media_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    return FileResponse(target, media_type=media_type)


def _redirect_rule_response(preview: Preview, path: str) -> Response | None:
    """Where the site has no file, a status rule of output/_redirects (410 for ended listings), as Netlify applies it."""
    rule = match(read_redirects(preview.output_dir), path)
    if rule is None or not 400 <= rule.status < 500:
        return None
    target = (preview.output_dir / rule.target.lstrip("/")).resolve()
    if not target.is_relative_to(preview.output_dir) or not target.is_file():
        return None
    return _html(preview, target.read_bytes(), rule.status)


def _not_found(preview: Preview) -> Response:
    page = preview.output_dir / "404.html"
    if page.is_file():
        return _html(preview, page.read_bytes(), 404)
    why = preview.error or "the site has not been built yet"
    body = f"<!doctype html><title>Not built</title><pre>{_escape(why)}</pre>".encode()
    return _html(preview, body, 404)


def _html(preview: Preview, body: bytes, status: int) -> Response:
    tag = f'<script src="{SCRIPT_PATH}" data-version="{preview.version}" defer></script>'.encode()
    if preview.error is not None:
        # In the page itself, not only through the reload script: seen at once, with or without JavaScript.
        tag = _error_box(preview.error).encode() + tag
    at = body.rfind(b"</body>")
    body = body[:at] + tag + body[at:] if at >= 0 else body + tag
    return Response(body, status, media_type="text/html")


ERROR_HEADING = "affsite: the last edit did not build, the page shows the build before it."


def _error_box(error: str) -> str:
    text = _escape(f"{ERROR_HEADING}\n\n{error}")
    return f'<pre id="affsite-preview-error" role="alert">{text}</pre>'


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _relative(root: Path, path: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _report(outcome: BuildOutcome, changed: list[str]) -> None:
    what = ", ".join(changed[:3]) + (f" and {len(changed) - 3} more" if len(changed) > 3 else "")
    if outcome.ok:
        print(f"rebuilt in {outcome.seconds:.2f}s after editing {what}", file=sys.stderr, flush=True)
        for line in outcome.warnings:
            print(line, file=sys.stderr, flush=True)
    else:
        print(f"not rebuilt (the preview keeps the last good build): {what}", file=sys.stderr, flush=True)
        print(outcome.message, file=sys.stderr, flush=True)


# --- running it --------------------------------------------------------------------------------------------------


def make_app(preview: Preview) -> Callable[[Scope, Receive, Send], Any]:
    from .endpoint.app import create_app

    return create_preview_app(preview, endpoint=create_app(preview.endpoint_settings()))


def make_server(preview: Preview) -> Any:
    """The uvicorn server of the preview (run_preview runs it; tests run it on a thread)."""
    import uvicorn

    config = uvicorn.Config(
        make_app(preview),
        host=preview.options.host,
        port=preview.options.port,
        log_level="warning",
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=1,
    )
    return uvicorn.Server(config)


def run_preview(options: PreviewOptions, environ: Mapping[str, str] | None = None) -> int:
    """`affsite serve`: build, then serve until Ctrl-C."""
    preview = Preview(options, environ)
    outcome = preview.build()
    if outcome.ok:
        print(f"{outcome.message} (in {outcome.seconds:.2f}s)", file=sys.stderr)
        for line in outcome.warnings:
            print(line, file=sys.stderr)
    else:
        print("the site did not build; fix this and save, the preview rebuilds:", file=sys.stderr)
        print(outcome.message, file=sys.stderr)
    watching = "watching site.yaml, content/ and templates/" if options.watch else "not watching for edits"
    print(f"preview at {preview.origin}/ ({watching}; Ctrl-C stops)", file=sys.stderr, flush=True)
    make_server(preview).run()
    return 0
