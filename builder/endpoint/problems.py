"""Errors as clients see them: one JSON shape `{"error": {"code", "message", "request_id"}}` and a status.

These JSON problem details are for programs (the site's script, API clients, monitoring) and stay English whatever
the site's language: their `code` is what a program acts on. What people see (the pages for form posts and mail
links, app.py) is in the site's language."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ApiProblem(Exception):
    """Raised by a route to answer with a JSON error body."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


class ErrorDetail(BaseModel):
    code: str = Field(description="what went wrong, for programs: `not_found`, `rate_limited`, ...")
    message: str = Field(description="what went wrong, for people")
    request_id: str = Field(description="the answer's X-Request-ID, to find it in the endpoint's log")


class ErrorBody(BaseModel):
    """Every error answered as JSON."""

    error: ErrorDetail


_ERROR_BODY_REF = {"$ref": f"#/components/schemas/{ErrorBody.__name__}"}


def error_body(code: str, message: str, request_id: str) -> dict[str, Any]:
    return ErrorBody(error=ErrorDetail(code=code, message=message, request_id=request_id)).model_dump()


def responses(*statuses: int, html: bool = False) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses a route can answer (`html`: also as a page, for form posts).

    The JSON shape is `ErrorBody`. FastAPI files a `model` under the route's own media type, which is text/html
    for the page routes, so `html` entries name the model's component instead; FastAPI adds the component for the
    `model` entries (every app has one: /api/health's 503), and tests/endpoint/test_problems.py checks it is there.
    """
    entries: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        description = _DESCRIPTIONS.get(status, "Error")
        if html:
            content = {"application/json": {"schema": _ERROR_BODY_REF}, "text/html": {"schema": {"type": "string"}}}
            entries[status] = {"description": description, "content": content}
        else:
            entries[status] = {"description": description, "model": ErrorBody}
    return entries


_DESCRIPTIONS = {
    400: "Malformed request body",
    403: "Cross-site request or missing proxy signature",
    404: "Not found",
    405: "Method not allowed",
    413: "Request body too large",
    415: "Unsupported content type",
    422: "Invalid input or unknown item",
    429: "Too many requests",
    503: "Database unavailable",
}
