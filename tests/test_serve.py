"""`affsite serve`: the preview builds, serves, rebuilds after an edit, tells the browser, and carries the endpoint."""

from __future__ import annotations

import shutil
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from builder.serve import (
    EVENTS_PATH,
    SCRIPT_PATH,
    PreviewOptions,
    RunningPreview,
    netlify_headers,
    start_preview,
)

REPO = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def site_root(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    root.mkdir()
    shutil.copytree(REPO / "content", root / "content")
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copy(REPO / "site.yaml", root / "site.yaml")
    shutil.copy(REPO / "netlify.toml", root / "netlify.toml")
    return root


@pytest.fixture
def preview(site_root: Path) -> Iterator[RunningPreview]:
    running = start_preview(PreviewOptions(root=site_root, port=_free_port()), environ={})
    try:
        yield running
    finally:
        running.stop()


def _until(check: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the preview")
        time.sleep(0.05)


def test_serves_the_built_site_with_the_reload_script_only_in_responses(preview: RunningPreview) -> None:
    response = httpx.get(preview.url + "/")
    assert response.status_code == 200
    html = response.text
    assert f'<script src="{SCRIPT_PATH}" data-version="1" defer></script></body>' in html
    assert f'data-endpoint="{preview.url}"' in html  # the beacon and the form go to the preview's own endpoint
    on_disk = (preview.preview.output_dir / "index.html").read_text()
    assert SCRIPT_PATH not in on_disk
    assert response.headers["cache-control"] == "no-store"
    assert "default-src 'none'" in response.headers["content-security-policy"]  # netlify.toml's headers apply
    script = httpx.get(preview.url + SCRIPT_PATH)
    assert script.status_code == 200 and "EventSource" in script.text


def test_files_directories_and_missing_paths(preview: RunningPreview) -> None:
    base = preview.url
    redirect = httpx.get(base + "/headphones")
    assert redirect.status_code == 301 and redirect.headers["location"] == "/headphones/"
    assert httpx.get(base + "/headphones/").status_code == 200
    missing = httpx.get(base + "/no-such-page/")
    assert missing.status_code == 404 and "Page not found" in missing.text
    assert httpx.get(base + "/%2e%2e/site.yaml").status_code == 404  # nothing outside output/
    css = next(p for p in (preview.preview.output_dir / "assets").iterdir() if p.suffix == ".css")
    asset = httpx.get(f"{base}/assets/{css.name}")
    assert asset.status_code == 200 and asset.headers["content-type"].startswith("text/css")
    assert "immutable" in asset.headers["cache-control"]
    assert httpx.post(base + "/").status_code == 405


def test_the_endpoint_is_mounted_with_a_local_database(preview: RunningPreview) -> None:
    health = httpx.get(preview.url + "/api/health")
    assert health.status_code == 200, health.text
    assert health.json()["manifest_items"] > 100
    assert (preview.preview.preview_dir / "endpoint.db").is_file()
    item = next(iter((preview.preview.output_dir / "p").iterdir())).name.rsplit("-", 1)[1]
    go = httpx.get(f"{preview.url}/go/{item}", headers={"user-agent": "Mozilla/5.0 Firefox/140.0"})
    # a page with a normal link to eBay (EPN forbids redirecting there from our domain)
    assert go.status_code == 200 and 'href="https://www.ebay.com/itm/' in go.text and "location" not in go.headers


def test_an_edit_rebuilds_the_page_and_tells_the_browser(preview: RunningPreview, site_root: Path) -> None:
    category = site_root / "content" / "categories" / "headphones.yaml"
    with httpx.stream("GET", preview.url + EVENTS_PATH, timeout=20) as events:
        lines = events.iter_lines()
        assert next(lines) == "retry: 500"
        assert next(lines) == "event: hello"
        assert next(lines) == 'data: {"version": 1, "error": null}'
        category.write_text(category.read_text().replace("title: Headphones", "title: Headphones and Earbuds"))
        for line in lines:
            if line.startswith("event:"):
                assert line == "event: reload"
                assert next(lines) == 'data: {"version": 2}'
                break
    page = httpx.get(preview.url + "/headphones/").text
    assert "<h1>Headphones and Earbuds" in page
    assert preview.preview.last is not None and preview.preview.last.ok
    assert preview.preview.last.seconds < 5  # the figure to look at is in docs; this only catches a hang


def test_a_broken_edit_keeps_the_last_good_build_and_says_why(preview: RunningPreview, site_root: Path) -> None:
    site_yaml = site_root / "site.yaml"
    site_yaml.write_text(site_yaml.read_text().replace("items_per_page: 24", "items_per_page: lots"))
    _until(lambda: preview.preview.error is not None)
    assert "site.yaml" in (preview.preview.error or "") and "items_per_page" in (preview.preview.error or "")
    assert httpx.get(preview.url + "/").status_code == 200  # still the previous build
    with httpx.stream("GET", preview.url + EVENTS_PATH, timeout=20) as events:
        hello = [line for _, line in zip(range(3), events.iter_lines(), strict=False)][2]
    assert "items_per_page" in hello
    site_yaml.write_text(site_yaml.read_text().replace("items_per_page: lots", "items_per_page: 12"))
    _until(lambda: preview.preview.error is None and preview.preview.version == 2)
    assert "page 1 of" in httpx.get(preview.url + "/headphones/").text


def test_a_template_mistake_is_shown_with_its_file_and_line(preview: RunningPreview, site_root: Path) -> None:
    template = site_root / "templates" / "category.html"
    good = template.read_text()
    template.write_text(good.replace("{% block main %}", "{% block main %}\n{{ category.no_such_field }}", 1))
    _until(lambda: preview.preview.error is not None)
    line = good.splitlines().index(next(x for x in good.splitlines() if "{% block main %}" in x)) + 2
    assert f"templates/category.html:{line}:" in (preview.preview.error or "")
    assert "no_such_field" in (preview.preview.error or "")
    assert httpx.get(preview.url + "/headphones/").status_code == 200  # still the previous build
    template.write_text(good)
    _until(lambda: preview.preview.error is None and preview.preview.version == 2)


def test_netlify_headers_are_read_from_the_site(tmp_path: Path) -> None:
    assert netlify_headers(tmp_path) == []
    (tmp_path / "netlify.toml").write_text('[[headers]]\n  for = "/x/*"\n  [headers.values]\n    A = """1\n  2"""\n')
    assert netlify_headers(tmp_path) == [("/x/*", {"A": "1 2"})]


def test_serve_command_is_registered() -> None:
    from builder.cli import build_parser

    args = build_parser().parse_args(["serve", "--port", "9999", "--no-watch"])
    assert args.port == 9999 and args.no_watch and not args.live
