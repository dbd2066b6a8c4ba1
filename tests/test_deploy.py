"""netlify.toml and the GitHub workflows: the settings a deploy depends on, and a CSP that fits the built pages."""

from __future__ import annotations

import re
import shutil
import tomllib
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from builder.cli import main

REPO = Path(__file__).resolve().parents[1]
NETLIFY = tomllib.loads((REPO / "netlify.toml").read_text(encoding="utf-8"))
SECRETS = ("EBAY_CLIENT_ID", "EBAY_CLIENT_SECRET", "EBAY_CAMPAIGN_ID", "NETLIFY_AUTH_TOKEN", "NETLIFY_SITE_ID")


def headers_for(pattern: str) -> dict[str, str]:
    rules = [r for r in NETLIFY["headers"] if r["for"] == pattern]
    assert len(rules) == 1, f"one [[headers]] rule for {pattern}"
    return {k: " ".join(v.split()) for k, v in rules[0]["values"].items()}


def csp() -> dict[str, list[str]]:
    policy = headers_for("/*")["Content-Security-Policy"]
    directives: dict[str, list[str]] = {}
    for part in policy.split(";"):
        if part.strip():
            name, *sources = part.split()
            assert name not in directives, f"{name} twice"
            directives[name] = sources
    return directives


def test_build_settings() -> None:
    build = NETLIFY["build"]
    assert build["publish"] == "output"
    # The same locked install as everywhere else (uv.lock), and the strict live build.
    assert re.fullmatch(r"pip install uv==[0-9.]+ && uv run --locked --no-dev affsite build --live --strict", build["command"])
    assert build["environment"]["PYTHON_VERSION"] == "3.11"


def test_security_and_cache_headers() -> None:
    values = headers_for("/*")
    assert values["X-Content-Type-Options"] == "nosniff"
    assert values["Referrer-Policy"] == "strict-origin-when-cross-origin"
    features = dict(item.strip().split("=", 1) for item in values["Permissions-Policy"].split(","))
    assert features["camera"] == features["microphone"] == features["geolocation"] == "()"
    assert headers_for("/assets/*") == {"Cache-Control": "public, max-age=31536000, immutable"}


def test_api_and_go_are_proxied_to_the_endpoint_and_unknown_paths_get_the_404_page() -> None:
    rules = NETLIFY["redirects"]
    proxies = {r["from"]: r for r in rules if r["from"] in ("/api/*", "/go/*")}
    assert set(proxies) == {"/api/*", "/go/*"}
    origins = set()
    for prefix, rule in proxies.items():
        target = urlsplit(rule["to"])
        assert target.scheme == "https"
        assert target.path == prefix.removesuffix("*") + ":splat"
        assert rule["status"] == 200 and rule["force"] is True
        assert rule["signed"] == "AFFSITE_NETLIFY_PROXY_SECRET"  # the endpoint checks X-Nf-Sign with it
        origins.add(target.netloc)
    assert len(origins) == 1
    site = yaml.safe_load((REPO / "site.yaml").read_text())
    assert urlsplit(site["base_url"]).netloc not in origins  # proxying the site to itself would loop
    fallback = rules[-1]
    assert (fallback["from"], fallback["to"], fallback["status"]) == ("/*", "/404.html", 404)
    assert rules.index(fallback) > max(rules.index(r) for r in proxies.values())


class _Refs(HTMLParser):
    """What a page loads or talks to, by CSP directive."""

    def __init__(self) -> None:
        super().__init__()
        self.used: dict[str, set[str]] = {}
        self.inline_scripts: list[str] = []
        self.inline_handlers: list[str] = []
        self._script_type: str | None = None

    def add(self, directive: str, url: str) -> None:
        self.used.setdefault(directive, set()).add(url)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        for name in a:
            if name.startswith("on") or name == "style":
                self.inline_handlers.append(f"<{tag} {name}>")
        if tag == "script":
            if "src" in a:
                self.add("script-src", a["src"])
            else:
                self._script_type = a.get("type", "")
        elif tag == "link" and a.get("rel") == "stylesheet":
            self.add("style-src", a["href"])
        elif tag == "link" and a.get("rel") in ("icon", "apple-touch-icon"):
            self.add("img-src", a["href"])  # a favicon is loaded under img-src
        elif tag in ("img", "source", "video", "audio", "iframe", "object", "embed"):
            self.add("img-src" if tag in ("img", "source") else f"<{tag}>", a.get("src", ""))
        elif tag == "form":
            self.add("form-action", a.get("action", ""))
        elif tag == "style":
            self.inline_handlers.append("<style>")
        if tag == "body" and a.get("data-endpoint"):
            self.add("connect-src", a["data-endpoint"] + "/api/")  # the beacon and the sign-up fetch

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script_type = None

    def handle_data(self, data: str) -> None:
        if self._script_type is not None and data.strip():
            self.inline_scripts.append(self._script_type)


@pytest.fixture(scope="module")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("deploy")
    shutil.copytree(REPO / "content", root / "content")
    shutil.copytree(REPO / "templates", root / "templates")  # the pictures of the demo guides
    shutil.copy(REPO / "site.yaml", root / "site.yaml")
    assert main(["build", "--root", str(root)]) == 0
    return root / "output"


def _allowed(sources: list[str], url: str, site_origin: str) -> bool:
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}" if parts.netloc else site_origin
    return ("'self'" in sources and origin == site_origin) or origin in sources


def test_the_csp_allows_what_the_built_pages_use_and_nothing_more(built_site: Path) -> None:
    site_origin = yaml.safe_load((REPO / "site.yaml").read_text())["base_url"].rstrip("/")
    policy = csp()
    refs = _Refs()
    pages = sorted(built_site.rglob("*.html"))
    assert len(pages) > 100
    for page in pages:
        refs.feed(page.read_text(encoding="utf-8"))
    assert refs.inline_handlers == [], "inline styles or handlers would be blocked by the CSP"
    # Data blocks only, which the browser never runs (script-src does not apply): JSON-LD, and the scripts' texts
    # in the page's language (script_texts.py).
    assert set(refs.inline_scripts) == {"application/ld+json", "application/json"}, "only data may be inline"
    assert set(refs.used) <= {"script-src", "style-src", "img-src", "form-action", "connect-src"}

    used_origins: dict[str, set[str]] = {}
    for directive, urls in refs.used.items():
        for url in urls:
            assert _allowed(policy[directive], url, site_origin), f"{directive} does not allow {url}"
            parts = urlsplit(url)
            origin = f"{parts.scheme}://{parts.netloc}" if parts.netloc else site_origin
            used_origins.setdefault(directive, set()).add("'self'" if origin == site_origin else origin)

    # Nothing more: every source in the policy is used by some page, and nothing is loosened.
    assert policy.pop("default-src") == ["'none'"]
    assert policy.pop("base-uri") == ["'none'"]
    assert policy.pop("frame-ancestors") == ["'none'"]
    # The search page's Pagefind compiles WebAssembly (its index is in the output): that, and no eval of script.
    assert sorted(built_site.glob("pagefind/wasm.*.pagefind")), "the search index is missing"
    used_origins["script-src"].add("'wasm-unsafe-eval'")
    assert {d: set(s) for d, s in policy.items()} == used_origins
    assert "i.ebayimg.com" in " ".join(used_origins["img-src"])


def test_built_assets_carry_a_content_hash(built_site: Path) -> None:
    # The theme's stylesheets, scripts and icon, and the demo guides' pictures (the site's own templates/assets/guides/).
    names = sorted(p.relative_to(built_site / "assets").as_posix() for p in (built_site / "assets").rglob("*.*"))
    assert names and all(re.fullmatch(r"([a-z]+/)?[\w-]+\.[0-9a-f]{10}\.(css|js|svg)", n) for n in names), names


def _workflow(name: str) -> dict[Any, Any]:
    data: dict[Any, Any] = yaml.safe_load((REPO / ".github" / "workflows" / name).read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def _steps(data: dict[Any, Any]) -> list[dict[str, Any]]:
    return [step for job in data["jobs"].values() for step in job["steps"]]


def test_rebuild_workflow() -> None:
    data = _workflow("rebuild.yml")
    triggers = data["on"]
    assert triggers["schedule"] == [{"cron": "17 */6 * * *"}]
    assert triggers["push"]["branches"] == ["main"]
    assert "workflow_dispatch" in triggers
    text = (REPO / ".github" / "workflows" / "rebuild.yml").read_text()
    for secret in SECRETS:
        assert f"${{{{ secrets.{secret} }}}}" in text, secret
    steps = _steps(data)
    runs = "\n".join(s.get("run", "") for s in steps)
    assert "affsite build --live --strict" in runs
    assert re.search(r"netlify-cli@\d+ deploy --prod --dir output", runs)

    restore = next(s for s in steps if s.get("uses", "").startswith("actions/cache/restore@"))
    save = next(s for s in steps if s.get("uses", "").startswith("actions/cache/save@"))
    assert restore["with"]["path"] == save["with"]["path"] == ".cache"
    assert restore["with"]["key"] == save["with"]["key"]
    assert "github.run_id" in save["with"]["key"]  # a new key each run, since saved caches cannot be overwritten
    prefix = restore["with"]["restore-keys"].strip()
    assert save["with"]["key"].startswith(prefix)
    assert save.get("if") == "always()"
    order = [s.get("name", s.get("uses", "")) for s in steps]
    assert order.index(restore["name"]) < next(i for i, s in enumerate(steps) if "affsite build" in s.get("run", ""))

    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert ".cache/build-report.json" in upload["with"]["path"] and "e2e-artifacts/" in upload["with"]["path"]
    assert upload["with"]["include-hidden-files"] is True
    assert upload.get("if") == "always()"


def test_rebuild_workflow_prunes_after_a_successful_build_and_matches_the_schedule_setting() -> None:
    from builder.config import SiteConfig

    data = _workflow("rebuild.yml")
    steps = _steps(data)
    build = next(i for i, s in enumerate(steps) if "affsite build --live" in s.get("run", ""))
    prune = next(i for i, s in enumerate(steps) if "affsite cache prune" in s.get("run", ""))
    save = next(i for i, s in enumerate(steps) if s.get("uses", "").startswith("actions/cache/save@"))
    assert build < prune < save and "if" not in steps[prune]  # only after a successful build, before the save
    assert "--only-expired" in steps[build]["run"] and "github.event_name != 'schedule'" in steps[build]["run"]
    (cron,) = (entry["cron"] for entry in data["on"]["schedule"])
    every = int(cron.split()[1].removeprefix("*/"))
    assert SiteConfig.model_fields["rebuild_every_hours"].default == every


def test_check_workflow_runs_check_and_the_readme_test_command() -> None:
    data = _workflow("check.yml")
    assert "pull_request" in data["on"]
    runs = "\n".join(s.get("run", "") for s in _steps(data))
    assert "affsite check" in runs
    readme = (REPO / "README.md").read_text()
    command = re.search(r"pip install uv[^\n`]* python -m pytest [^\n`]*", readme)
    assert command is not None
    ci = (REPO / ".ci" / "run").read_text()
    # .ci/run runs the README's test command verbatim, install included.
    assert ".ci/run" in runs and command.group(0) in ci.splitlines()


def test_every_install_path_uses_the_lock_with_the_same_uv() -> None:
    """README, .ci/run, the workflows and netlify.toml install from uv.lock with the uv that pyproject.toml requires."""
    root = REPO
    required = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["uv"]["required-version"]
    assert required.startswith("==")
    paths = ["README.md", ".ci/run", "netlify.toml", *sorted(str(p.relative_to(root)) for p in (root / ".github/workflows").glob("*.yml"))]
    for name in paths:
        text = (root / name).read_text()
        pins = re.findall(r"uv==([0-9][0-9.]*[0-9])", text)
        assert pins, f"{name} does not install a pinned uv"
        assert set(pins) == {required[2:]}, f"{name} installs uv {set(pins)}, pyproject.toml requires {required}"
        assert "pip install -e" not in text and "pip install ." not in text, f"{name} installs around the lock"
