"""The endpoint speaks the site's language: a German site built with the CLI, the endpoint as a real server on its
manifest and a real SMTP server. A visitor signs up, gets the German confirmation mail, confirms and leaves on German
pages; the owner's digest is German too. A manifest that changes language is followed on reload; an old manifest
without a language is English."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from babel.messages.pofile import read_po
from demo_copy import single_marketplace

from builder.themes import THEME_DIR

from .conftest import SECRET, SITE, AppFactory, MailSink, free_port, make_env, wait_until
from .server import ServerProcess

REPO = Path(__file__).resolve().parents[2]
FORM = {"content-type": "application/x-www-form-urlencoded", "origin": SITE}
APPROVAL = 'newsletter_mail:\n  epn_email_approved: true\n  postal_address: "Gear Scout, Beispielweg 1, Berlin"\n'


@pytest.fixture(scope="module")
def german_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo site as a German site on eBay Germany, built by `affsite build` in its own process."""
    root = tmp_path_factory.mktemp("german-site")
    shutil.copytree(REPO / "content", root / "content")
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copy(REPO / "site.yaml", root / "site.yaml")
    single_marketplace(root)  # the demo's two editions: this site is eBay Germany's alone
    site_yaml = (root / "site.yaml").read_text()
    assert "\nmarketplace: EBAY_US\n" in site_yaml
    (root / "site.yaml").write_text(
        site_yaml.replace("\nmarketplace: EBAY_US\n", "\nmarketplace: EBAY_DE\nlanguage: de-DE\n") + APPROVAL
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("EBAY_CLIENT_ID", None)
    done = subprocess.run(
        [sys.executable, "-m", "builder", "build", "--root", str(root)], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return root


def _english_texts(source: str) -> list[str]:
    """The English texts (msgids) the endpoint's `source` file marks, cut at their placeholders (the phrases of
    more than one word, or the whole text): what a German mail or page must not contain."""
    with (THEME_DIR / "locales/de/LC_MESSAGES/messages.po").open("rb") as f:
        catalog = read_po(f)
    texts = []
    for message in catalog:
        if message.id and any(path == source for path, _line in message.locations):
            for text in message.id if isinstance(message.id, tuple) else (message.id,):
                for fixed in re.split(r"%\(\w+\)[sd]", text):
                    fixed = fixed.strip(" ,.:;()")
                    if " " in fixed or (fixed == text and len(fixed) > 3):
                        texts.append(fixed)
    assert len(texts) > 5, source  # the test must look for something
    return texts


def _page(server: ServerProcess, path: str, method: str = "GET", **kwargs: Any) -> httpx.Response:
    response = httpx.request(method, server.base + path, timeout=10, **kwargs)
    assert response.headers["content-type"].startswith("text/html"), response.text
    return response


def _flat(text: str) -> str:
    """The text with its lines joined (the mail's paragraphs are wrapped at 78 characters)."""
    return " ".join(text.split())


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def _text(mail: EmailMessage) -> str:
    part = mail.get_body(("plain",))
    assert part is not None
    return part.get_content()


def test_a_german_site_signs_up_confirms_and_leaves_in_german(
    german_site: Path, sqlite_url: str, smtp: MailSink, tmp_path: Path
) -> None:
    manifest = german_site / "output" / "affsite-manifest.json"
    env = make_env(sqlite_url, manifest, smtp, AFFSITE_SITE_NAME="Gear Scout", AFFSITE_OUTBOX_POLL_SECONDS="0.05")
    server = ServerProcess(env, free_port(), tmp_path / "endpoint.log")
    try:
        # the visitor posts the site's form (no script)
        posted = httpx.post(
            server.base + "/api/subscribe", content="email=leser%40example.de&website=", headers=FORM, timeout=10
        )
        assert posted.status_code == 303 and posted.headers["location"] == SITE + "/newsletter/thanks/"

        [mail] = smtp.wait(1, timeout=10)
        body = _text(mail)
        flat = _flat(body)
        assert mail["Subject"] == "Bitte bestätigen Sie Ihre Newsletter-Anmeldung bei Gear Scout"
        assert body.splitlines()[:2] == ["Guten Tag,", ""]
        assert "Bitte bestätigen Sie Ihre Anmeldung" in flat
        assert re.search(r"Der Link gilt bis \d\d\.\d\d\.\d{4}, \d\d:\d\d MES?Z\.", flat), body  # Babel, Berlin
        assert all(len(line) <= 78 or "://" in line for line in body.splitlines()), body
        for english in _english_texts("builder/endpoint/mail.py"):
            assert english not in flat and english not in str(mail["Subject"]), english
        confirm_url = re.search(r"https://\S+/api/confirm\?token=\S+", body)
        unsubscribe_url = re.search(r"https://\S+/api/unsubscribe\?token=\S+", body)
        assert confirm_url and unsubscribe_url, body

        # the link in the mail: a German page with a button
        page = _page(server, _path(confirm_url.group(0)))
        assert page.status_code == 200
        assert '<html lang="de-DE">' in page.text
        assert "<h1>Bitte bestätigen Sie Ihre Anmeldung</h1>" in page.text
        assert "Ja, Newsletter bestellen" in page.text and "Zurück zu Gear Scout" in page.text
        token = re.search(r'name="token" value="([^"]+)"', page.text)
        assert token
        confirmed = _page(server, "/api/confirm", method="POST", data={"token": token.group(1)}, headers=FORM)
        assert confirmed.status_code == 200 and '<html lang="de-DE">' in confirmed.text
        assert "<h1>Ihre Anmeldung ist bestätigt</h1>" in confirmed.text
        again = _page(server, "/api/confirm", method="POST", data={"token": token.group(1)}, headers=FORM)
        assert again.status_code == 400 and "<h1>Dieser Link funktioniert nicht</h1>" in again.text

        # the owner sends the digest after the build: German texts, prices and times (Berlin)
        sent = subprocess.run(
            [sys.executable, "-m", "builder", "newsletter", "send", "--root", str(german_site)],
            env={**os.environ, "PYTHONPATH": str(REPO), "DATABASE_URL": sqlite_url, "AFFSITE_SECRET_KEY": SECRET},
            capture_output=True,
            text=True,
            cwd=german_site,
        )
        assert sent.returncode == 0, sent.stderr
        digest = smtp.wait(2, timeout=15)[-1]
        text = _flat(_text(digest))
        html_part = digest.get_body(("html",))
        assert html_part is not None
        html = html_part.get_content()
        assert re.fullmatch(r"Gear Scout: \d+ neue Angebote \(\d\d\.\d\d\.\d{4}\)", str(digest["Subject"]))
        assert re.search(r"\d+,\d\d\s\S+ - Preis vom \d\d\.\d\d\.\d{4}, \d\d:\d\d MES?Z \(", text), text
        assert "Sie erhalten diese E-Mail, weil Sie sich auf https://" in text and "Mit einem Klick abbestellen" in text
        assert html.startswith('<!doctype html><html lang="de-DE">') and "Kategorien und Häufigkeit wählen" in html
        for english in _english_texts("builder/endpoint/digest.py"):
            assert english not in text and english not in html, english

        # leaving from the mail's link: German too
        leave = _page(server, _path(unsubscribe_url.group(0)))
        assert leave.status_code == 200 and '<html lang="de-DE">' in leave.text
        assert "<h1>Abbestellen</h1>" in leave.text and "Newsletter abbestellen</button>" in leave.text
        left = _page(server, _path(unsubscribe_url.group(0)), method="POST", headers=FORM)
        assert "<h1>Sie sind abgemeldet</h1>" in left.text
        for english in _english_texts("builder/endpoint/app.py"):
            for shown in (page, confirmed, leave, left):
                assert english not in shown.text, english

        # the site switches to English: the next manifest is followed without a restart
        document = json.loads(manifest.read_text())
        document.update(lang="en-GB", timezone="Europe/London")
        manifest.with_suffix(".tmp").write_text(json.dumps(document))
        os.replace(manifest.with_suffix(".tmp"), manifest)
        english_page = wait_until(
            lambda: _bad_link_page_in(server, "en-GB"), what="the endpoint to follow the manifest's language"
        )
        assert "<h1>This link does not work</h1>" in english_page and "Back to Gear Scout" in english_page
    finally:
        server.stop()


def _bad_link_page_in(server: ServerProcess, lang: str) -> str | None:
    page = _page(server, "/api/confirm?token=x")
    return page.text if f'<html lang="{lang}">' in page.text else None


def test_a_manifest_without_a_language_is_english(make_endpoint: AppFactory, manifest_path: Path) -> None:
    """A manifest written before manifests named a language reads as English; one naming a language Babel does not
    know is English too (after a German one: the language in service is dropped, not kept)."""
    document = json.loads(manifest_path.read_text())
    del document["lang"], document["timezone"]
    manifest_path.write_text(json.dumps(document))
    endpoint = make_endpoint()

    def page_in(lang: str) -> str | None:
        page = endpoint.client.get("/api/confirm?token=x")
        assert page.status_code == 400
        return page.text if f'<html lang="{lang}">' in page.text else None

    assert "<h1>This link does not work</h1>" in (page_in("en") or "")
    for lang, title in (
        ("de-AT", "Dieser Link funktioniert nicht"),
        ("xx-no-such-language", "This link does not work"),
    ):
        document["lang"] = lang
        manifest_path.write_text(json.dumps(document))
        shown = wait_until(lambda lang=lang: page_in("en" if lang.startswith("xx") else lang), what=lang)
        assert f"<h1>{title}</h1>" in shown
