"""`affsite newsletter send` as the owner runs it (a separate process after a build): refused without EPN's
approval, a dry run that shows the digest, a real send through the outbox to an SMTP server with mails that render
(both parts, direct tracked links, prices with their age, one-click unsubscribe), preferences honoured, and a second
run that sends nothing new."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from .conftest import SECRET, AppFactory, Endpoint, wait_until

REPO = Path(__file__).resolve().parents[2]
APPROVAL = (
    'newsletter_mail:\n  epn_email_approved: true\n  postal_address: "Gear Scout, 1 Example Street, Springfield"\n'
)


@pytest.fixture(scope="module")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("newsletter-site")
    shutil.copytree(REPO / "content", root / "content")
    shutil.copytree(REPO / "templates", root / "templates")  # the demo guides' pictures
    shutil.copy(REPO / "site.yaml", root / "site.yaml")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("EBAY_CLIENT_ID", None)
    done = subprocess.run(
        [sys.executable, "-m", "builder", "build", "--root", str(root)], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return root


def _send(root: Path, database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "DATABASE_URL": database_url,
        "AFFSITE_SECRET_KEY": SECRET,
        "SMTP_FROM": "news@gearscout.example.org",
    }
    return subprocess.run(
        [sys.executable, "-m", "builder", "newsletter", "send", "--root", str(root), *args],
        env=env,
        capture_output=True,
        text=True,
        cwd=root,
    )


def _confirm(endpoint: Endpoint, address: str) -> str:
    before = len(endpoint.smtp.messages)
    endpoint.client.post("/api/subscribe", json={"email": address})
    mail = endpoint.smtp.wait(before + 1)[-1]
    token = mail.get_content().split("/api/confirm?token=", 1)[1].split()[0]
    assert endpoint.client.post("/api/confirm", data={"token": token}).status_code == 200
    return address


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def _digests(endpoint: Endpoint) -> list[EmailMessage]:
    return [m for m in endpoint.smtp.messages if "new deal" in str(m["Subject"])]


def test_newsletter_send_end_to_end(built_site: Path, make_endpoint: AppFactory, database_url: str) -> None:
    manifest = built_site / "output" / "affsite-manifest.json"
    site_yaml = built_site / "site.yaml"
    site_yaml.write_text((REPO / "site.yaml").read_text())  # the built site is shared by both databases' runs
    endpoint = make_endpoint(AFFSITE_MANIFEST=str(manifest), AFFSITE_OUTBOX_POLL_SECONDS="0.05")
    _confirm(endpoint, "everything@example.org")
    _confirm(endpoint, "headphones-only@example.org")

    # refused without EPN's written approval: exit 2, a message naming the setting, nothing queued
    refused = _send(built_site, database_url)
    assert refused.returncode == 2
    assert "newsletter_mail.epn_email_approved" in refused.stderr and "Traceback" not in refused.stderr
    assert all(r["kind"] == "confirm" for r in endpoint.rows("outbox"))

    site_yaml.write_text(site_yaml.read_text() + APPROVAL)

    # the second person chooses a category from the preferences link (as in every digest)
    dry = _send(built_site, database_url, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would queue 2 digest(s)" in dry.stderr
    assert "To: everything@example.org" in dry.stdout and "price as of" in dry.stdout
    assert all(r["kind"] == "confirm" for r in endpoint.rows("outbox"))  # a dry run queues nothing
    preferences = re.search(r"https?://\S+/api/preferences\?token=\S+", dry.stdout)
    assert preferences
    # (the dry run's links are the first person's; sign the second person's as the real send would)
    from builder.endpoint.tokens import Signer

    second = next(r for r in endpoint.rows("subscribers") if r["email"].startswith("headphones"))
    token = Signer(SECRET).make("preferences", second["id"])
    form = endpoint.client.get(f"/api/preferences?token={token}")
    assert form.status_code == 200 and 'value="headphones"' in form.text
    saved = endpoint.client.post(
        f"/api/preferences?token={token}",
        content="frequency=weekly&category=headphones",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert saved.status_code == 200 and "Saved" in saved.text

    sent = _send(built_site, database_url)
    assert sent.returncode == 0, sent.stderr
    assert "queued 2 digest(s)" in sent.stderr
    endpoint.clock.advance(minutes=1)  # the command queued at its own (real) time; the test clock stands still
    wait_until(lambda: len(_digests(endpoint)) == 2, what="two digests delivered")

    by_address = {str(m["To"]): m for m in _digests(endpoint)}
    everything, headphones = by_address["everything@example.org"], by_address["headphones-only@example.org"]
    for mail in (everything, headphones):
        text_part, html_part = mail.get_body(("plain",)), mail.get_body(("html",))
        assert text_part is not None and html_part is not None
        text, page = text_part.get_content(), html_part.get_content()
        links = re.findall(r"https://www\.ebay\.com/itm/\S+", text)
        assert links, text
        for link in links:
            query = parse_qs(urlsplit(link).query)
            assert re.fullmatch(r"newsletter-\d{4}-\d\d-\d\d", query["customid"][0])
            assert "gearscout.example.org/go/" not in link  # direct to eBay, no hop through the site
        assert text.count("price as of") == len(links)
        # in the site's time zone (EBAY_US's: New York)
        assert re.search(r"\$\d[\d,]*\.\d\d - price as of [A-Z][a-z]{2} \d+, \d{4}, \d+:\d\d\W[AP]M E[SD]T", text)
        assert '<a href="https://www.ebay.com/itm/' in page and "Gear Scout" in page
        assert "1 Example Street" in text and "1 Example Street" in page
        assert "eBay Partner Network" in text
        assert str(mail["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    # the chosen category only
    manifest_items = __import__("json").loads(manifest.read_text())["items"]
    for link in re.findall(r"https://www\.ebay\.com/itm/(\d+)", headphones.get_body(("plain",)).get_content()):
        assert "headphones" in manifest_items[link]["categories"]
    assert len(re.findall(r"ebay\.com/itm/", everything.get_body(("plain",)).get_content())) == 12

    # a second run the same day sends nothing new
    again = _send(built_site, database_url)
    assert again.returncode == 0 and "queued 0 digest(s)" in again.stderr
    endpoint.clock.advance(minutes=1)
    assert len([r for r in endpoint.rows("outbox") if r["kind"] == "digest"]) == 2

    # one-click unsubscribe from the digest's header
    url = str(everything["List-Unsubscribe"]).strip("<>")
    one_click = endpoint.client.post(
        _path(url), content="List-Unsubscribe=One-Click", headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert one_click.status_code == 200
    statuses = {r["email"]: r["status"] for r in endpoint.rows("subscribers")}
    assert statuses["everything@example.org"] == "unsubscribed"
