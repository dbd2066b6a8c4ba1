"""The HTTP routes of the endpoint (FastAPI). `create_app(settings)` builds it; `create_app_from_env()` is the
factory uvicorn's workers call.

Routes:
    POST /api/clicks       beacon from a product page (text/plain or JSON, <= 2 KB) -> 204; or the browser's
                           `<a ping>` (text/ping, the item in the query string), which counts clicks without script
    GET  /go/{item_id}     a page saying "you are going to eBay" with a normal link (old newsletter links); never
                           an automatic redirect, which EPN forbids from one's own domain
    POST /api/subscribe    HTML form (303 to the thank-you page) or JSON (202)
    GET/POST /api/confirm      double opt-in: a page with a button; the POST confirms
    GET/POST /api/unsubscribe  a page with a button; the POST (also RFC 8058 one-click) unsubscribes
    GET/POST /api/preferences  the digest's frequency and categories (the link in every digest)
    GET  /api/health       200 when the database takes writes and a manifest is loaded (503 otherwise); the outbox
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, TypeVar
from urllib.parse import parse_qs, quote, urlsplit

from email_validator import EmailNotValidError, validate_email
from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.types import Scope

from .. import clock as system_clock
from ..i18n import gettext as _
from . import outbox
from .clickwriter import ClickWriteError, ClickWriter
from .language import SiteLanguage
from .logs import request_id_var
from .mail import Mailer, make_mailer
from .manifest_source import ManifestSource
from .middleware import EdgeMiddleware
from .migrate import check_schema
from .pages import render_page
from .problems import ApiProblem, error_body, responses
from .ratelimit import MemoryRateLimiter
from .sender import Sender
from .settings import Settings, load_settings
from .store import ClickRow, Store
from .tokens import Signer, TokenError, keyed_hash
from .visitors import client_ip, is_bot, referrer_host, visitor_hash

log = logging.getLogger("affsite.endpoint")
T = TypeVar("T")

CLICK_BODY_LIMIT = 2048
BODY_LIMITS = {
    "/api/clicks": CLICK_BODY_LIMIT,
    "/api/subscribe": 4096,
    "/api/confirm": 2048,
    "/api/unsubscribe": 4096,
    "/api/preferences": 8192,
}
THANKS_PATH = "/newsletter/thanks/"
_ITEM_ID_RE = re.compile(r"\d{1,20}")
GO_PAGE_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; connect-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


# -- inputs
# -------------------------------------------------------------------------------------------------------
class ClickIn(BaseModel):
    """The beacon a product page sends when a visitor follows the outbound link."""

    model_config = ConfigDict(extra="forbid", strict=True)
    item_id: str = Field(pattern=r"^\d{1,20}$", description="eBay legacy item id")
    category: str = Field("", max_length=100, pattern=r"^(?:[a-z0-9]+(?:-[a-z0-9]+)*)?$", description="category slug")
    page: str = Field("", max_length=512, pattern=r"^(?:/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*)?$", description="page path")


class SubscribeIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    email: str = Field(min_length=1, max_length=320)
    website: str = Field("", max_length=500, description="honeypot: must stay empty")


class SubscribeAccepted(BaseModel):
    status: Literal["pending"]
    message: str


class OutboxHealth(BaseModel):
    queued: int = Field(description="mails waiting to be sent")
    retrying: int = Field(description="queued mails that failed at least once")
    failed: int = Field(description="mails given up on (a permanent refusal, or 72 hours of failures)")
    oldest_queued_seconds: float | None = Field(description="age of the oldest waiting mail")
    last_error: str | None = Field(description="the latest SMTP error (class and code, no address)")


class Health(BaseModel):
    status: Literal["ok"]
    database: Literal["ok"]
    manifest_items: int
    manifest_generated_at: str
    outbox: OutboxHealth


# API answers (JSON) stay English, like the problem details: programs read them, people read the pages and mails.
_ACCEPTED = SubscribeAccepted(
    status="pending", message="Thanks! If the address can receive mail, a confirmation link is on its way."
)


@dataclass
class Runtime:
    settings: Settings
    store: Store
    mailer: Mailer
    clock: Callable[[], datetime]
    language: SiteLanguage
    manifest: ManifestSource
    writer: ClickWriter
    signer: Signer
    click_limiter: MemoryRateLimiter
    sender: Sender

    def hash(self, scope: str, value: str) -> str:
        return keyed_hash(self.settings.secret_key.reveal(), scope, value)


def create_app_from_env() -> FastAPI:
    return create_app(load_settings())


def create_app(
    settings: Settings,
    *,
    store: Store | None = None,
    mailer: Mailer | None = None,
    clock: Callable[[], datetime] | None = None,
) -> FastAPI:
    own_store = store is None
    the_store = store or Store.from_url(settings.database_url)
    the_mailer = mailer or make_mailer(settings)
    the_clock = clock or system_clock.now
    signer = Signer(settings.secret_key.reveal())
    language = SiteLanguage()
    runtime = Runtime(
        settings=settings,
        store=the_store,
        mailer=the_mailer,
        clock=the_clock,
        language=language,
        manifest=ManifestSource(settings.manifest, on_change=language.follow),
        writer=ClickWriter(lambda rows: runtime.store.insert_clicks(rows)),
        signer=signer,
        click_limiter=MemoryRateLimiter(settings.clicks_per_ip_per_minute, 60.0),
        sender=Sender(
            store=the_store,
            settings=settings,
            signer=signer,
            mailer=the_mailer,
            clock=the_clock,
            language=language,
        ),
    )

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(check_schema, runtime.store.engine, create_if_empty=settings.is_sqlite)
        runtime.language.reset()  # English until the manifest names the site's language (the next line)
        await runtime.manifest.refresh()
        if not runtime.manifest.loaded:
            log.error("no manifest yet: every click is refused until one loads", extra={"manifest": "missing"})
        poller = asyncio.create_task(runtime.manifest.run(settings.manifest_reload_seconds))
        sending = asyncio.create_task(runtime.sender.run())
        runtime.writer.start()
        log.info("endpoint ready", extra={"database": runtime.store.engine.dialect.name})
        try:
            yield
        finally:
            for task in (poller, sending):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            runtime.sender.close()
            await run_in_threadpool(runtime.writer.stop)
            if own_store:
                runtime.store.close()
            log.info("endpoint stopped")

    app = FastAPI(
        title="affsite endpoint",
        version="1",
        description="Clicks and newsletter subscriptions for an affsite static site.",
        lifespan=lifespan,
        docs_url="/api/docs" if settings.dev else None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.runtime = runtime
    _install_error_handlers(app)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=[settings.site_origin],
        allow_methods=["GET", "POST"],
        allow_headers=["content-type"],
        max_age=86400,
    )
    app.add_middleware(
        EdgeMiddleware,
        body_limits=BODY_LIMITS,
        netlify_secret=settings.netlify_proxy_secret.reveal(),
        unsigned_paths=frozenset({"/api/health"}),
        route_name=_route_name,
        body_timeout=settings.body_timeout_seconds,
    )
    _add_routes(app, runtime)
    return app


def _route_name(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "(no route)"


# -- errors
# -------------------------------------------------------------------------------------------------------
def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiProblem)
    async def _problem(_request: Request, exc: ApiProblem) -> Response:
        return JSONResponse(error_body(exc.code, exc.message, request_id_var.get()), exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> Response:
        return JSONResponse(error_body("invalid_request", _describe(exc.errors()), request_id_var.get()), 422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> Response:
        codes = {404: "not_found", 405: "method_not_allowed"}
        message = {404: "There is nothing here.", 405: "That method is not allowed here."}.get(exc.status_code, "Error")
        return JSONResponse(
            error_body(codes.get(exc.status_code, "http_error"), message, request_id_var.get()),
            exc.status_code,
            headers=dict(exc.headers or {}),
        )


def _describe(errors: Any) -> str:
    """Which fields are wrong and why, without echoing the values (they may be personal)."""
    parts = []
    for error in list(errors)[:5]:
        where = ".".join(str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path")) or "body"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def _content_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def _cross_site(request: Request, allowed: set[str]) -> bool:
    """A browser post from another site: its Origin is not ours, or (no Origin) Sec-Fetch-Site says
    cross-site.

    `Origin: null` is what a browser sends for a form posted from a page whose Referrer-Policy is `no-referrer`
    (and from sandboxed frames, data: URLs and after cross-site redirects): it is accepted only when the browser
    also says the request is `Sec-Fetch-Site: same-origin`, a header pages cannot set or forge."""
    origin = request.headers.get("origin")
    fetch_site = request.headers.get("sec-fetch-site", "").strip().lower()
    if origin is not None:
        origin = origin.strip().lower().rstrip("/")
        if origin == "null":
            return fetch_site != "same-origin"
        return origin not in allowed
    return fetch_site == "cross-site"


def _form(body: bytes) -> dict[str, str]:
    try:
        text = body.decode("utf-8")
        pairs = parse_qs(text, keep_blank_values=True, max_num_fields=20, strict_parsing=False)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ApiProblem(400, "malformed_body", "The form could not be read.") from exc
    return {key: values[0] for key, values in pairs.items() if values}


# -- routes
# -------------------------------------------------------------------------------------------------------
def _add_routes(app: FastAPI, rt: Runtime) -> None:
    settings = rt.settings
    allowed_origins = {settings.site_origin, settings.public_origin}

    def client(request: Request) -> str:
        verified = bool(request.scope.get("state", {}).get("affsite_proxy_verified"))
        peer = request.client.host if request.client else None
        return client_ip(peer, request.headers, settings.trusted_proxies, proxy_verified=verified)

    def page(status: int, title: str, *paragraphs: str, **form: Any) -> HTMLResponse:
        html = render_page(
            lang=rt.language.current.lang,
            title=title,
            paragraphs=list(paragraphs),
            site_url=settings.site_url,
            site_name=settings.display_name,
            **form,
        )
        return HTMLResponse(html, status_code=status)

    async def visitor(request: Request, ip: str, now: datetime) -> str:
        try:
            salt = await run_in_threadpool(rt.store.visitor_salt, now.date())
        except SQLAlchemyError as exc:
            log.error("visitor salt unavailable", extra={"error": type(exc).__name__})
            raise ApiProblem(503, "database_unavailable", "The click could not be stored; try again.") from None
        # the stored salt alone does not give visitors' hashes back: it is keyed with the secret key, which is
        # not in the database, so a stolen backup cannot be used to test IP addresses against stored hashes
        keyed_salt = rt.hash("visitor-salt", salt)
        return visitor_hash(keyed_salt, ip, request.headers.get("user-agent", "")[:512])

    click_body = {
        "required": True,
        "content": {
            "application/json": {"schema": ClickIn.model_json_schema()},
            "text/plain": {"schema": {"type": "string", "maxLength": CLICK_BODY_LIMIT}},
        },
    }

    @app.post(
        "/api/clicks",
        status_code=204,
        response_class=Response,
        summary="Record an outbound click (navigator.sendBeacon)",
        responses={
            204: {"description": "Recorded (committed)"},
            **responses(400, 403, 413, 415, 422, 429, 503),
        },
        openapi_extra={"requestBody": click_body},
    )
    async def post_click(
        request: Request,
        ping_item: str = Query("", alias="item", max_length=20, description="text/ping only: the item id"),
        ping_category: str = Query("", alias="category", max_length=100, description="text/ping only: its category"),
        via: Literal["", "go"] = Query("", description="text/ping only: `go` from the /go/ page"),
    ) -> Response:
        if _cross_site(request, allowed_origins):
            raise ApiProblem(403, "cross_site", "Clicks are only accepted from the site's own pages.")
        content_type = _content_type(request)
        if content_type not in ("text/plain", "application/json", "text/ping"):
            raise ApiProblem(415, "unsupported_media_type", "Send the click as text/plain or application/json.")
        body = await request.body()
        source = "beacon"
        if content_type == "text/ping":
            # <a ping>: the browser posts "PING" and names the page in Ping-From; the item is in our query string
            source = "go" if via == "go" else "ping"
            page_path = urlsplit(request.headers.get("ping-from", "")).path[:512]
            body = json.dumps({"item_id": ping_item, "category": ping_category, "page": page_path}).encode()
        try:
            click = ClickIn.model_validate_json(body)
        except ValidationError as exc:
            if any(e.get("type") == "json_invalid" for e in exc.errors()):
                raise ApiProblem(400, "malformed_body", "The body is not valid JSON.") from None
            raise ApiProblem(422, "invalid_click", _describe(exc.errors())) from None
        item = rt.manifest.current.items.get(click.item_id)
        if item is None:
            raise ApiProblem(422, "unknown_item", "That item is not on the site.")
        ip = client(request)
        if not rt.click_limiter.hit(ip):
            raise ApiProblem(429, "rate_limited", "Too many clicks; slow down.", {"Retry-After": "60"})
        now = rt.clock()
        category = click.category if click.category in item.categories else (item.categories or ("",))[0]
        row = ClickRow(
            occurred_at=now,
            item_id=item.item_id,
            category=category,
            page=click.page,
            referrer_host=referrer_host(request.headers.get("referer")),
            visitor=await visitor(request, ip, now),
            is_bot=is_bot(request.headers.get("user-agent", "")),
            source=source,
        )
        try:
            await rt.writer.record(row)
        except ClickWriteError:
            raise ApiProblem(503, "database_unavailable", "The click could not be stored; try again.") from None
        return Response(status_code=204)

    @app.head("/go/{item_id}", response_class=HTMLResponse, include_in_schema=False)  # link checkers
    @app.get(
        "/go/{item_id}",
        response_class=HTMLResponse,
        summary="A page that says where the link goes, with a normal link to the item on eBay",
        responses={
            404: {"description": "Unknown item: a page that leads back to the site"},
            **responses(422),  # else FastAPI documents its own validation body, which this app never answers
        },
    )
    async def go(item_id: str) -> Response:
        """EPN forbids redirecting from one's own domain to eBay with an affiliate link, so old /go/ links (from
        newsletters sent before) get a page with the tracked link; the click is counted by the link's `ping`."""
        item = rt.manifest.current.items.get(item_id) if _ITEM_ID_RE.fullmatch(item_id) else None
        if item is None:
            return page(
                404,
                _("This item is gone"),
                _("The item you were looking for is no longer on the site. The site has many more like it."),
            )
        query = f"item={quote(item.item_id)}&category={quote((item.categories or ('',))[0])}&via=go"
        response = page(
            200,
            _("You are going to eBay"),
            f"{item.title}" if item.title else _("The item is on eBay."),
            _("The link below opens the item on eBay. We may earn a commission if you buy (eBay Partner Network)."),
            link=(item.url, _("Continue to eBay")),
            ping=f"/api/clicks?{query}",
        )
        # this page's own policy: the same as every answer's, plus `connect-src 'self'` for the link's ping
        response.headers["content-security-policy"] = GO_PAGE_CSP
        response.headers["x-robots-tag"] = "noindex, nofollow"
        return response

    subscribe_body = {
        "required": True,
        "content": {
            "application/json": {"schema": SubscribeIn.model_json_schema()},
            "application/x-www-form-urlencoded": {"schema": SubscribeIn.model_json_schema()},
        },
    }

    @app.post(
        "/api/subscribe",
        status_code=202,
        response_model=SubscribeAccepted,
        summary="Subscribe to the newsletter (double opt-in)",
        responses={
            303: {"description": "Form post: to the site's thank-you page"},
            **responses(400, 403, 413, 415),
            **responses(422, 429, 503, html=True),  # a form post gets a page it can show
        },
        openapi_extra={"requestBody": subscribe_body},
    )
    async def subscribe(request: Request) -> Response:
        content_type = _content_type(request)
        is_form = content_type == "application/x-www-form-urlencoded"
        if not is_form and content_type != "application/json":
            raise ApiProblem(415, "unsupported_media_type", "Send the form or JSON.")
        if _cross_site(request, allowed_origins):
            raise ApiProblem(403, "cross_site", "Subscriptions are only accepted from the site itself.")
        body = await request.body()
        try:
            data = SubscribeIn.model_validate(
                {k: v for k, v in _form(body).items() if k in ("email", "website")} if is_form else json.loads(body)
            )
        except ValueError as exc:  # JSONDecodeError and ValidationError are ValueErrors
            if isinstance(exc, ValidationError):
                message = _describe(exc.errors())
                return _subscribe_error(is_form, 422, "invalid_request", message, page)
            return _subscribe_error(is_form, 400, "malformed_body", "The body is not valid JSON.", page)

        def accepted() -> Response:
            if is_form:
                return RedirectResponse(settings.site_url + THANKS_PATH, status_code=303)
            return JSONResponse(_ACCEPTED.model_dump(), status_code=202)

        if data.website.strip():
            log.info("subscribe: honeypot filled, ignored", extra={"outcome": "honeypot"})
            return accepted()
        try:
            checked = validate_email(data.email, check_deliverability=False)
        except EmailNotValidError as exc:
            return _subscribe_error(is_form, 422, "invalid_email", f"That email address is not valid: {exc}", page)
        email = checked.normalized
        email_key = email.casefold()
        now = rt.clock()
        ip_hash = rt.hash("ip", client(request))
        window = int(now.timestamp() // 3600)
        for key, limit in (
            (f"sub-ip:{ip_hash}", settings.subscribe_per_ip_per_hour),
            (f"sub-addr:{rt.hash('address', email_key)}", settings.subscribe_per_address_per_hour),
        ):
            if limit and await db(rt.store.hit_rate_limit, key, window) > limit:
                return _subscribe_error(
                    is_form,
                    429,
                    "rate_limited",
                    "Too many attempts; please try again in an hour.",
                    page,
                    {"Retry-After": str(3600 - int(now.timestamp()) % 3600)},
                )
        try:
            outcome = await run_in_threadpool(
                rt.store.subscribe,
                email,
                email_key,
                ip_hash,
                now,
                confirm_ttl=timedelta(hours=settings.confirm_ttl_hours),
            )
        except SQLAlchemyError as exc:
            log.error("subscribe: not stored", extra={"error": type(exc).__name__})
            return _subscribe_error(
                is_form, 503, "database_unavailable", "Your sign-up could not be stored; please try again.", page
            )
        log.info("subscribe", extra={"outcome": outcome.action})
        if outcome.action == "queued":
            rt.sender.wake()  # the confirmation is in the outbox (committed with the sign-up); send it now
        return accepted()

    html_errors = responses(400, 403, 413, 422, 503, html=True)  # pages for people, JSON for the edge's refusals

    async def db(function: Callable[..., T], *args: Any) -> T:
        """A store call off the event loop; a database that fails answers the documented 503, never a 500."""
        try:
            return await run_in_threadpool(function, *args)
        except SQLAlchemyError as exc:
            log.error("database unavailable", extra={"error": type(exc).__name__})
            raise ApiProblem(503, "database_unavailable", "The database is unavailable; please try again.") from None

    token_query = Query("", max_length=400, description="the token from the mail")

    @app.get("/api/confirm", response_class=HTMLResponse, summary="The confirmation page", responses=html_errors)
    async def confirm_page(token: str = token_query) -> Response:
        try:
            rt.signer.read(token, "confirm", rt.clock())
        except TokenError:
            return _bad_link(page)
        return page(
            200,
            _("Confirm your subscription"),
            _("Press the button to receive the %(site)s newsletter.") % {"site": settings.display_name},
            form_action="/api/confirm",
            fields=[("token", token)],
            button=_("Yes, subscribe me"),
        )

    @app.post(
        "/api/confirm",
        response_class=HTMLResponse,
        summary="Confirm (the page's button)",
        responses=html_errors,
    )
    async def confirm(request: Request) -> Response:
        if _cross_site(request, allowed_origins):
            raise ApiProblem(403, "cross_site", "Confirm from the page in your mail.")
        token = _form(await request.body()).get("token", "")
        now = rt.clock()
        try:
            claims = rt.signer.read(token, "confirm", now)
        except TokenError:
            return _bad_link(page)
        result = await db(rt.store.confirm, claims.subscriber_id, claims.nonce, rt.hash("ip", client(request)), now)
        log.info("confirm", extra={"outcome": result})
        if result != "confirmed":
            return _bad_link(page)
        return page(
            200,
            _("You are subscribed"),
            _("Thank you! The %(site)s newsletter will come to you.") % {"site": settings.display_name},
        )

    @app.get("/api/unsubscribe", response_class=HTMLResponse, summary="The unsubscribe page", responses=html_errors)
    async def unsubscribe_page(token: str = token_query) -> Response:
        try:
            rt.signer.read(token, "unsubscribe", rt.clock())
        except TokenError:
            return _bad_link(page)
        return page(
            200,
            _("Unsubscribe"),
            _("Press the button to stop receiving the %(site)s newsletter.") % {"site": settings.display_name},
            form_action=f"/api/unsubscribe?token={quote(token, safe='')}",
            button=_("Unsubscribe me"),
        )

    @app.post(
        "/api/unsubscribe",
        response_class=HTMLResponse,
        summary="Unsubscribe in one step (the page's button, or RFC 8058 one-click from a mail client)",
        responses=html_errors,
    )
    async def unsubscribe(request: Request, token: str = token_query) -> Response:
        await request.body()  # "List-Unsubscribe=One-Click" (form or multipart); the token is the authority
        if not token and _content_type(request) == "application/x-www-form-urlencoded":
            token = _form(await request.body()).get("token", "")
        try:
            claims = rt.signer.read(token, "unsubscribe", rt.clock())
        except TokenError:
            return _bad_link(page)
        changed = await db(rt.store.unsubscribe, claims.subscriber_id, rt.clock())
        log.info("unsubscribe", extra={"outcome": "unsubscribed" if changed else "not_subscribed"})
        return page(200, _("You are unsubscribed"), _("You will not receive the newsletter any more."))

    @app.get(
        "/api/preferences", response_class=HTMLResponse, summary="The digest preferences page", responses=html_errors
    )
    async def preferences_page(token: str = token_query) -> Response:
        try:
            claims = rt.signer.read(token, "preferences", rt.clock())
        except TokenError:
            return _bad_link(page)
        current = await db(rt.store.preferences, claims.subscriber_id)
        if current is None:
            return _bad_link(page)
        frequency, chosen = current
        categories = sorted({c for item in rt.manifest.current.items.values() for c in item.categories})
        return page(
            200,
            _("Your newsletter"),
            _("Choose how often the digest comes and which categories it covers (none ticked: all of them)."),
            form_action=f"/api/preferences?token={quote(token, safe='')}",
            choices=[("frequency", f, label, f == frequency, "radio") for f, label in _frequencies().items()]
            + [("category", c, c, chosen is not None and c in chosen, "checkbox") for c in categories],
            button=_("Save"),
        )

    @app.post("/api/preferences", response_class=HTMLResponse, summary="Save digest preferences", responses=html_errors)
    async def save_preferences(request: Request, token: str = token_query) -> Response:
        if _cross_site(request, allowed_origins):
            raise ApiProblem(403, "cross_site", "Change your preferences from the page in your mail.")
        try:
            claims = rt.signer.read(token, "preferences", rt.clock())
        except TokenError:
            return _bad_link(page)
        try:
            pairs = parse_qs((await request.body()).decode("utf-8"), max_num_fields=200)
        except (UnicodeDecodeError, ValueError):
            raise ApiProblem(400, "malformed_body", "The form could not be read.") from None
        frequency = (pairs.get("frequency") or ["weekly"])[0]
        known = {c for item in rt.manifest.current.items.values() for c in item.categories}
        chosen = [c for c in pairs.get("category", []) if c in known]
        if frequency not in ("weekly", "daily"):
            return page(422, _("That did not work"), _("Choose weekly or daily."))
        saved = await db(rt.store.set_preferences, claims.subscriber_id, frequency, chosen or None, rt.clock())
        if not saved:
            return _bad_link(page)
        saved_text = (
            _("You will get the digest every week.")
            if frequency == "weekly"
            else _("You will get the digest every day.")
        )
        return page(200, _("Saved"), saved_text)

    @app.get(
        "/api/health",
        response_model=Health,
        summary="Liveness: the database takes writes, a manifest is loaded; and the outbox's state",
        responses=responses(503),
    )
    async def health() -> Response:
        try:
            await run_in_threadpool(rt.store.check_writable)
            mail = await run_in_threadpool(outbox.stats, rt.store.engine, rt.clock())
        except Exception as exc:
            log.error("health: database unavailable", extra={"error": type(exc).__name__})
            raise ApiProblem(503, "database_unavailable", "The database does not take writes.") from None
        manifest = rt.manifest.current
        if not rt.manifest.loaded:
            raise ApiProblem(503, "manifest_missing", "No manifest is loaded yet: clicks are refused.")
        return JSONResponse(
            {
                "status": "ok",
                "database": "ok",
                "manifest_items": len(manifest.items),
                "manifest_generated_at": manifest.generated_at,
                "outbox": dataclasses.asdict(mail),
            }
        )


def _frequencies() -> dict[str, str]:
    """The digest's frequencies (stored values) and their labels on the preferences page."""
    return {"weekly": _("Weekly"), "daily": _("Daily")}


def _bad_link(page: Callable[..., HTMLResponse]) -> HTMLResponse:
    return page(
        400,
        _("This link does not work"),
        _("It may be incomplete, expired, or already used. Subscribe again on the site to get a new one."),
    )


def _subscribe_error(
    is_form: bool,
    status: int,
    code: str,
    message: str,
    page: Callable[..., HTMLResponse],
    headers: dict[str, str] | None = None,
) -> Response:
    if is_form:
        # people who posted the site's form get a page in the site's language; `message` (English, with the
        # validator's details) is for API clients
        response = page(status, _("That did not work"), _form_problem(code), _("Please go back and try again."))
        response.headers.update(headers or {})
        return response
    raise ApiProblem(status, code, message, headers)


def _form_problem(code: str) -> str:
    """What went wrong with a sign-up form, for the person who sent it."""
    texts = {
        "invalid_email": _("That email address is not valid. Please check it for typos."),
        "rate_limited": _("Too many attempts; please try again in an hour."),
        "database_unavailable": _("Your sign-up could not be stored; please try again."),
    }
    return texts.get(code, _("The form could not be read. Please enter your email address."))
