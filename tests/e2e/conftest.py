"""End-to-end fixtures: a copy of the demo site served by `affsite serve` (with its endpoint and an SMTP sink), and
Debian's Chromium driven by Playwright.

Where Chromium (or Java, or axe-core) is missing the tests skip and say why; with CI=true a skip here is a failure,
so CI can never pass by not running them. No request leaves 127.0.0.1: eBay's pages and images are answered by the
tests themselves and anything else is aborted and reported.
"""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

REPO = Path(__file__).resolve().parents[2]
E2E_DIR = Path(__file__).resolve().parent
ARTIFACTS = REPO / "e2e-artifacts"
CHROMIUM = Path(os.environ.get("AFFSITE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE = E2E_DIR / "node_modules" / "axe-core" / "axe.min.js"
CAMPAIGN = "5338000000"
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"
# What every eBay photo is answered with: a neutral picture frame, so screenshots show the layout as it will look.
PHOTO = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="500" height="500" viewBox="0 0 500 500">'
    '<rect width="500" height="500" fill="#eef1f5"/>'
    '<rect x="150" y="170" width="200" height="150" rx="18" fill="none" stroke="#b8c0cc" stroke-width="12"/>'
    '<circle cx="250" cy="245" r="42" fill="none" stroke="#b8c0cc" stroke-width="12"/>'
    '<rect x="200" y="145" width="70" height="30" rx="8" fill="#b8c0cc"/></svg>'
)


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Under CI=true a skipped end-to-end test is a failed one: the browser, Java or axe-core must be there."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and _in_ci() and Path(str(item.fspath)).is_relative_to(E2E_DIR):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"CI=true, and an end-to-end test was skipped: {reason}"


def require_chromium() -> None:
    if not CHROMIUM.exists():
        pytest.skip(
            f"no Chromium at {CHROMIUM}: install Debian's (apt-get install chromium) or set AFFSITE_CHROMIUM",
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


# --- the site and the server -------------------------------------------------------------------------------------


def copy_site(target: Path, *, campaign: str = CAMPAIGN) -> Path:
    """The repository's demo site (site.yaml, content, netlify.toml; the theme in the package) in `target`, with a
    campaign id."""
    target.mkdir(parents=True, exist_ok=True)
    shutil.copytree(REPO / "content", target / "content")
    shutil.copytree(REPO / "templates", target / "templates")  # the guides' pictures (templates/assets/)
    shutil.copy(REPO / "netlify.toml", target / "netlify.toml")
    text = (REPO / "site.yaml").read_text(encoding="utf-8")
    lines = [f'campaign_id: "{campaign}"' if line.startswith("campaign_id:") else line for line in text.splitlines()]
    (target / "site.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


@dataclass
class MailSink:
    port: int
    messages: list[Message] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def to(self, address: str, timeout: float = 10.0) -> Message:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                for message in self.messages:
                    if address in str(message.get("To", "")):
                        return message
            time.sleep(0.05)
        raise AssertionError(f"no mail to {address} arrived within {timeout}s")


@pytest.fixture(scope="package")
def mail_sink() -> Iterator[MailSink]:
    from aiosmtpd.controller import Controller

    sink = MailSink(free_port())

    class Handler:
        async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
            with sink.lock:
                sink.messages.append(message_from_bytes(envelope.content))
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=sink.port)
    controller.start()
    yield sink
    controller.stop()


@dataclass
class Site:
    url: str
    root: Path
    output: Path
    database: Path
    cache: Path  # the preview build's cache folder (its state and search records)

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.database) as db:
            return db.execute(sql, params).fetchall()

    def wait_for_rows(self, sql: str, *params: Any, timeout: float = 10.0) -> list[tuple[Any, ...]]:
        deadline = time.monotonic() + timeout
        while True:
            rows = self.rows(sql, *params)
            if rows or time.monotonic() > deadline:
                return rows
            time.sleep(0.05)


@pytest.fixture(scope="package")
def site(tmp_path_factory: pytest.TempPathFactory, mail_sink: MailSink) -> Iterator[Site]:
    """`affsite serve` on a free port: the demo site, its endpoint (SQLite) and mails to the sink."""
    from preview_harness import start_preview

    from builder.serve import PreviewOptions

    root = copy_site(tmp_path_factory.mktemp("e2e-site"))
    environ = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(mail_sink.port), "SMTP_SECURITY": "none"}
    options = PreviewOptions(root=root, port=free_port(), watch=False)
    running = start_preview(options, environ)
    preview = running.preview
    assert preview.last is not None and preview.last.ok, preview.last
    try:
        yield Site(running.url, root, preview.output_dir, preview.preview_dir / "endpoint.db", preview.preview_dir)
    finally:
        running.stop()


# --- the browser -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@dataclass
class Visit:
    """A browser context on the test site: its page, the console errors it logged, the requests it tried offsite."""

    page: Any
    errors: list[str]
    offsite: list[str]
    ebay_pages: list[str]

    def assert_clean(self) -> None:
        assert self.errors == [], f"console errors: {self.errors}"
        assert self.offsite == [], f"requests that would have left the machine: {self.offsite}"


def _route(visit: Visit) -> Callable[[Any], None]:
    def handle(route: Any) -> None:
        url = route.request.url
        host = urlsplit(url).hostname or ""
        if host == "127.0.0.1":
            route.continue_()
        elif host == "i.ebayimg.com":
            route.fulfill(status=200, content_type="image/svg+xml", body=PHOTO)
        elif host == "www.ebay.com":
            visit.ebay_pages.append(url)
            route.fulfill(status=200, content_type="text/html", body="<!doctype html><title>eBay</title><p>eBay")
        else:
            visit.offsite.append(url)
            route.abort()

    return handle


@pytest.fixture
def new_visit(browser: Any) -> Iterator[Callable[..., Visit]]:
    contexts: list[Any] = []

    def make(**options: Any) -> Visit:
        options.setdefault("user_agent", USER_AGENT)
        context = browser.new_context(**options)
        contexts.append(context)
        page = context.new_page()
        visit = Visit(page, [], [], [])
        context.route("**/*", _route(visit))
        page.on("console", lambda m: visit.errors.append(f"{m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: visit.errors.append(f"uncaught: {e}"))
        return visit

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def visit(new_visit: Callable[..., Visit]) -> Visit:
    return new_visit(viewport={"width": 1280, "height": 900})
