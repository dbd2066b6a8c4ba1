"""`affsite serve`: the preview builds, serves, rebuilds after an edit, tells the browser, and carries the endpoint."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from preview_harness import RunningPreview, start_preview

from builder.serve import EVENTS_PATH, SCRIPT_PATH, PreviewOptions, netlify_headers
from builder.themes import THEME_DIR

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
    shutil.copytree(REPO / "templates", root / "templates")  # the pictures of the demo guides
    shutil.copy(REPO / "site.yaml", root / "site.yaml")
    shutil.copy(REPO / "netlify.toml", root / "netlify.toml")
    # No template of its own (only the guides' pictures in templates/assets/): every template from the theme, until
    # a test overrides one.
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
    # An override of the theme's file, as an editor makes it, in the site's templates/ (which the preview watches
    # when it exists at start: the fixture makes it).
    template = site_root / "templates" / "category.html"
    good = (THEME_DIR / "category.html").read_text()
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


# --- the preview as a user runs it: a separate process that must outlive every failed rebuild -------------------


@pytest.fixture
def serve_process(site_root: Path, tmp_path: Path) -> Iterator[str]:
    """`python -m builder serve` on a free port, demo data; yields its URL once the first build is served."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EBAY_", "SMTP_"))}
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "builder", "serve", "--root", str(site_root), "--port", str(port)],
        cwd=site_root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _until(lambda: process.poll() is not None or _status(url + "/") == 200, timeout=60)
        assert process.poll() is None, (tmp_path / "serve.log").read_text()
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _status(url: str) -> int:
    try:
        return httpx.get(url, timeout=2).status_code
    except httpx.HTTPError:
        return 0


def _page(url: str) -> str:
    try:
        return httpx.get(url, timeout=5).text
    except httpx.HTTPError:
        return ""


def test_the_preview_survives_a_file_saved_in_latin1_and_rebuilds_when_it_is_fixed(
    serve_process: str, site_root: Path
) -> None:
    url = serve_process + "/about/"
    template = site_root / "templates" / "page.html"  # the site's own override of the theme's page.html
    good = (THEME_DIR / "page.html").read_bytes()
    template.write_bytes(good + b"{# caf\xe9 #}\n")
    line = good.count(b"\n") + 1
    # The error is in the page itself (the last good build under it), without waiting for the reload script.
    _until(lambda: 'id="affsite-preview-error"' in _page(url), timeout=30)
    page = _page(url)
    assert f"templates/page.html:{line}: is not UTF-8 text (byte 0xe9" in page
    assert "<h1>About" in page  # still the previous build
    template.write_bytes(good)
    _until(lambda: 'id="affsite-preview-error"' not in _page(url), timeout=30)
    # And it goes on rebuilding: the watcher did not die with the failed build.
    about = site_root / "content" / "pages" / "about.md"
    about.write_text(about.read_text().replace("title: About", "title: About this shop", 1))
    _until(lambda: "<h1>About this shop" in _page(url), timeout=30)
    assert 'id="affsite-preview-error"' not in _page(url)


def test_the_preview_survives_an_error_that_is_a_bug_in_affsite(
    preview: RunningPreview, site_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from builder import serve

    calls: list[int] = []
    real_load_site = serve.load_site

    def load_site_once_broken(root: Path, **options: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("an affsite bug")
        return real_load_site(root, **options)

    monkeypatch.setattr(serve, "load_site", load_site_once_broken)
    category = site_root / "content" / "categories" / "headphones.yaml"
    category.write_text(category.read_text().replace("title: Headphones", "title: Headphones A", 1))
    _until(lambda: preview.preview.error is not None)
    assert "a bug in affsite" in (preview.preview.error or "") and "RuntimeError: an affsite bug" in (
        preview.preview.error or ""
    )
    assert "an affsite bug" in httpx.get(preview.url + "/headphones/").text
    category.write_text(category.read_text().replace("title: Headphones A", "title: Headphones B", 1))
    _until(lambda: preview.preview.error is None and preview.preview.version == 2)
    assert "<h1>Headphones B" in httpx.get(preview.url + "/headphones/").text


def test_a_new_category_shows_an_empty_page_in_the_preview(preview: RunningPreview, site_root: Path) -> None:
    # The demo catalog (no eBay keys) has nothing for a category just added: the preview shows it, empty, at once.
    (site_root / "content/categories/studio-monitors.yaml").write_text("title: Studio Monitors\nq: studio monitor\n")
    _until(lambda: preview.preview.version == 2 or preview.preview.error is not None)
    assert preview.preview.error is None
    assert preview.preview.last is not None and preview.preview.last.ok
    assert (  # in both editions of the demo site (de/: the German one at /de/)
        "warning: 2 × categories have no data in the demo catalog, so their pages are empty: "
        "studio-monitors, de/studio-monitors"
    ) in preview.preview.last.warnings
    page = httpx.get(preview.url + "/studio-monitors/")
    assert page.status_code == 200
    assert "No listings match right now" in page.text and "affsite-preview-error" not in page.text
    assert httpx.get(preview.url + "/headphones/").status_code == 200


def test_a_draft_guide_shows_in_the_preview_and_not_in_the_build(preview: RunningPreview, site_root: Path) -> None:
    guide = site_root / "content/guides/mechanical-keyboards-for-typists.md"
    draft = site_root / "content/guides/draft-guide.md"
    draft.write_text(guide.read_text().replace("featured: true", "draft: true"))
    _until(lambda: preview.preview.version == 2 or preview.preview.error is not None)
    assert preview.preview.error is None
    assert httpx.get(preview.url + "/guides/draft-guide/").status_code == 200
    build = subprocess.run(
        [sys.executable, "-m", "builder", "build", "--output", str(site_root / "published")],
        cwd=site_root,
        capture_output=True,
        text=True,
        check=False,
        env={k: v for k, v in os.environ.items() if not k.startswith("EBAY_")},
    )
    assert build.returncode == 0, build.stderr
    assert (site_root / "published/guides/mechanical-keyboards-for-typists/index.html").is_file()
    assert not (site_root / "published/guides/draft-guide").exists()


def test_the_preview_keeps_everything_in_the_cache_dir_of_site_yaml(site_root: Path) -> None:
    from builder.serve import Preview

    site_yaml = site_root / "site.yaml"
    text = site_yaml.read_text()
    assert "cache_dir: .cache\n" in text
    site_yaml.write_text(text.replace("cache_dir: .cache\n", "cache_dir: .mycache\n"))
    preview = Preview(PreviewOptions(root=site_root, port=_free_port(), watch=False), environ={})
    assert preview.build().ok
    folder = site_root / ".mycache" / "preview"
    assert preview.output_dir == folder / "site"
    assert (folder / "site" / "index.html").is_file()
    assert (folder / "build-state.json").is_file()
    settings = preview.endpoint_settings()
    assert str(folder / "endpoint.db") in str(settings.database_url)
    assert not (site_root / ".cache").exists()


def test_the_preview_and_the_build_choose_the_source_alike(site_root: Path) -> None:
    # One function decides for both: the same refusal, word for word, for --live without eBay keys.
    from builder.build import run_build_command
    from builder.errors import UsageError
    from builder.serve import Preview

    preview = Preview(PreviewOptions(root=site_root, port=_free_port(), live=True, watch=False), environ={})
    outcome = preview.build()
    with pytest.raises(UsageError) as refused:
        run_build_command(site_root, live=True)
    assert not outcome.ok and outcome.message == str(refused.value)
