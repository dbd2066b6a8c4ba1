"""Configuration of the endpoint, read once from environment variables.

Every option is declared once with its default and its meaning. Secrets are kept as `Secret`, whose repr
hides the
value, so a setting can be logged or printed without leaking it.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import UsageError
from ..secret import Secret

DEFAULT_DATABASE_URL = "sqlite:///data/affsite.db"

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class SettingsError(UsageError):
    """An environment variable has a value the endpoint cannot use."""


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default=DEFAULT_DATABASE_URL, repr=False)  # may hold the database password
    """DATABASE_URL: `sqlite:///path` (WAL mode, created on first start) or `postgresql://...` (several
    instances)."""
    site_url: str = "http://localhost:8000"
    """AFFSITE_SITE_URL: the static site's origin; the only origin allowed by CORS and the thank-you
    redirect."""
    public_url: str = ""
    """AFFSITE_PUBLIC_URL: where visitors reach the endpoint (links in mails); default AFFSITE_SITE_URL
    (proxied)."""
    site_name: str = ""
    """AFFSITE_SITE_NAME: the name used in mails and pages; default the site's host name."""
    secret_key: Secret = field(default_factory=lambda: Secret(""))
    """AFFSITE_SECRET_KEY: signs tokens and keys the stored hashes; required unless --dev (at least 32
    chars)."""
    manifest: str = ""
    """AFFSITE_MANIFEST: path or http(s) URL of `affsite-manifest.json` written by the build."""
    manifest_reload_seconds: float = 5.0
    """AFFSITE_MANIFEST_RELOAD_SECONDS: how often to look for a changed manifest (mtime, or ETag for a
    URL)."""
    smtp_host: str = ""
    """SMTP_HOST: the mail server for confirmation mails; required unless --dev (dev writes mails to
    data/outbox)."""
    smtp_port: int = 587
    """SMTP_PORT."""
    smtp_security: str = "starttls"
    """SMTP_SECURITY: `starttls`, `ssl` or `none`."""
    smtp_username: str = ""
    """SMTP_USERNAME."""
    smtp_password: Secret = field(default_factory=lambda: Secret(""))
    """SMTP_PASSWORD."""
    mail_from: str = ""
    """SMTP_FROM: the From address of confirmation mails; default `newsletter@<site host>`."""
    smtp_timeout: float = 10.0
    """SMTP_TIMEOUT: seconds to wait for the connection and for each answer of the SMTP server."""
    smtp_send_timeout: float = 30.0
    """SMTP_SEND_TIMEOUT: seconds one whole mail may take to send; then it is cut off and retried later."""
    outbox_poll_seconds: float = 2.0
    """AFFSITE_OUTBOX_POLL_SECONDS: how often the sender looks for due mails (a sign-up wakes it at once)."""
    purge_unsubscribed_days: int = 30
    """AFFSITE_PURGE_UNSUBSCRIBED_DAYS: unsubscribed addresses are erased this many days after they left."""
    body_timeout_seconds: float = 10.0
    """AFFSITE_BODY_TIMEOUT_SECONDS: a request whose body has not arrived within this gets 408 (slow clients)."""
    max_connections: int = 500
    """AFFSITE_MAX_CONNECTIONS: open connections per process (uvicorn's limit_concurrency): a request arriving when
    this many are open gets 503 at once, so a flood cannot exhaust memory or queue up on the database pool."""
    outbox_dir: str = "data/outbox"
    """AFFSITE_OUTBOX_DIR: in --dev without SMTP_HOST, mails are written here as .eml files."""
    trusted_proxies: tuple[IPNetwork, ...] = ()
    """AFFSITE_TRUSTED_PROXIES: comma-separated IPs/CIDRs whose X-Nf-Client-Connection-Ip / X-Forwarded-For
    count."""
    netlify_proxy_secret: Secret = field(default_factory=lambda: Secret(""))
    """AFFSITE_NETLIFY_PROXY_SECRET: when set, /api/* and /go/* need a valid X-Nf-Sign JWT from Netlify's
    proxy."""
    subscribe_per_ip_per_hour: int = 10
    """AFFSITE_SUBSCRIBE_PER_IP_PER_HOUR: subscribe attempts per client IP and hour (0: no limit)."""
    subscribe_per_address_per_hour: int = 3
    """AFFSITE_SUBSCRIBE_PER_ADDRESS_PER_HOUR: subscribe attempts per email address and hour (0: no limit)."""
    clicks_per_ip_per_minute: int = 120
    """AFFSITE_CLICKS_PER_IP_PER_MINUTE: clicks per client IP and minute, per instance (0: no limit)."""
    confirm_ttl_hours: int = 48
    """AFFSITE_CONFIRM_TTL_HOURS: how long a confirmation link works."""
    dev: bool = False
    """AFFSITE_DEV (set by `affsite endpoint --dev`): allows a missing secret key and SMTP server."""

    @property
    def site_origin(self) -> str:
        return _origin(self.site_url)

    @property
    def public_origin(self) -> str:
        return _origin(self.public_url or self.site_url)

    @property
    def public_base(self) -> str:
        return (self.public_url or self.site_url).rstrip("/")

    @property
    def display_name(self) -> str:
        return self.site_name or (urlsplit(self.site_url).hostname or "the newsletter")

    @property
    def sender(self) -> str:
        return self.mail_from or f"newsletter@{urlsplit(self.site_url).hostname or 'localhost'}"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def load_settings(environ: Mapping[str, str] | None = None, *, dev: bool | None = None) -> Settings:
    """Read and check the settings; every problem is reported at once as a `SettingsError`."""
    env = os.environ if environ is None else environ
    problems: list[str] = []

    def text(name: str, default: str, max_len: int = 2000) -> str:
        value = env.get(name, default).strip()
        if len(value) > max_len:
            problems.append(f"Config '{name}' is longer than {max_len} characters.")
        return value

    def integer(name: str, default: int, low: int, high: int) -> int:
        raw = env.get(name)
        if raw is None or raw.strip() == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            problems.append(f"Config '{name}' has value {raw!r}. Not a valid int.")
            return default
        if not low <= value <= high:
            problems.append(f"Config '{name}' has value {value}. Expected {low} to {high}.")
        return value

    def number(name: str, default: float, low: float, high: float) -> float:
        raw = env.get(name)
        if raw is None or raw.strip() == "":
            return default
        try:
            value = float(raw)
        except ValueError:
            problems.append(f"Config '{name}' has value {raw!r}. Not a valid number.")
            return default
        if not low <= value <= high:
            problems.append(f"Config '{name}' has value {value}. Expected {low} to {high}.")
        return value

    def url(name: str, default: str) -> str:
        value = text(name, default)
        if value:
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                problems.append(
                    f"Config '{name}' has value {value!r}. Expected an http(s) URL like https://example.org."
                )
        return value.rstrip("/")

    is_dev = dev if dev is not None else env.get("AFFSITE_DEV", "").lower() in ("1", "true", "yes")
    database_url = text("DATABASE_URL", DEFAULT_DATABASE_URL)
    if not database_url.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:", "postgres:")):
        problems.append(
            f"Config 'DATABASE_URL' has scheme {database_url.split(':', 1)[0]!r}. Expected sqlite or postgresql."
        )
    if database_url.startswith(("postgres://", "postgresql://")):
        database_url = "postgresql+psycopg://" + database_url.split("://", 1)[1]

    secret = env.get("AFFSITE_SECRET_KEY", "")
    if not secret:
        if not is_dev:
            problems.append(
                "Config 'AFFSITE_SECRET_KEY' is not set. Set a random value of at least 32 characters "
                "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`), or use --dev."
            )
        secret = "affsite-dev-only-secret-key-not-for-production"  # noqa: S105 (--dev only)
    elif len(secret) < 32:
        problems.append("Config 'AFFSITE_SECRET_KEY' is shorter than 32 characters. Use a longer random value.")

    manifest = text("AFFSITE_MANIFEST", "output/affsite-manifest.json" if is_dev else "")
    if not manifest:
        problems.append(
            "Config 'AFFSITE_MANIFEST' is not set. Point it at the build's output/affsite-manifest.json "
            "(a path or an https URL)."
        )

    smtp_host = text("SMTP_HOST", "", 253)
    if not smtp_host and not is_dev:
        problems.append("Config 'SMTP_HOST' is not set. Confirmation mails need an SMTP server (or use --dev).")
    security = text("SMTP_SECURITY", "starttls").lower()
    if security not in ("starttls", "ssl", "none"):
        problems.append(f"Config 'SMTP_SECURITY' has value {security!r}. Expected starttls, ssl or none.")

    proxies: list[IPNetwork] = []
    for raw in text("AFFSITE_TRUSTED_PROXIES", "").split(","):
        if raw.strip():
            try:
                proxies.append(ipaddress.ip_network(raw.strip(), strict=False))
            except ValueError:
                problems.append(f"Config 'AFFSITE_TRUSTED_PROXIES' has entry {raw.strip()!r}. Not an IP or CIDR.")

    reload_raw = env.get("AFFSITE_MANIFEST_RELOAD_SECONDS", "5")
    try:
        reload_seconds = float(reload_raw)
        if not 0.05 <= reload_seconds <= 3600:
            raise ValueError
    except ValueError:
        problems.append(f"Config 'AFFSITE_MANIFEST_RELOAD_SECONDS' has value {reload_raw!r}. Expected 0.05 to 3600.")
        reload_seconds = 5.0

    settings = Settings(
        database_url=database_url,
        site_url=url("AFFSITE_SITE_URL", "http://localhost:8000" if is_dev else ""),
        public_url=url("AFFSITE_PUBLIC_URL", ""),
        site_name=text("AFFSITE_SITE_NAME", "", 100),
        secret_key=Secret(secret),
        manifest=manifest,
        manifest_reload_seconds=reload_seconds,
        smtp_host=smtp_host,
        smtp_port=integer("SMTP_PORT", 465 if security == "ssl" else 587, 1, 65535),
        smtp_security=security,
        smtp_username=text("SMTP_USERNAME", "", 320),
        smtp_password=Secret(env.get("SMTP_PASSWORD", "")),
        mail_from=text("SMTP_FROM", "", 320),
        smtp_timeout=number("SMTP_TIMEOUT", 10.0, 0.05, 600),
        smtp_send_timeout=number("SMTP_SEND_TIMEOUT", 30.0, 0.1, 3600),
        outbox_poll_seconds=number("AFFSITE_OUTBOX_POLL_SECONDS", 2.0, 0.01, 3600),
        purge_unsubscribed_days=integer("AFFSITE_PURGE_UNSUBSCRIBED_DAYS", 30, 1, 3650),
        body_timeout_seconds=number("AFFSITE_BODY_TIMEOUT_SECONDS", 10.0, 0.1, 600),
        max_connections=integer("AFFSITE_MAX_CONNECTIONS", 500, 1, 100_000),
        outbox_dir=text("AFFSITE_OUTBOX_DIR", "data/outbox"),
        trusted_proxies=tuple(proxies),
        netlify_proxy_secret=Secret(env.get("AFFSITE_NETLIFY_PROXY_SECRET", "")),
        subscribe_per_ip_per_hour=integer("AFFSITE_SUBSCRIBE_PER_IP_PER_HOUR", 10, 0, 1_000_000),
        subscribe_per_address_per_hour=integer("AFFSITE_SUBSCRIBE_PER_ADDRESS_PER_HOUR", 3, 0, 1_000_000),
        clicks_per_ip_per_minute=integer("AFFSITE_CLICKS_PER_IP_PER_MINUTE", 120, 0, 1_000_000),
        confirm_ttl_hours=integer("AFFSITE_CONFIRM_TTL_HOURS", 48, 1, 24 * 30),
        dev=is_dev,
    )
    if not settings.site_url:
        problems.append("Config 'AFFSITE_SITE_URL' is not set. Set it to the site's origin, e.g. https://example.org.")
    if problems:
        raise SettingsError("\n".join(problems))
    return settings


def database_url_from_env(environ: Mapping[str, str] | None = None) -> str:
    """Only the database URL (for the owner commands, which need nothing else)."""
    env = os.environ if environ is None else environ
    url = env.get("DATABASE_URL", DEFAULT_DATABASE_URL).strip()
    if url.startswith(("postgres://", "postgresql://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def sqlite_path(url: str) -> Path | None:
    """The file of a `sqlite:///path` URL (None for PostgreSQL or in-memory SQLite)."""
    if not url.startswith("sqlite"):
        return None
    path = url.split(":///", 1)[1] if ":///" in url else ""
    if not path or path == ":memory:":
        return None
    path, _, query = path.partition("?")
    if path.startswith("file:") and "uri=true" in query:  # sqlite:///file:/path?mode=ro&uri=true
        path = path.removeprefix("file:")
    return Path(path)
