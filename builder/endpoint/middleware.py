"""The edge of every request (pure ASGI, outermost): request id, body size limits, Netlify proxy signature,
security headers, an access log line without query strings or IPs, and a JSON 500 instead of a stack trace."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .logs import request_id_var
from .netlify import verify_netlify_signature
from .problems import error_body

log = logging.getLogger("affsite.endpoint.http")

_REQUEST_ID_RE = re.compile(r"[A-Za-z0-9._-]{8,64}")

SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    # same-origin, not no-referrer: with no-referrer a browser posts the confirm page's form with `Origin: null`,
    # which the same-origin check cannot tell from a cross-site post; same-origin still sends nothing to eBay
    (b"referrer-policy", b"same-origin"),
    (b"strict-transport-security", b"max-age=63072000"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"interest-cohort=(), camera=(), microphone=(), geolocation=()"),
    (
        b"content-security-policy",
        b"default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
]


class BodyTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"request body larger than {limit} bytes")
        self.limit = limit


class BodyTimeout(Exception):
    """The client did not send its body within the read timeout (a slow-loris, or a stalled connection)."""


class EdgeMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        body_limits: Mapping[str, int],
        default_body_limit: int = 1024,
        netlify_secret: str = "",
        unsigned_paths: frozenset[str] = frozenset(),
        route_name: Callable[[Scope], str] | None = None,
        body_timeout: float = 10.0,
    ) -> None:
        self.app = app
        self.body_limits = dict(body_limits)
        self.default_body_limit = default_body_limit
        self.netlify_secret = netlify_secret
        self.unsigned_paths = unsigned_paths
        self.route_name = route_name
        self.body_timeout = body_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        incoming_id = headers.get("x-request-id", "")
        request_id = incoming_id if _REQUEST_ID_RE.fullmatch(incoming_id) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        status_holder = [0]
        response_started = [False]

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_started[0] = True
                status_holder[0] = message["status"]
                raw = list(message.get("headers", []))
                present = {k.lower() for k, _ in raw}
                raw.extend(h for h in SECURITY_HEADERS if h[0] not in present)
                raw.append((b"x-request-id", request_id.encode("ascii")))
                if b"cache-control" not in present:
                    raw.append((b"cache-control", b"no-store"))
                message = {**message, "headers": raw}
            await send(message)

        path: str = scope["path"]
        try:
            if self.netlify_secret and path not in self.unsigned_paths and path.startswith(("/api/", "/go/")):
                if not verify_netlify_signature(headers.get("x-nf-sign"), self.netlify_secret):
                    await _json(
                        send_wrapper,
                        403,
                        "proxy_signature_invalid",
                        "This endpoint only answers through the site's proxy.",
                        request_id,
                    )
                    return
                scope.setdefault("state", {})["affsite_proxy_verified"] = True
            limit = self.body_limits.get(path, self.default_body_limit)
            length = headers.get("content-length")
            if length is not None and (not length.isdigit() or int(length) > limit):
                status = 413 if length.isdigit() else 400
                await _json(
                    send_wrapper,
                    status,
                    "body_too_large" if status == 413 else "bad_content_length",
                    f"The request body must be at most {limit} bytes.",
                    request_id,
                )
                return
            received = [0]
            body_done = [False]

            async def limited_receive() -> Message:
                if body_done[0]:  # after the body, a receive waits for the disconnect: no timeout for that
                    return await receive()
                try:
                    message = await asyncio.wait_for(receive(), self.body_timeout)
                except TimeoutError:
                    raise BodyTimeout from None
                if message["type"] == "http.request":
                    received[0] += len(message.get("body", b""))
                    if received[0] > limit:
                        raise BodyTooLarge(limit)
                    body_done[0] = not message.get("more_body", False)
                return message

            try:
                await self.app(scope, limited_receive, send_wrapper)
            except BodyTooLarge as exc:
                if response_started[0]:
                    raise
                await _json(
                    send_wrapper,
                    413,
                    "body_too_large",
                    f"The request body must be at most {exc.limit} bytes.",
                    request_id,
                )
            except BodyTimeout:
                log.info("request body not received in time", extra={"path": path[:200]})
                if not response_started[0]:
                    await _json(
                        send_wrapper,
                        408,
                        "request_timeout",
                        f"The request body did not arrive within {self.body_timeout:g} seconds.",
                        request_id,
                    )
            except ClientDisconnect:
                # the client went away mid-body (closed a tab, lost the network): nothing to answer, not an error
                log.info("client disconnected before sending the whole body", extra={"path": path[:200]})
        except Exception:
            log.exception("unhandled error", extra={"method": scope["method"], "path": path[:200]})
            if not response_started[0]:
                await _json(send_wrapper, 500, "internal_error", "Something went wrong on our side.", request_id)
        finally:
            route = self.route_name(scope) if self.route_name else path[:200]
            log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "route": route,
                    "status": status_holder[0],
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
            request_id_var.reset(token)


async def _json(send: Send, status: int, code: str, message: str, request_id: str) -> None:
    body = json.dumps(error_body(code, message, request_id)).encode()
    headers: list[tuple[bytes, bytes]] = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    start: dict[str, Any] = {"type": "http.response.start", "status": status, "headers": headers}
    await send(start)
    await send({"type": "http.response.body", "body": body})
